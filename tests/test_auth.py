"""Sign-in with the real msal against the stub identity platform: every method, errors, no leaks."""

from __future__ import annotations

import datetime as dt
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from graph.helpers import settings_for
from graph.stub import CLIENT_ID, SECRET, StubServer

from closegate.auth import MsalTokenProvider, token_claims
from closegate.config import load_settings
from closegate.errors import AuthError, ConfigError

GRAPH = "https://graph.microsoft.com"


@pytest.fixture
def stub(tmp_path: Path) -> Iterator[StubServer]:
    server = StubServer(tmp_path)
    yield server
    server.close()


@pytest.fixture(scope="module")
def app_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def app_cert(key: rsa.RSAPrivateKey, *, expired: bool = False) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "closegate app")])
    now = dt.datetime.now(dt.timezone.utc)
    start, end = (now - dt.timedelta(days=30), now - dt.timedelta(days=1)) if expired else (now - dt.timedelta(days=1), now + dt.timedelta(days=30))
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
            .sign(key, hashes.SHA256()))


def pem_file(tmp_path: Path, key, cert, password: bytes | None = None) -> Path:
    enc = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    path = tmp_path / "app.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
                     + cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_client_secret_signs_in_and_caches_the_token(tmp_path, stub):
    stub.claims = {"roles": ["User.Read.All", "Policy.Read.All"]}
    tokens = MsalTokenProvider(settings_for(tmp_path, stub))
    first = tokens.token(GRAPH)
    assert tokens.token(GRAPH) == first and stub.issued == 1
    assert token_claims(first)["roles"] == ["User.Read.All", "Policy.Read.All"]
    assert tokens.description == "client secret"


def test_invalidate_fetches_a_new_token(tmp_path, stub):
    tokens = MsalTokenProvider(settings_for(tmp_path, stub))
    first = tokens.token(GRAPH)
    tokens.invalidate(GRAPH)
    assert tokens.token(GRAPH) != first and stub.issued == 2


def test_short_lived_tokens_are_renewed_before_they_expire(tmp_path, stub):
    now = [1000.0]
    stub.token_lifetime = 30
    tokens = MsalTokenProvider(settings_for(tmp_path, stub), clock=lambda: now[0])
    first = tokens.token(GRAPH)
    now[0] += 20
    assert tokens.token(GRAPH) == first
    now[0] += 8  # inside the 10% safety margin
    assert tokens.token(GRAPH) != first


def test_certificate_pem_sends_the_sha1_thumbprint(tmp_path, stub, app_key):
    cert = app_cert(app_key)
    path = pem_file(tmp_path, app_key, cert)
    tokens = MsalTokenProvider(settings_for(tmp_path, stub, {
        "method": "certificate", "client_id": CLIENT_ID, "certificate_path": str(path)}))
    tokens.token(GRAPH)
    assert "x5t" in stub.last_assertion_header and "x5c" not in stub.last_assertion_header
    assert cert.fingerprint(hashes.SHA1()).hex().upper() in tokens.description


def test_certificate_subject_name_issuer_sends_the_chain(tmp_path, stub, app_key):
    path = pem_file(tmp_path, app_key, app_cert(app_key), password=b"pem-pass")
    tokens = MsalTokenProvider(settings_for(tmp_path, stub, {
        "method": "certificate", "client_id": CLIENT_ID, "certificate_path": str(path),
        "certificate_password": "pem-pass", "send_certificate_chain": True}))
    tokens.token(GRAPH)
    assert "x5c" in stub.last_assertion_header


def test_pfx_with_a_passphrase(tmp_path, stub, app_key):
    pfx = tmp_path / "app.pfx"
    pfx.write_bytes(pkcs12.serialize_key_and_certificates(
        b"app", app_key, app_cert(app_key), None, serialization.BestAvailableEncryption(b"pfx-pass")))
    auth = {"method": "certificate", "client_id": CLIENT_ID, "certificate_path": str(pfx),
            "certificate_password": "pfx-pass"}
    MsalTokenProvider(settings_for(tmp_path, stub, auth)).token(GRAPH)
    assert stub.issued == 1
    with pytest.raises(ConfigError, match="wrong password"):
        MsalTokenProvider(settings_for(tmp_path, stub, {**auth, "certificate_password": "nope"}))


def test_expired_certificate_is_reported_before_any_request(tmp_path, stub, app_key):
    path = pem_file(tmp_path, app_key, app_cert(app_key, expired=True))
    with pytest.raises(AuthError, match="expired"):
        MsalTokenProvider(settings_for(tmp_path, stub, {
            "method": "certificate", "client_id": CLIENT_ID, "certificate_path": str(path)}))
    assert stub.log == []


def test_device_code_persists_the_cache_0600_so_a_rerun_does_not_prompt(tmp_path, stub):
    stub.claims = {"scp": "User.Read Directory.Read.All"}
    prompts = []

    def approve(prompt):
        prompts.append(prompt)
        stub.device_codes[prompt.user_code] = True  # the administrator signs in

    settings = settings_for(tmp_path, stub, {"method": "device_code", "client_id": CLIENT_ID})
    tokens = MsalTokenProvider(settings, prompt=approve)
    assert token_claims(tokens.token(GRAPH))["scp"].startswith("User.Read")
    assert len(prompts) == 1 and prompts[0].user_code in prompts[0].message
    cache = settings.token_cache_path
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o600
    assert "rt-" in cache.read_text()

    again = MsalTokenProvider(settings, prompt=approve, interactive=False)
    again.token(GRAPH)
    assert len(prompts) == 1  # silent: refresh token from the saved cache
    assert again.description == "device code (admin@contoso.example)"


