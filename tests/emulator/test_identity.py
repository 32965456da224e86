"""The identity platform as a unit: discovery, grants, AADSTS errors, token minting and validation.

No sockets: requests go straight to `IdentityPlatform.handle`, and both clocks are injected (the
wall clock for token lifetimes, the tenant's simulated clock for device-code expiry).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from closegate.emulator.apps import AppRegistry, build_registry
from closegate.emulator.certs import Pki, b64url, thumbprints
from closegate.emulator.identity import IdentityPlatform
from closegate.emulator.tokens import ARM, GRAPH, Rejection, RejectionReason, TokenIssuer
from closegate.emulator.wire import Principal, Request, Response

BASE = "https://127.0.0.1:4443"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"


class FakeClock:
    def __init__(self, start: float) -> None:
        self.value = start

    def __call__(self) -> float:
        return self.value


class SimClock:
    def __init__(self) -> None:
        self._now = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


@dataclass
class FakeTenant:
    """The slice of TenantState the identity platform reads."""

    tenant_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    primary_domain: str = "contoso.onmicrosoft.com"
    display_name: str = "Contoso"
    closing_admin_upn: str = "admin@contoso.onmicrosoft.com"
    deleted: bool = False
    clock: SimClock = field(default_factory=SimClock)
    lock: Any = field(default_factory=threading.RLock)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    roles: dict[str, set[str]] = field(default_factory=dict)

    def find_user(self, key: str) -> dict[str, Any] | None:
        return self.users.get(key) or next((u for u in self.users.values()
                                            if u["userPrincipalName"].lower() == key.lower()), None)

    def active_role_template_ids(self, principal_id: str) -> set[str]:
        return set(self.roles.get(principal_id, set()))


@dataclass
class Platform:
    idp: IdentityPlatform
    tenant: FakeTenant
    apps: AppRegistry
    issuer: TokenIssuer
    wall: FakeClock
    pki: Pki
    admin_id: str

    def post(self, path: str, form: dict[str, str], headers: dict[str, str] | None = None) -> Response:
        return self.idp.handle(Request("POST", path, headers=headers or {}, body=urlencode(form).encode(),
                                       base_url=BASE))

    def get(self, path: str, query: str = "") -> Response:
        return self.idp.handle(Request("GET", path, raw_query=query, base_url=BASE))

    @property
    def token_path(self) -> str:
        return f"/{self.tenant.tenant_id}/oauth2/v2.0/token"

    @property
    def token_url(self) -> str:
        return BASE + self.token_path


@pytest.fixture
def platform(emulator_pki: Pki) -> Platform:
    tenant = FakeTenant()
    admin_id = str(uuid.uuid4())
    tenant.users[admin_id] = {"id": admin_id, "userPrincipalName": tenant.closing_admin_upn, "displayName": "Admin"}
    tenant.roles[admin_id] = {GLOBAL_ADMIN}
    apps = build_registry(emulator_pki)
    wall = FakeClock(time.time())
    lifetime: list[float | None] = [None]
    issuer = TokenIssuer(emulator_pki, tenant.tenant_id, wall=wall, lifetime=lambda: lifetime[0])
    sp_oids = {a.client_id: str(uuid.uuid4()) for a in apps.all()}
    return Platform(IdentityPlatform(tenant, apps, issuer, sp_oids), tenant, apps, issuer, wall, emulator_pki,
                    admin_id)


def body(response: Response) -> dict[str, Any]:
    return json.loads(response.body)


def assert_aadsts(response: Response, status: int, error: str, code: int) -> None:
    data = body(response)
    assert (response.status, data["error"], data["error_codes"]) == (status, error, [code]), data
    assert data["error_description"].startswith(f"AADSTS{code}: ")
    assert {"timestamp", "trace_id", "correlation_id"} <= data.keys()


def secret_form(p: Platform, scope: str = "https://graph.microsoft.com/.default", **extra: str) -> dict[str, str]:
    app = p.apps.read_write
    return {"client_id": app.client_id, "client_secret": app.secret or "", "grant_type": "client_credentials",
            "scope": scope, **extra}


def claims_of(p: Platform, token: str, audience: str) -> dict[str, Any]:
    jwks = body(p.get(f"/{p.tenant.tenant_id}/discovery/v2.0/keys"))
    key = jwt.PyJWK(jwks["keys"][0]).key
    assert jwt.get_unverified_header(token)["kid"] == jwks["keys"][0]["kid"]
    return jwt.decode(token, key, algorithms=["RS256"], audience=audience,
                      options={"verify_exp": False, "verify_iat": False, "verify_nbf": False})


def assertion(p: Platform, key: rsa.RSAPrivateKey, headers: dict[str, Any], *, alg: str = "RS256",
              aud: str | None = None, iss: str | None = None, exp_in: float = 600) -> str:
    now = p.wall()
    cid = p.apps.certificate.client_id
    claims = {"aud": aud or p.token_url, "iss": iss or cid, "sub": cid, "jti": str(uuid.uuid4()),
              "iat": now, "exp": now + exp_in}
    return jwt.encode(claims, key, algorithm=alg, headers=headers)


def assertion_form(p: Platform, token: str) -> dict[str, str]:
    return {"client_id": p.apps.certificate.client_id, "grant_type": "client_credentials",
            "scope": "https://graph.microsoft.com/.default", "client_assertion": token,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}


def load_key(path: Any) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


# -- discovery ----------------------------------------------------------------------------------


@pytest.mark.parametrize("segment", ["TENANT_ID", "contoso.onmicrosoft.com", "organizations"])
def test_openid_configuration_answers_for_guid_domain_and_organizations(platform: Platform, segment: str) -> None:
    segment = platform.tenant.tenant_id if segment == "TENANT_ID" else segment
    doc = body(platform.get(f"/{segment}/v2.0/.well-known/openid-configuration"))
    assert doc["token_endpoint"] == f"{BASE}/{segment}/oauth2/v2.0/token"
    assert doc["device_authorization_endpoint"] == f"{BASE}/{segment}/oauth2/v2.0/devicecode"
    assert doc["authorization_endpoint"] == f"{BASE}/{segment}/oauth2/v2.0/authorize"
    assert doc["issuer"] == f"{BASE}/{platform.tenant.tenant_id}/v2.0"
    assert doc["jwks_uri"] == f"{BASE}/{segment}/discovery/v2.0/keys"
    assert "private_key_jwt" in doc["token_endpoint_auth_methods_supported"]
    assert doc["msgraph_host"] == "graph.microsoft.com"


def test_unknown_tenant_is_aadsts90002(platform: Platform) -> None:
    assert_aadsts(platform.get("/fabrikam.onmicrosoft.com/v2.0/.well-known/openid-configuration"),
                  400, "invalid_request", 90002)
    assert_aadsts(platform.post("/fabrikam.onmicrosoft.com/oauth2/v2.0/token", secret_form(platform)),
                  400, "invalid_request", 90002)


def test_a_deleted_tenant_is_unknown_to_sign_in(platform: Platform) -> None:
    platform.tenant.deleted = True
    assert_aadsts(platform.post(platform.token_path, secret_form(platform)), 400, "invalid_request", 90002)


def test_instance_discovery_points_at_the_tenant_document(platform: Platform) -> None:
    tid = platform.tenant.tenant_id
    doc = body(platform.get("/common/discovery/instance",
                            urlencode({"api-version": "1.1",
                                       "authorization_endpoint": f"https://127.0.0.1/{tid}/oauth2/v2.0/authorize"})))
    assert doc["tenant_discovery_endpoint"] == f"{BASE}/{tid}/v2.0/.well-known/openid-configuration"
    assert doc["metadata"][0]["aliases"] == ["127.0.0.1:4443"]


# -- client credentials --------------------------------------------------------------------------


def test_client_secret_gets_a_graph_token_with_application_roles(platform: Platform) -> None:
    platform.tenant.roles[platform.idp.sp_oids[platform.apps.read_write.client_id]] = {GLOBAL_ADMIN}
    response = platform.post(platform.token_path, secret_form(platform))
    data = body(response)
    assert response.status == 200 and data["token_type"] == "Bearer" and data["expires_in"] == 3599
    claims = claims_of(platform, data["access_token"], "https://graph.microsoft.com")
    tid = platform.tenant.tenant_id
    assert claims["iss"] == f"https://sts.windows.net/{tid}/" and claims["tid"] == tid
    assert claims["appid"] == platform.apps.read_write.client_id
    assert claims["oid"] == platform.idp.sp_oids[platform.apps.read_write.client_id]
    assert "User.ReadWrite.All" in claims["roles"] and "scp" not in claims
    assert claims["wids"] == [GLOBAL_ADMIN]
    assert claims["exp"] - claims["iat"] == 3599 and claims["nbf"] == claims["iat"]


def test_arm_scope_gets_an_arm_audience_without_roles(platform: Platform) -> None:
    data = body(platform.post(platform.token_path, secret_form(platform, "https://management.azure.com/.default")))
    claims = claims_of(platform, data["access_token"], "https://management.azure.com")
    assert "roles" not in claims


def test_http_basic_client_authentication_is_accepted(platform: Platform) -> None:
    import base64

    app = platform.apps.read_only
    basic = base64.b64encode(f"{app.client_id}:{app.secret}".encode()).decode()
    response = platform.post(platform.token_path, {"grant_type": "client_credentials",
                                                   "scope": "https://graph.microsoft.com/.default"},
                             {"authorization": f"Basic {basic}"})
    assert response.status == 200


def test_token_lifetime_follows_the_configured_fault(emulator_pki: Pki, platform: Platform) -> None:
    issuer = TokenIssuer(emulator_pki, platform.tenant.tenant_id, wall=platform.wall, lifetime=lambda: 30.0)
    token, lifetime = issuer.app_token(platform.apps.read_write, GRAPH, "oid", certificate=False, wids=frozenset())
    assert lifetime == 30
    claims = claims_of(platform, token, "https://graph.microsoft.com")
    assert claims["exp"] - claims["iat"] == 30


@pytest.mark.parametrize(("change", "status", "error", "code"), [
    ({"client_secret": "wrong"}, 401, "invalid_client", 7000215),
    ({"client_id": "11111111-2222-3333-4444-555555555555"}, 400, "unauthorized_client", 700016),
    ({"client_secret": None}, 401, "invalid_client", 7000218),
    ({"client_id": None}, 400, "invalid_request", 900144),
    ({"scope": "User.Read.All"}, 400, "invalid_scope", 1002012),
    ({"scope": "https://vault.azure.net/.default"}, 400, "invalid_resource", 500011),
    ({"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
])
def test_client_credential_errors_carry_their_aadsts_code(platform: Platform, change: dict[str, str | None],
                                                          status: int, error: str, code: int) -> None:
    form = secret_form(platform)
    for key, value in change.items():
        if value is None:
            form.pop(key)
        else:
            form[key] = value
    assert_aadsts(platform.post(platform.token_path, form), status, error, code)


def test_a_public_client_cannot_use_client_credentials(platform: Platform) -> None:
    form = {"client_id": platform.apps.public.client_id, "grant_type": "client_credentials",
            "scope": "https://graph.microsoft.com/.default"}
    assert_aadsts(platform.post(platform.token_path, form), 401, "invalid_client", 7000218)


def test_error_correlation_id_echoes_the_client_request_id(platform: Platform) -> None:
    form = secret_form(platform, client_secret="wrong")
    data = body(platform.post(platform.token_path, form, {"client-request-id": "abc-123"}))
    assert data["correlation_id"] == "abc-123"
    assert "wrong" not in json.dumps(data)


# -- certificate assertions ----------------------------------------------------------------------


def test_rs256_assertion_with_padded_sha1_thumbprint_is_accepted(platform: Platform) -> None:
    sha1 = platform.pki.app_cert.fingerprint(hashes.SHA1())  # noqa: S303
    import base64

    padded = base64.urlsafe_b64encode(sha1).decode()  # msal keeps the '=' (P7)
    assert padded.endswith("=")
    token = assertion(platform, load_key(platform.pki.app_key_path), {"x5t": padded})
    response = platform.post(platform.token_path, assertion_form(platform, token))
    assert response.status == 200, body(response)
    claims = claims_of(platform, body(response)["access_token"], "https://graph.microsoft.com")
    assert claims["appidacr"] == "2"


def test_ps256_assertion_with_sha256_thumbprint_and_float_times_is_accepted(platform: Platform) -> None:
    platform.wall.value += 0.25  # msal sends float iat/exp
    token = assertion(platform, load_key(platform.pki.app_key_path),
                      {"x5t#S256": thumbprints(platform.pki.app_cert)[1] + "="}, alg="PS256")
    assert platform.post(platform.token_path, assertion_form(platform, token)).status == 200


def test_subject_name_issuer_assertion_is_accepted_through_x5c(platform: Platform) -> None:
    import base64

    chain = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
             for c in (platform.pki.sni_cert, platform.pki.sni_issuer_cert)]
    token = assertion(platform, load_key(platform.pki.sni_key_path),
                      {"x5t#S256": thumbprints(platform.pki.sni_cert)[1], "x5c": chain}, alg="PS256")
    assert platform.post(platform.token_path, assertion_form(platform, token)).status == 200


def test_x5c_leaf_with_right_subject_but_foreign_issuer_is_rejected(platform: Platform) -> None:
    import base64
    import datetime as dt

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.timezone.utc)
    forged = (x509.CertificateBuilder().subject_name(platform.pki.sni_cert.subject)
              .issuer_name(platform.pki.sni_issuer_cert.subject).public_key(key.public_key())
              .serial_number(1).not_valid_before(now - dt.timedelta(hours=1))
              .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    token = assertion(platform, key, {"x5t#S256": thumbprints(forged)[1],
                                      "x5c": [base64.b64encode(forged.public_bytes(serialization.Encoding.DER))
                                              .decode()]})
    assert_aadsts(platform.post(platform.token_path, assertion_form(platform, token)), 401, "invalid_client", 700027)


def test_unregistered_certificate_is_aadsts700027(platform: Platform) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = assertion(platform, key, {"x5t": b64url(b"\x01" * 20)})
    assert_aadsts(platform.post(platform.token_path, assertion_form(platform, token)), 401, "invalid_client", 700027)


def test_assertion_signed_by_another_key_fails_signature_validation(platform: Platform) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = assertion(platform, key, {"x5t": thumbprints(platform.pki.app_cert)[0]})
    response = platform.post(platform.token_path, assertion_form(platform, token))
    assert_aadsts(response, 401, "invalid_client", 700027)
    assert "signature" in body(response)["error_description"]


def test_expired_assertion_is_aadsts700024(platform: Platform) -> None:
    token = assertion(platform, load_key(platform.pki.app_key_path), {"x5t": thumbprints(platform.pki.app_cert)[0]})
    platform.wall.value += 601
    assert_aadsts(platform.post(platform.token_path, assertion_form(platform, token)), 401, "invalid_client", 700024)


def test_assertion_for_another_audience_is_rejected(platform: Platform) -> None:
    token = assertion(platform, load_key(platform.pki.app_key_path), {"x5t": thumbprints(platform.pki.app_cert)[0]},
                      aud="https://127.0.0.1:9999/other/oauth2/v2.0/token")
    assert_aadsts(platform.post(platform.token_path, assertion_form(platform, token)), 401, "invalid_client", 700027)


def test_assertion_issued_by_another_client_is_aadsts700021(platform: Platform) -> None:
    token = assertion(platform, load_key(platform.pki.app_key_path), {"x5t": thumbprints(platform.pki.app_cert)[0]},
                      iss=platform.apps.read_write.client_id)
    assert_aadsts(platform.post(platform.token_path, assertion_form(platform, token)), 401, "invalid_client", 700021)


# -- device code and refresh ---------------------------------------------------------------------


def start_device_flow(p: Platform, scope: str = "User.Read offline_access openid profile") -> dict[str, Any]:
    response = p.post(f"/{p.tenant.tenant_id}/oauth2/v2.0/devicecode",
                      {"client_id": p.apps.public.client_id, "scope": scope})
    assert response.status == 200, body(response)
    return body(response)


def poll(p: Platform, flow: dict[str, Any]) -> Response:
    return p.post(p.token_path, {"client_id": p.apps.public.client_id, "code": flow["device_code"],
                                 "device_code": flow["device_code"], "client_info": "1",
                                 "grant_type": "urn:ietf:params:oauth:grant-type:device_code"})


def decide(p: Platform, flow: dict[str, Any], approve: bool) -> None:
    from closegate.emulator.signins import DeviceCodeStatus

    status = DeviceCodeStatus.APPROVED if approve else DeviceCodeStatus.DECLINED
    assert p.idp.device_codes.decide(flow["user_code"], status, p.tenant.clock.now(),
                                     p.admin_id if approve else None) is not None


def test_device_code_is_pending_until_approved_then_issues_user_tokens(platform: Platform) -> None:
    flow = start_device_flow(platform)
    assert len(flow["user_code"]) == 9 and flow["interval"] == 1 and flow["expires_in"] == 900
    assert flow["user_code"] in flow["message"]
    assert_aadsts(poll(platform, flow), 400, "authorization_pending", 70016)
    decide(platform, flow, approve=True)
    data = body(poll(platform, flow))
    assert {"access_token", "refresh_token", "id_token", "client_info", "scope"} <= data.keys()
    import base64

    info = json.loads(base64.urlsafe_b64decode(data["client_info"] + "=="))
    assert info == {"uid": platform.admin_id, "utid": platform.tenant.tenant_id}
    claims = claims_of(platform, data["access_token"], "https://graph.microsoft.com")
    assert claims["scp"] == "User.Read" and claims["wids"] == [GLOBAL_ADMIN] and "roles" not in claims
    assert claims["upn"] == platform.tenant.closing_admin_upn and claims["appidacr"] == "0"
    id_claims = jwt.decode(data["id_token"], options={"verify_signature": False})
    assert id_claims["aud"] == platform.apps.public.client_id and id_claims["oid"] == platform.admin_id
    assert_aadsts(poll(platform, flow), 400, "invalid_grant", 70000)  # a code is redeemed once


def test_declined_device_code_is_authorization_declined(platform: Platform) -> None:
    flow = start_device_flow(platform)
    decide(platform, flow, approve=False)
    assert_aadsts(poll(platform, flow), 400, "authorization_declined", 65004)


def test_device_code_expires_on_the_tenant_clock(platform: Platform) -> None:
    flow = start_device_flow(platform)
    platform.tenant.clock.advance(timedelta(seconds=901))
    assert_aadsts(poll(platform, flow), 400, "expired_token", 70019)


def test_device_code_for_an_unconsented_scope_is_aadsts65001(platform: Platform) -> None:
    response = platform.post(f"/{platform.tenant.tenant_id}/oauth2/v2.0/devicecode",
                             {"client_id": platform.apps.public.client_id, "scope": "Mail.ReadWrite"})
    assert_aadsts(response, 400, "invalid_grant", 65001)


def test_device_code_mixing_resources_is_aadsts28000(platform: Platform) -> None:
    response = platform.post(f"/{platform.tenant.tenant_id}/oauth2/v2.0/devicecode",
                             {"client_id": platform.apps.public.client_id,
                              "scope": "User.Read https://management.azure.com/user_impersonation"})
    assert_aadsts(response, 400, "invalid_scope", 28000)


def signed_in(platform: Platform) -> dict[str, Any]:
    flow = start_device_flow(platform)
    decide(platform, flow, approve=True)
    return body(poll(platform, flow))


def refresh(p: Platform, token: str, scope: str, client_id: str | None = None) -> Response:
    return p.post(p.token_path, {"client_id": client_id or p.apps.public.client_id, "grant_type": "refresh_token",
                                 "refresh_token": token, "scope": scope, "client_info": "1"})


def test_refresh_token_redeems_for_graph_and_for_arm(platform: Platform) -> None:
    first = signed_in(platform)
    graph = body(refresh(platform, first["refresh_token"], "Directory.Read.All offline_access openid profile"))
    assert claims_of(platform, graph["access_token"], "https://graph.microsoft.com")["scp"] == "Directory.Read.All"
    arm = body(refresh(platform, graph["refresh_token"], "https://management.azure.com/.default offline_access"))
    assert claims_of(platform, arm["access_token"], "https://management.azure.com")["scp"] == "user_impersonation"


def test_refresh_token_errors(platform: Platform) -> None:
    token = signed_in(platform)["refresh_token"]
    assert_aadsts(refresh(platform, token, "User.Read", client_id=platform.apps.read_write.client_id),
                  401, "invalid_client", 7000218)
    assert_aadsts(refresh(platform, "1.Anot-a-token", "User.Read"), 400, "invalid_grant", 9002313)
    platform.wall.value += 91 * 24 * 3600
    assert_aadsts(refresh(platform, token, "User.Read"), 400, "invalid_grant", 70008)


def test_refresh_for_a_deleted_user_is_aadsts50034(platform: Platform) -> None:
    token = signed_in(platform)["refresh_token"]
    platform.tenant.users.clear()
    assert_aadsts(refresh(platform, token, "User.Read"), 400, "invalid_grant", 50034)


# -- bearer validation ---------------------------------------------------------------------------


def app_token(p: Platform, scope: str = "https://graph.microsoft.com/.default") -> str:
    return body(p.post(p.token_path, secret_form(p, scope)))["access_token"]


def test_valid_app_token_becomes_an_app_principal(platform: Platform) -> None:
    principal = platform.issuer.validate(f"Bearer {app_token(platform)}", GRAPH)
    assert isinstance(principal, Principal)
    assert principal.kind == "app" and principal.audience == "graph"
    assert principal.app_id == platform.apps.read_write.client_id
    assert "Directory.ReadWrite.All" in principal.roles and not principal.scopes


def test_valid_user_token_becomes_a_user_principal_with_scopes_and_wids(platform: Platform) -> None:
    principal = platform.issuer.validate(f"Bearer {signed_in(platform)['access_token']}", GRAPH)
    assert isinstance(principal, Principal)
    assert (principal.kind, principal.oid, principal.scopes, principal.wids) == (
        "user", platform.admin_id, frozenset({"User.Read"}), frozenset({GLOBAL_ADMIN}))


def rejection(p: Platform, header: str, resource: Any = GRAPH) -> RejectionReason:
    verdict = p.issuer.validate(header, resource)
    assert isinstance(verdict, Rejection)
    assert "eyJ" not in verdict.detail  # never echo the token
    return verdict.reason


def test_bearer_rejections_name_their_reason(platform: Platform, emulator_pki: Pki) -> None:
    token = app_token(platform)
    assert rejection(platform, "") is RejectionReason.MISSING
    assert rejection(platform, "Basic abc") is RejectionReason.MALFORMED
    assert rejection(platform, "Bearer not.a.jwt") is RejectionReason.MALFORMED
    head, payload, _ = token.split(".")
    assert rejection(platform, f"Bearer {head}.{payload}.{b64url(b'x' * 256)}") is RejectionReason.BAD_SIGNATURE
    assert rejection(platform, f"Bearer {token}", ARM) is RejectionReason.WRONG_AUDIENCE
    foreign = TokenIssuer(emulator_pki, str(uuid.uuid4()), wall=platform.wall)
    other, _ = foreign.app_token(platform.apps.read_write, GRAPH, "oid", certificate=False, wids=frozenset())
    assert rejection(platform, f"Bearer {other}") is RejectionReason.FOREIGN_TENANT
    platform.wall.value += 3600
    assert rejection(platform, f"Bearer {token}") is RejectionReason.EXPIRED
