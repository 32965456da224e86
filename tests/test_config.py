"""Settings from closegate.toml, flags and AZURE_* variables; every mistake is a ConfigError with a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from closegate.config import CLOUDS, Secret, load_settings
from closegate.errors import ConfigError

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "closegate.toml"
    path.write_text(text)
    return path


BASIC = f"""
[tenant]
id = "{TENANT}"
cloud = "global"
[auth]
method = "client_secret"
client_id = "{CLIENT}"
client_secret = "from-file"
"""


def test_file_settings_and_defaults(tmp_path):
    s = load_settings(write(tmp_path, BASIC), environ={"HOME": str(tmp_path)})
    assert s.tenant_id == TENANT and s.cloud is CLOUDS["global"]
    assert s.auth.method == "client_secret" and s.auth.client_secret == Secret("from-file")
    assert s.token_cache_path.parent == tmp_path / ".cache" / "closegate"
    assert s.concurrency == 64 and s.timeout_seconds == 30.0


def test_flags_beat_the_file_and_the_file_beats_the_environment(tmp_path):
    env = {"AZURE_CLIENT_SECRET": "from-env", "AZURE_TENANT_ID": "other.onmicrosoft.com"}
    s = load_settings(write(tmp_path, BASIC), environ=env)
    assert s.auth.client_secret.reveal() == "from-file" and s.tenant_id == TENANT
    s = load_settings(write(tmp_path, BASIC), flags={"client_secret": "from-flag"}, environ=env)
    assert s.auth.client_secret.reveal() == "from-flag"


def test_environment_alone_is_enough_like_azure_identity(tmp_path):
    env = {"AZURE_TENANT_ID": "Contoso.onmicrosoft.com", "AZURE_CLIENT_ID": CLIENT,
           "AZURE_CLIENT_SECRET": "env-secret", "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    s = load_settings(None, environ=env)
    assert s.tenant_id == "contoso.onmicrosoft.com" and s.auth.method == "client_secret"
    assert s.token_cache_path.parent == tmp_path / "xdg" / "closegate"


def test_certificate_from_environment(tmp_path):
    cert = tmp_path / "app.pfx"
    cert.write_bytes(b"x")
    env = {"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": CLIENT, "AZURE_CLIENT_CERTIFICATE_PATH": str(cert),
           "AZURE_CLIENT_CERTIFICATE_PASSWORD": "pw"}
    s = load_settings(None, environ=env)
    assert s.auth.method == "certificate" and s.auth.certificate_path == cert
    assert s.auth.certificate_password.reveal() == "pw"


def test_no_credential_means_device_code(tmp_path):
    s = load_settings(None, environ={"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": CLIENT})
    assert s.auth.method == "device_code"


@pytest.mark.parametrize("name,authority,graph", [
    ("usgov", "https://login.microsoftonline.us", "https://graph.microsoft.us"),
    ("usgovdod", "https://login.microsoftonline.us", "https://dod-graph.microsoft.us"),
    ("china", "https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"),
])
def test_national_clouds_select_their_hosts(tmp_path, name, authority, graph):
    s = load_settings(write(tmp_path, BASIC.replace('"global"', f'"{name}"')), environ={})
    assert (s.cloud.authority_host, s.cloud.graph_url, s.cloud.graph_resource) == (authority, graph, graph)
    assert s.cloud.arm_url.startswith("https://management.")


def test_custom_cloud_reads_urls_and_ca(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    text = BASIC.replace('"global"', '"custom"') + (
        '[cloud]\nauthority_host = "https://127.0.0.1:8443"\ngraph_url = "https://127.0.0.1:8443/"\n'
        'arm_url = "https://127.0.0.1:8443"\nca_bundle = "ca.pem"\n[emulator]\nanything = 1\n')
    s = load_settings(write(tmp_path, text), environ={})
    assert s.cloud.is_custom and s.cloud.graph_url == "https://127.0.0.1:8443"
    assert s.cloud.graph_resource == "https://graph.microsoft.com" and s.cloud.ca_bundle == ca.resolve()
    assert s.emulator == {"anything": 1}


@pytest.mark.parametrize("text,needle", [
    (BASIC + "[auth2]\nx=1\n", "unknown table [auth2]"),
    (BASIC.replace('method = "client_secret"', 'method = "client_secret"\nclient_secert = "x"'), "client_secert"),
    (BASIC.replace(TENANT, "not a tenant!"), "neither a GUID nor a domain"),
    (BASIC.replace(TENANT, "common"), "multi-tenant alias"),
    (BASIC.replace('"global"', '"mars"'), "unknown cloud"),
    (BASIC.replace('client_secret = "from-file"', ""), "no secret"),
    (BASIC.replace(CLIENT, "my-app"), "not a GUID"),
    (BASIC.replace('"global"', '"custom"') + '[cloud]\nauthority_host = "http://127.0.0.1:1"\n'
     'graph_url = "https://a"\narm_url = "https://a"\n', "must be an https URL"),
    (BASIC + "[cloud]\nauthority_host = \"https://x\"\n", "[cloud] is set"),
    (BASIC + "[tenant", "not valid TOML"),
    (BASIC.replace('cloud = "global"', 'cloud = "global"\nclosing_admin = "admin"'), "not a user principal name"),
    (BASIC.replace('cloud = "global"', 'cloud = "global"\nclosing_admin = "a b@contoso.com"'),
     "not a user principal name"),
    (BASIC.replace('cloud = "global"', 'cloud = "global"\nclosing_admin = 7'), "must be a string"),
    (BASIC + '[backup]\npublic_key = "absent.pub.pem"\n', "absent.pub.pem does not exist"),
    (BASIC + "[backup]\npublic_key = 7\n", "backup.public_key must be a path"),
])
def test_mistakes_are_config_errors_with_a_fix(tmp_path, text, needle):
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text), environ={})
    assert needle in err.value.cause and err.value.fix


def test_missing_file_and_missing_tenant(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})
    with pytest.raises(ConfigError, match="no configuration found: there is no .*closegate.toml"):
        load_settings(None, environ={})
    empty = tmp_path / "closegate.toml"
    empty.write_text("[auth]\nclient_id = \"11111111-2222-3333-4444-555555555555\"\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"no tenant given in {empty}"):
        load_settings(empty, environ={})


def test_secrets_are_masked_in_every_rendering(tmp_path):
    s = load_settings(write(tmp_path, BASIC), environ={})
    for text in (repr(s), str(s), repr(s.auth), str(s.auth.client_secret), f"{s.auth.client_secret}"):
        assert "from-file" not in text


def test_the_closing_admin_is_optional_and_kept_as_written(tmp_path):
    assert load_settings(write(tmp_path, BASIC), environ={}).closing_admin_upn is None
    named = BASIC.replace('cloud = "global"', 'cloud = "global"\nclosing_admin = " Admin@Contoso.onmicrosoft.com "')
    assert load_settings(write(tmp_path, named), environ={}).closing_admin_upn == "Admin@Contoso.onmicrosoft.com"
    guest = BASIC.replace('cloud = "global"', 'cloud = "global"\nclosing_admin = "dana_fabrikam.com#EXT#@contoso.com"')
    assert load_settings(write(tmp_path, guest), environ={}).closing_admin_upn == "dana_fabrikam.com#EXT#@contoso.com"


def test_the_backup_public_key_is_optional_and_relative_to_the_file(tmp_path):
    assert load_settings(write(tmp_path, BASIC), environ={}).backup_public_key is None
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "signer.pub.pem").write_text("-----BEGIN PUBLIC KEY-----\n")
    s = load_settings(write(tmp_path, BASIC + '[backup]\npublic_key = "keys/signer.pub.pem"\n'), environ={})
    assert s.backup_public_key == (tmp_path / "keys" / "signer.pub.pem").resolve()