def test_device_code_without_a_terminal_says_how_to_sign_in(tmp_path, stub):
    settings = settings_for(tmp_path, stub, {"method": "device_code", "client_id": CLIENT_ID})
    with pytest.raises(AuthError, match="no saved sign-in"):
        MsalTokenProvider(settings, interactive=False).token(GRAPH)


def test_wrong_secret_maps_the_aadsts_code_to_a_cause_and_fix(tmp_path, stub):
    tokens = MsalTokenProvider(settings_for(tmp_path, stub, client_secret="wrong-secret-value"))
    with pytest.raises(AuthError) as err:
        tokens.token(GRAPH)
    assert err.value.code == "AADSTS7000215"
    assert "client secret is not valid" in err.value.cause and "Certificates & secrets" in err.value.fix
    assert "wrong-secret-value" not in str(err.value)


def test_a_new_msal_app_after_an_error_so_a_cached_400_is_not_replayed(tmp_path, stub):
    stub.token_error = {"error": "invalid_client", "error_codes": [700016],
                        "error_description": "AADSTS700016: Application not found."}
    tokens = MsalTokenProvider(settings_for(tmp_path, stub))
    with pytest.raises(AuthError, match="no application"):
        tokens.token(GRAPH)
    stub.token_error = None  # fixed in the portal meanwhile
    assert tokens.token(GRAPH)


def test_unreachable_sign_in_service_is_a_transport_error(tmp_path, stub):
    from closegate.errors import TransportError

    settings = settings_for(tmp_path, stub)
    stub.close()
    with pytest.raises(TransportError):
        MsalTokenProvider(settings).token(GRAPH)


def test_no_secret_or_token_in_logs_output_or_errors(tmp_path, stub, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    tokens = MsalTokenProvider(settings_for(tmp_path, stub))
    token = tokens.token(GRAPH)
    bad = MsalTokenProvider(settings_for(tmp_path, stub, client_secret="another-secret-xyz"))
    with pytest.raises(AuthError) as err:
        bad.token(GRAPH)
    out = capsys.readouterr()
    for text in (caplog.text, out.out, out.err, str(err.value), repr(tokens.settings)):
        assert SECRET not in text and "another-secret-xyz" not in text and token not in text


# -- every sign-in method against the emulator's identity platform ------------------------------------

def emulator_settings(emu, tmp_path, **flags):
    return load_settings(emu.config_path, flags=flags, environ={"XDG_CACHE_HOME": str(tmp_path / "cache")})


def graph_roles(tokens) -> list[str]:
    return token_claims(tokens.token(GRAPH)).get("roles", [])


def test_emulator_client_secret(emulator, tmp_path):
    assert "User.ReadWrite.All" in graph_roles(MsalTokenProvider(emulator_settings(emulator, tmp_path)))


def test_emulator_certificate_pem_and_pfx(emulator, emulator_pki, tmp_path):
    extra = emulator_settings(emulator, tmp_path).emulator
    pem = tmp_path / "app-combined.pem"
    pem.write_text(Path(extra["certificate_key_path"]).read_text() + Path(extra["certificate_cert_path"]).read_text())
    tokens = MsalTokenProvider(emulator_settings(emulator, tmp_path, auth_method="certificate",
                                                 client_id=extra["certificate_client_id"], certificate_path=str(pem)))
    assert graph_roles(tokens) and extra["certificate_thumbprint"].upper() in tokens.description
    pfx = MsalTokenProvider(emulator_settings(
        emulator, tmp_path, auth_method="certificate", client_id=extra["certificate_client_id"],
        certificate_path=extra["certificate_pfx_path"], certificate_password=extra["certificate_pfx_password"]))
    assert graph_roles(pfx)


def test_emulator_certificate_subject_name_issuer(emulator, emulator_pki, tmp_path):
    extra = emulator_settings(emulator, tmp_path).emulator
    pem = tmp_path / "sni.pem"
    pem.write_text(emulator_pki.sni_key_path.read_text() + emulator_pki.sni_cert_path.read_text())
    tokens = MsalTokenProvider(emulator_settings(
        emulator, tmp_path, auth_method="certificate", client_id=extra["certificate_client_id"],
        certificate_path=str(pem), send_certificate_chain=True))
    assert graph_roles(tokens)


def test_emulator_device_code_then_silent_rerun(emulator, tmp_path):
    extra = emulator_settings(emulator, tmp_path).emulator
    settings = emulator_settings(emulator, tmp_path, auth_method="device_code", client_id=extra["public_client_id"])
    prompts = []

    def approve(prompt):
        prompts.append(prompt.user_code)
        emulator.operator.approve_device_code(prompt.user_code)

    claims = token_claims(MsalTokenProvider(settings, prompt=approve).token(GRAPH))
    assert "scp" in claims and len(prompts) == 1
    again = MsalTokenProvider(settings, prompt=approve, interactive=False)
    assert "scp" in token_claims(again.token(GRAPH)) and len(prompts) == 1
    assert again.description.startswith("device code (")
