"""The Microsoft identity platform of the emulated tenant: discovery, token endpoint, device code, JWKS.

msal talks to this exactly as to login.microsoftonline.com (local-emulation.md §1); only the host and
the trust anchor differ. Errors carry Entra's AADSTS shape (status, error, error_description with
the AADSTS number, error_codes, timestamp, trace_id, correlation_id) because msal hands that dict
straight to its caller and closegate maps the codes to advice.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote, urlsplit

from closegate.emulator.apps import AppKind, AppRegistry, RegisteredApp
from closegate.emulator.assertions import verify_client_assertion
from closegate.emulator.signins import (
    REFRESH_TOKEN_LIFETIME,
    DeviceCodeStatus,
    DeviceCodeStore,
    RefreshGrant,
    RefreshTokenStore,
)
from closegate.emulator.tokens import ARM, GRAPH, Resource, TokenIssuer, client_info
from closegate.emulator.wire import Request, Response, json_response

__all__ = ["IdentityPlatform", "TokenError"]

_ROUTE = re.compile(r"^/(?P<tenant>[^/]+)/(?P<rest>v2\.0/\.well-known/openid-configuration|oauth2/v2\.0/token"
                    r"|oauth2/v2\.0/devicecode|discovery/v2\.0/keys|discovery/keys)$")
_JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
_ANY_TENANT = frozenset({"common", "organizations"})


class TokenError(Exception):
    """An AADSTS answer: raised inside a grant handler, rendered once by `IdentityPlatform.handle`."""

    def __init__(self, status: int, error: str, code: int, text: str) -> None:
        super().__init__(f"AADSTS{code}: {text}")
        self.status, self.error, self.code, self.text = status, error, code, text


def _fail(status: int, error: str, code: int, text: str) -> TokenError:
    return TokenError(status, error, code, text)


class IdentityPlatform:
    def __init__(self, state: Any, registry: AppRegistry, issuer: TokenIssuer, sp_oids: dict[str, str], *,
                 device_interval: int = 1) -> None:
        self.state = state
        self.registry = registry
        self.issuer = issuer
        self.sp_oids = sp_oids  # client id -> service principal object id
        self.device_codes = DeviceCodeStore()
        self.refresh_tokens = RefreshTokenStore()
        self.device_interval = device_interval

    @staticmethod
    def handles(path: str) -> bool:
        return path == "/common/discovery/instance" or _ROUTE.match(path) is not None

    # -- routing ---------------------------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        try:
            if req.path == "/common/discovery/instance":
                return self._instance_discovery(req)
            match = _ROUTE.match(req.path)
            if match is None:
                return json_response(404, {"error": "not_found"})
            tenant, rest = unquote(match["tenant"]), match["rest"]
            self._resolve_tenant(tenant)
            if rest.endswith("openid-configuration") and req.method == "GET":
                return json_response(200, self.openid_configuration(req.base_url, tenant))
            if rest.startswith("discovery") and req.method == "GET":
                return json_response(200, self.issuer.jwks())
            if rest.endswith("/token") and req.method == "POST":
                return self._token(req)
            if rest.endswith("/devicecode") and req.method == "POST":
                return self._devicecode(req)
            raise _fail(405, "invalid_request", 900561, "The endpoint only accepts POST requests.")
        except TokenError as exc:
            return self._error(req, exc)

    def _error(self, req: Request, exc: TokenError) -> Response:
        now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        trace, correlation = str(uuid.uuid4()), req.header("client-request-id") or str(uuid.uuid4())
        description = (f"AADSTS{exc.code}: {exc.text} Trace ID: {trace} Correlation ID: {correlation} "
                       f"Timestamp: {now}")
        body = {"error": exc.error, "error_description": description, "error_codes": [exc.code],
                "timestamp": now, "trace_id": trace, "correlation_id": correlation,
                "error_uri": f"{req.base_url}/error?code={exc.code}"}
        return json_response(exc.status, body, [("x-ms-request-id", trace)])

    def _resolve_tenant(self, segment: str) -> None:
        state = self.state
        known = {state.tenant_id.lower(), state.primary_domain.lower()}
        if state.deleted or (segment.lower() not in known and segment.lower() not in _ANY_TENANT):
            raise _fail(400, "invalid_request", 90002,
                        f"Tenant '{segment}' not found. Check to make sure you have the correct tenant ID and are "
                        "signing into the correct cloud. Check with your subscription administrator, this may "
                        "happen if there are no active subscriptions for the tenant.")

    # -- discovery -------------------------------------------------------------------------------

    def openid_configuration(self, base: str, tenant: str) -> dict[str, Any]:
        """The Entra v2.0 document (field set from local-emulation.md §1.2)."""
        root = f"{base}/{tenant}"
        return {
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{root}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/{self.state.tenant_id}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{base}/oidc/userinfo",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
                                 "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce",
                                 "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
            "kerberos_endpoint": f"{root}/kerberos",
            "tenant_region_scope": "NA",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }

    def _instance_discovery(self, req: Request) -> Response:
        # msal drops the port from authorization_endpoint here (local-emulation.md §1.1); only the
        # tenant segment of it matters.
        parts = urlsplit(req.query.get("authorization_endpoint", "")).path.strip("/").split("/")
        tenant = parts[0] if parts and parts[0] else "common"
        host = urlsplit(req.base_url).netloc
        return json_response(200, {
            "tenant_discovery_endpoint": f"{req.base_url}/{tenant}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}]})

    # -- token endpoint --------------------------------------------------------------------------

    def _app(self, form: dict[str, str], basic: tuple[str, str] | None) -> RegisteredApp:
        client_id = form.get("client_id") or (basic[0] if basic else "")
        if not client_id:
            raise _fail(400, "invalid_request", 900144,
                        "The request body must contain the following parameter: 'client_id'.")
        app = self.registry.find(client_id)
        if app is None:
            raise _fail(400, "unauthorized_client", 700016,
                        f"Application with identifier '{client_id}' was not found in the directory "
                        f"'{self.state.display_name}'. This can happen if the application has not been installed "
                        "by the administrator of the tenant or consented to by any user in the tenant. You may "
                        "have sent your authentication request to the wrong tenant.")
        return app

    @staticmethod
    def _basic_auth(req: Request) -> tuple[str, str] | None:
        scheme, _, value = req.header("authorization").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(value).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return unquote(user), unquote(password)

    def _authenticate_client(self, req: Request, app: RegisteredApp, form: dict[str, str],
                             basic: tuple[str, str] | None) -> bool:
        """Check the confidential client's credential; True when it used a certificate."""
        if app.kind is not AppKind.CONFIDENTIAL:
            raise _fail(401, "invalid_client", 7000218, "The request body must contain the following parameter: "
                        "'client_assertion' or 'client_secret'. The application is a public client.")
        if "client_assertion" in form:
            if form.get("client_assertion_type") != _JWT_BEARER:
                raise _fail(400, "invalid_request", 50027, "JWT token is invalid or malformed: unsupported "
                            "client_assertion_type.")
            failure = verify_client_assertion(app, form["client_assertion"], req.base_url + req.path,
                                              self.issuer.wall())
            if failure is not None:
                raise _fail(401, "invalid_client", failure.code, failure.text)
            return True
        secret = form.get("client_secret") or (basic[1] if basic else None)
        if secret is None:
            raise _fail(401, "invalid_client", 7000218, "The request body must contain the following parameter: "
                        "'client_assertion' or 'client_secret'.")
        if not app.secret_matches(secret):
            raise _fail(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being "
                        f"sent in the request is the client secret value, not the client secret ID, for a secret "
                        f"added to app '{app.client_id}'.")
        return False

    def _token(self, req: Request) -> Response:
        form = req.form()
        basic = self._basic_auth(req)
        app = self._app(form, basic)
        grant = form.get("grant_type", "")
        if grant == "client_credentials":
            certificate = self._authenticate_client(req, app, form, basic)
            return self._client_credentials(app, form, certificate)
        if grant in (_DEVICE_GRANT, "device_code"):
            return self._device_code_grant(req, app, form)
        if grant == "refresh_token":
            if app.kind is AppKind.CONFIDENTIAL:  # a confidential client proves itself on every grant
                self._authenticate_client(req, app, form, basic)
            return self._refresh_grant(req, app, form)
        raise _fail(400, "unsupported_grant_type", 70003,
                    f"The app requested an unsupported grant type '{grant}'.")

    def _client_credentials(self, app: RegisteredApp, form: dict[str, str], certificate: bool) -> Response:
        scopes = [s for s in form.get("scope", "").split() if s not in _OIDC_SCOPES]
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            raise _fail(400, "invalid_scope", 1002012, f"The provided value for scope {form.get('scope', '')} is "
                        "not valid. Client credential flows must have a scope value with /.default suffixed to "
                        "the resource identifier (application ID URI).")
        resource = self._resource_of(scopes[0])
        sp_oid = self.sp_oids[app.client_id]
        with self.state.lock:
            wids = frozenset(self.state.active_role_template_ids(sp_oid))
        token, lifetime = self.issuer.app_token(app, resource, sp_oid, certificate=certificate, wids=wids)
        return json_response(200, {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                                   "access_token": token})

    def _resource_of(self, scope: str) -> Resource:
        """Which API a scope is for: `<resource>/<permission>`; a bare permission means Graph."""
        if "/" not in scope:
            return GRAPH
        resource_uri = scope.rsplit("/", 1)[0] if not scope.endswith("//.default") else scope[:-len("/.default")]
        for resource in (GRAPH, ARM):
            if resource_uri in resource.aliases or resource_uri + "/" in resource.aliases:
                return resource
        raise _fail(400, "invalid_resource", 500011, f"The resource principal named {resource_uri} was not "
                    f"found in the tenant named {self.state.display_name}. This can happen if the application "
                    "has not been installed by the administrator of the tenant or consented to by any user in "
                    "the tenant. You might have sent your authentication request to the wrong tenant.")

    def _delegated(self, app: RegisteredApp, requested: list[str]) -> tuple[Resource, frozenset[str]]:
        """The single resource and the delegated permissions a user-token request resolves to."""
        api_scopes = [s for s in requested if s not in _OIDC_SCOPES] or ["User.Read"]
        resources = {self._resource_of(s) for s in api_scopes}
        if len(resources) != 1:
            raise _fail(400, "invalid_scope", 28000, "Provided value for the input parameter scope is not valid "
                        "because it contains more than one resource.")
        resource = resources.pop()
        if resource is ARM:
            return ARM, frozenset({"user_impersonation"})
        names = {s.rsplit("/", 1)[-1] for s in api_scopes}
        if ".default" in names:
            return GRAPH, app.delegated_scopes
        missing = sorted(names - app.delegated_scopes)
        if missing:
            raise _fail(400, "invalid_grant", 65001, f"The user or administrator has not consented to use the "
                        f"application with ID '{app.client_id}' named '{app.display_name}'. Send an interactive "
                        f"authorization request for this user and resource. Missing: {' '.join(missing)}.")
        return GRAPH, frozenset(names)

    def _user_tokens(self, req: Request, app: RegisteredApp, user_id: str, requested: list[str]) -> Response:
        resource, scopes = self._delegated(app, requested)
        with self.state.lock:
            user = self.state.find_user(user_id)
            if user is None:
                raise _fail(400, "invalid_grant", 50034, "The user account does not exist in the directory. "
                            "To sign into this application, the account must be added to the directory.")
            wids = frozenset(self.state.active_role_template_ids(user["id"]))
        token, lifetime = self.issuer.user_token(app, resource, user, scopes, wids)
        refresh = self.refresh_tokens.issue(RefreshGrant(app.client_id, user["id"], app.delegated_scopes,
                                                         self.issuer.wall() + REFRESH_TOKEN_LIFETIME))
        id_token = self.issuer.id_token(app, user, f"{req.base_url}/{self.state.tenant_id}/v2.0", wids)
        return json_response(200, {"token_type": "Bearer", "scope": " ".join(requested), "expires_in": lifetime,
                                   "ext_expires_in": lifetime, "access_token": token, "refresh_token": refresh,
                                   "id_token": id_token, "client_info": client_info(user["id"], self.state.tenant_id)})

    # -- device code -----------------------------------------------------------------------------

    def _devicecode(self, req: Request) -> Response:
        form = req.form()
        app = self._app(form, None)
        if app.kind is not AppKind.PUBLIC:
            raise _fail(400, "invalid_client", 7000218, "The request body must contain the following parameter: "
                        "'client_assertion' or 'client_secret'.")
        requested = form.get("scope", "").split()
        self._delegated(app, requested)
        code = self.device_codes.create(app.client_id, tuple(requested), self.state.clock.now())
        uri = f"{req.base_url}/_emulator/device-codes"
        return json_response(200, {
            "user_code": code.user_code, "device_code": code.device_code, "verification_uri": uri,
            "expires_in": int((code.expires - self.state.clock.now()).total_seconds()),
            "interval": self.device_interval,
            "message": f"To sign in, use a web browser to open the page {uri} and enter the code {code.user_code} "
                       "to authenticate."})

    def _device_code_grant(self, req: Request, app: RegisteredApp, form: dict[str, str]) -> Response:
        code = self.device_codes.get(form.get("device_code") or form.get("code") or "")
        if code is None or code.client_id != app.client_id or code.status is DeviceCodeStatus.REDEEMED:
            raise _fail(400, "invalid_grant", 70000, "The provided value for the input parameter 'device_code' is "
                        "not valid.")
        if code.status is DeviceCodeStatus.DECLINED:
            # AADSTS65004 UserDeclinedConsent: Entra's code for a person saying no.
            raise _fail(400, "authorization_declined", 65004, "User declined to consent to access the app.")
        if code.expired(self.state.clock.now()):
            raise _fail(400, "expired_token", 70019, "Verification code expired.")
        if code.status is DeviceCodeStatus.PENDING:
            raise _fail(400, "authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is "
                        "pending. Continue polling.")
        self.device_codes.redeem(code.device_code)
        assert code.user_id is not None  # APPROVED always carries the approving user
        return self._user_tokens(req, app, code.user_id, list(code.scopes))

    def _refresh_grant(self, req: Request, app: RegisteredApp, form: dict[str, str]) -> Response:
        grant = self.refresh_tokens.get(form.get("refresh_token", ""))
        if grant is None or grant.client_id != app.client_id:
            raise _fail(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
        if grant.expires <= self.issuer.wall():
            raise _fail(400, "invalid_grant", 70008, "The provided authorization code or refresh token has "
                        "expired due to inactivity. Send a new interactive authorization request for this user "
                        "and resource.")
        return self._user_tokens(req, app, grant.user_id, form.get("scope", "").split())
