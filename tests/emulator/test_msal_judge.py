"""The judge is the real msal, unmodified: every sign-in closegate can use must work against the
emulator exactly as against Entra, and every failure must come back with Entra's AADSTS code.

Only the URL and the trust anchor change (local-emulation.md §1.4): instance_discovery=False and an
http_client session that trusts the emulator's CA with trust_env=False (P1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
import msal
import pytest
import requests

from closegate.emulator import Emulator
from closegate.emulator.builder import ScenarioBuilder

GRAPH_DEFAULT = ["https://graph.microsoft.com/.default"]
ARM_DEFAULT = ["https://management.azure.com/.default"]
SessionFactory = Callable[[Emulator], requests.Session]


def confidential(emu: Emulator, http: requests.Session, client_id: str, credential: Any,
                 authority: str | None = None) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(client_id, client_credential=credential,
                                              authority=authority or emu.authority, instance_discovery=False,
                                              http_client=http)


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def graph_organization(emu: Emulator, http: requests.Session, token: str) -> int:
    return http.get(f"{emu.url}/v1.0/organization", headers={"Authorization": f"Bearer {token}"}).status_code


def test_client_secret(emulator: Emulator, emulator_http: requests.Session) -> None:
    assert emulator.apps is not None
    app = confidential(emulator, emulator_http, emulator.apps.read_write.client_id, emulator.apps.read_write.secret)
    first = app.acquire_token_for_client(GRAPH_DEFAULT)
    assert first["token_source"] == "identity_provider", first
    assert app.acquire_token_for_client(GRAPH_DEFAULT)["token_source"] == "cache"
    assert claims(first["access_token"])["appid"] == emulator.apps.read_write.client_id
    assert graph_organization(emulator, emulator_http, first["access_token"]) == 200


def test_client_secret_for_arm(emulator: Emulator, emulator_http: requests.Session) -> None:
    assert emulator.apps is not None
    app = confidential(emulator, emulator_http, emulator.apps.read_only.client_id, emulator.apps.read_only.secret)
    result = app.acquire_token_for_client(ARM_DEFAULT)
    assert claims(result["access_token"])["aud"] == "https://management.azure.com"
    listed = emulator_http.get(f"{emulator.url}/subscriptions?api-version=2022-12-01",
                               headers={"Authorization": f"Bearer {result['access_token']}"})
    assert listed.status_code == 200


def test_authority_by_primary_domain(emulator: Emulator, emulator_http: requests.Session) -> None:
    assert emulator.apps is not None
    app = confidential(emulator, emulator_http, emulator.apps.read_write.client_id, emulator.apps.read_write.secret,
                       authority=f"{emulator.url}/{emulator.state.primary_domain}")
    assert claims(app.acquire_token_for_client(GRAPH_DEFAULT)["access_token"])["tid"] == emulator.tenant_id


def test_certificate_pem_with_thumbprint(emulator: Emulator, emulator_http: requests.Session) -> None:
    assert emulator.apps is not None
    credential = {"private_key": emulator.pki.app_key_path.read_text(),
                  "thumbprint": emulator.pki.app_thumbprint_sha1_hex}
    app = confidential(emulator, emulator_http, emulator.apps.certificate.client_id, credential)
    result = app.acquire_token_for_client(GRAPH_DEFAULT)
    assert claims(result["access_token"])["appidacr"] == "2", result


def test_certificate_pfx_with_passphrase(emulator: Emulator, emulator_http: requests.Session) -> None:
    assert emulator.apps is not None
    credential = {"private_key_pfx_path": str(emulator.pki.app_pfx_path),
                  "passphrase": emulator.pki.app_pfx_password}
    app = confidential(emulator, emulator_http, emulator.apps.certificate.client_id, credential)
    assert "access_token" in app.acquire_token_for_client(GRAPH_DEFAULT)


def test_certificate_subject_name_and_issuer(emulator: Emulator, emulator_http: requests.Session) -> None:
    assert emulator.apps is not None
    credential = {"private_key": emulator.pki.sni_key_path.read_text(),
                  "public_certificate": emulator.pki.sni_cert_path.read_text()}
    app = confidential(emulator, emulator_http, emulator.apps.certificate.client_id, credential)
    result = app.acquire_token_for_client(GRAPH_DEFAULT)
    assert "access_token" in result, result


def test_subject_name_issuer_certificate_is_refused_without_its_chain(emulator: Emulator,
                                                                      emulator_http: requests.Session) -> None:
    from cryptography.hazmat.primitives import hashes

    assert emulator.apps is not None
    credential = {"private_key": emulator.pki.sni_key_path.read_text(),
                  "thumbprint": emulator.pki.sni_cert.fingerprint(hashes.SHA1()).hex()}  # noqa: S303
    app = confidential(emulator, emulator_http, emulator.apps.certificate.client_id, credential)
    assert app.acquire_token_for_client(GRAPH_DEFAULT)["error_codes"] == [700027]


def test_device_code_flow_then_silent_and_refresh(emulator: Emulator, emulator_http: requests.Session) -> None:
    assert emulator.apps is not None
    pca = msal.PublicClientApplication(emulator.apps.public.client_id, authority=emulator.authority,
                                       instance_discovery=False, http_client=emulator_http)
    flow = pca.initiate_device_flow(scopes=["User.Read", "Directory.Read.All"])
    assert "user_code" in flow, flow
    pending = pca.acquire_token_by_device_flow(dict(flow), exit_condition=lambda f: True)
    assert pending["error"] == "authorization_pending" and pending["error_codes"] == [70016]
    emulator.operator.approve_device_code(flow["user_code"])
    result = pca.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result
    token = claims(result["access_token"])
    assert token["scp"] == "Directory.Read.All User.Read"
    assert "62e90394-69f5-4237-9190-012177145e10" in token["wids"]  # the closing admin is a GA
    assert result["id_token_claims"]["preferred_username"] == emulator.state.closing_admin_upn
    [account] = pca.get_accounts()
    assert account["username"] == emulator.state.closing_admin_upn
    cached = pca.acquire_token_silent(["User.Read"], account=account)
    assert cached["token_source"] == "cache"
    refreshed = pca.acquire_token_silent(["User.Read"], account=account, force_refresh=True)
    assert refreshed["token_source"] == "identity_provider" and refreshed["access_token"] != result["access_token"]
    me = emulator_http.get(f"{emulator.url}/v1.0/me", headers={"Authorization": f"Bearer {refreshed['access_token']}"})
    assert me.status_code == 200 and me.json()["userPrincipalName"] == emulator.state.closing_admin_upn
    arm = pca.acquire_token_silent(ARM_DEFAULT, account=account)  # one refresh token, another resource
    assert claims(arm["access_token"])["aud"] == "https://management.azure.com"


def test_declined_device_code(emulator: Emulator, emulator_http: requests.Session) -> None:
    assert emulator.apps is not None
    pca = msal.PublicClientApplication(emulator.apps.public.client_id, authority=emulator.authority,
                                       instance_discovery=False, http_client=emulator_http)
    flow = pca.initiate_device_flow(scopes=["User.Read"])
    emulator.operator.decline_device_code(flow["user_code"])
    result = pca.acquire_token_by_device_flow(flow)
    assert result["error"] == "authorization_declined" and result["error_codes"] == [65004]


def test_bad_secret_and_unknown_client(emulator: Emulator, emulator_http: requests.Session) -> None:
    assert emulator.apps is not None
    bad = confidential(emulator, emulator_http, emulator.apps.read_write.client_id, "not-the-secret")
    assert bad.acquire_token_for_client(GRAPH_DEFAULT)["error_codes"] == [7000215]
    stranger = confidential(emulator, emulator_http, "0b1c2d3e-0000-4000-8000-000000000000", "whatever")
    result = stranger.acquire_token_for_client(GRAPH_DEFAULT)
    assert result["error"] == "unauthorized_client" and result["error_codes"] == [700016]


def test_unknown_tenant_fails_at_discovery(emulator: Emulator, emulator_http: requests.Session) -> None:
    assert emulator.apps is not None
    with pytest.raises(ValueError):
        confidential(emulator, emulator_http, emulator.apps.read_write.client_id, emulator.apps.read_write.secret,
                     authority=f"{emulator.url}/fabrikam.onmicrosoft.com")


def test_sign_in_after_the_tenant_is_deleted_is_aadsts90002(emulator_factory: Callable[..., Emulator],
                                                            trusting_session: SessionFactory) -> None:
    emu = emulator_factory(ScenarioBuilder())
    http = trusting_session(emu)
    assert emu.apps is not None
    app = confidential(emu, http, emu.apps.read_write.client_id, emu.apps.read_write.secret)
    token = app.acquire_token_for_client(GRAPH_DEFAULT)["access_token"]
    emu.operator.delete_tenant(force=True)
    app.remove_tokens_for_client()
    assert app.acquire_token_for_client(GRAPH_DEFAULT)["error_codes"] == [90002]
    assert graph_organization(emu, http, token) == 401
