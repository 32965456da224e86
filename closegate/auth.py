"""Sign-in to Microsoft Entra with msal (the only importer of msal): client secret, certificate, device code.

Everything else asks a `TokenProvider` for a bearer token per resource (Graph or ARM audience) and
tells it when Graph rejected one. Tokens are cached here with a small safety margin because msal
treats any token closer than five minutes to expiry as expired and would fetch a new one on every
call for short-lived tokens. No secret or token ever enters a message, log line or exception.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import msal
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from closegate.config import Secret, Settings
from closegate.errors import AuthError, ConfigError, TransportError
from closegate.files import write_atomic
from closegate.graph.transport import TRANSPORT_ERRORS, new_session

__all__ = ["DeviceCodePrompt", "MsalTokenProvider", "TokenProvider", "token_claims"]


class TokenProvider(Protocol):
    def token(self, resource: str) -> str:
        """A bearer token for `resource` (e.g. "https://graph.microsoft.com"), fresh or cached."""
        ...

    def invalidate(self, resource: str) -> None:
        """Forget the token for `resource`: the API rejected it (expired or revoked)."""
        ...


@dataclass(frozen=True)
class DeviceCodePrompt:
    message: str  # msal's instruction text: open the URL and enter the code
    user_code: str
    verification_uri: str


def _stderr_prompt(prompt: DeviceCodePrompt) -> None:
    print(prompt.message, file=sys.stderr, flush=True)


# AADSTS code -> (cause, fix). Codes from the Entra error-code reference as returned by the token
# endpoint (error_codes); Graph-facts §10 lists how msal returns them (error + error_description).
_AADSTS: dict[int, tuple[str, str]] = {
    7000215: ("the client secret is not valid for this app",
              "copy the secret's Value (not its ID) from App registrations > Certificates & secrets, "
              "or create a new one"),
    7000222: ("the client secret has expired", "create a new client secret and update AZURE_CLIENT_SECRET"),
    700016: ("no application with this client id exists in the tenant",
             "check client_id and the tenant id, and that the app is registered or consented in this tenant"),
    90002: ("the tenant was not found", "check [tenant] id and the cloud (global, usgov, usgovdod, china)"),
    900023: ("the tenant identifier is not valid", "give the tenant GUID or a verified domain"),
    700027: ("the certificate assertion was rejected",
             "upload this certificate's public part to the app registration (Certificates & secrets); "
             "with send_certificate_chain, configure subject-name/issuer trust on the app"),
    700024: ("the client assertion is outside its valid time range", "correct this machine's clock"),
    7000112: ("the application is disabled in the tenant", "enable its enterprise application (Properties > Enabled)"),
    70011: ("the requested scope is not valid", "check the cloud setting; scopes are the resource + /.default"),
    65001: ("the app's permissions have not been consented",
            "grant admin consent on the app registration's API permissions page"),
    50076: ("multifactor authentication is required", "sign in again and complete the MFA prompt"),
    50079: ("the account must register for multifactor authentication", "register MFA, then sign in again"),
    53003: ("Conditional Access blocked the sign-in", "sign in from a device and location the policies allow"),
    50034: ("the account does not exist in this tenant", "sign in with an administrator account of this tenant"),
    50126: ("the user name or password is wrong", "sign in again"),
    70043: ("the saved sign-in has expired", "run again and sign in with the device code"),
    700082: ("the saved sign-in has expired", "run again and sign in with the device code"),
    7000218: ("the app does not allow public client flows",
              "enable App registrations > Authentication > Allow public client flows for device code sign-in"),
    500011: ("the resource is not provisioned in this tenant", "check the cloud setting matches the tenant"),
}
_ERRORS: dict[str, tuple[str, str]] = {
    "authorization_declined": ("the administrator declined the device-code sign-in", "run again and accept"),
    "expired_token": ("the device code expired before sign-in finished", "run again and sign in within 15 minutes"),
    "invalid_instance": ("the authority host is not a known Entra host",
                         "use cloud = \"custom\" with [cloud] authority_host for a non-Microsoft host"),
    "invalid_client": ("the client credential was rejected", "check the secret or certificate of the app registration"),
}


class MsalTokenProvider:
    """One msal application for the configured credential; thread-safe token(resource)."""

    def __init__(
        self,
        settings: Settings,
        *,
        prompt: Callable[[DeviceCodePrompt], None] = _stderr_prompt,
        interactive: bool = True,
        clock: Callable[[], float] = time.time,
        http_client: Any = None,
    ) -> None:
        self.settings = settings
        self.kind = "user" if settings.auth.method == "device_code" else "app"
        self._prompt = prompt
        self._interactive = interactive
        self._clock = clock
        self._http = http_client or new_session(pool_size=2, ca_bundle=settings.cloud.ca_bundle,
                                                timeout=settings.timeout_seconds)
        self._authority = f"{settings.cloud.authority_host}/{settings.tenant_id}"
        self._credential = _credential(settings) if self.kind == "app" else None
        self._cache = msal.SerializableTokenCache() if self.kind == "user" else msal.TokenCache()
        if self.kind == "user":
            _load_cache(self._cache, settings.token_cache_path)
        self._app: msal.ClientApplication | None = None
        self._tokens: dict[str, tuple[str, float]] = {}
        self._stale: set[str] = set()
        self._lock = threading.Lock()
        self.token_requests = 0
        self.account_username: str | None = None

    @property
    def description(self) -> str:
        auth = self.settings.auth
        if auth.method == "client_secret":
            return "client secret"
        if auth.method == "certificate":
            thumb = self._credential.get("thumbprint", "") if isinstance(self._credential, dict) else ""
            kind = "certificate (subject name/issuer)" if auth.send_certificate_chain else "certificate"
            return f"{kind} {thumb}".strip()
        return f"device code ({self.account_username})" if self.account_username else "device code"

    def token(self, resource: str) -> str:
        with self._lock:
            cached = self._tokens.get(resource)
            if cached and cached[1] > self._clock() and resource not in self._stale:
                return cached[0]
            result = self._acquire(resource)
            lifetime = float(result.get("expires_in") or 300)
            # Renew a little before expiry: 10% of the lifetime, at most one minute.
            self._tokens[resource] = (result["access_token"], self._clock() + lifetime - min(60.0, lifetime / 10))
            self._stale.discard(resource)
            return result["access_token"]

    def invalidate(self, resource: str) -> None:
        with self._lock:
            self._tokens.pop(resource, None)
            self._stale.add(resource)

    # -- msal -----------------------------------------------------------------------------------

    def _application(self) -> msal.ClientApplication:
        if self._app is None:
            # instance_discovery=False only for a custom authority host: msal would otherwise ask
            # login.microsoftonline.com about it (local-emulation.md P5); Microsoft hosts keep the check.
            common: dict[str, Any] = {
                "authority": self._authority,
                "http_client": self._http,
                "token_cache": self._cache,
                "app_name": "closegate",
            }
            if self.settings.cloud.is_custom:
                common["instance_discovery"] = False
            try:
                if self.kind == "user":
                    self._app = msal.PublicClientApplication(self.settings.auth.client_id, **common)
                else:
                    self._app = msal.ConfidentialClientApplication(
                        self.settings.auth.client_id, client_credential=self._credential, **common)
            except ValueError as exc:
                raise self._discovery_error() or AuthError(
                    f"msal rejected the authority {self._authority} ({_first_line(exc)})",
                    "check [tenant] id and the cloud's authority_host") from exc
            except TRANSPORT_ERRORS as exc:
                raise TransportError(f"cannot reach the sign-in service {self.settings.cloud.authority_host}",
                                     "check connectivity and the CA bundle of a custom cloud") from exc
        return self._app

    def _discovery_error(self) -> AuthError | None:
        """The AADSTS error behind a failed tenant discovery (msal keeps only "Unable to get authority
        configuration"): an unknown tenant answers 400 with AADSTS90002 there."""
        try:
            resp = self._http.get(f"{self._authority}/v2.0/.well-known/openid-configuration")
            body = resp.json() if resp.status_code >= 400 else None
        except (*TRANSPORT_ERRORS, ValueError):
            return None
        return _auth_error(body) if isinstance(body, dict) and body.get("error") else None

    def _acquire(self, resource: str) -> dict[str, Any]:
        scopes = [f"{resource}/.default"]
        force = resource in self._stale
        try:
            app = self._application()
            if self.kind == "app":
                if force:
                    app.remove_tokens_for_client()
                result = app.acquire_token_for_client(scopes)
            else:
                result = self._acquire_user(app, scopes, force)
        except TRANSPORT_ERRORS as exc:
            self._app = None
            raise TransportError(f"cannot reach the sign-in service {self.settings.cloud.authority_host}",
                                 "check connectivity and the CA bundle of a custom cloud") from exc
        except msal.exceptions.MsalServiceError as exc:
            # msal caches 429/5xx answers per app (local-emulation.md P8): start afresh next time.
            self._app = None
            raise AuthError(f"the sign-in service failed ({_first_line(exc)})", "wait a minute and run again") from exc
        self.token_requests += 1
        if "access_token" not in result:
            self._app = None  # P8: a cached 400 would be replayed for 60 s by the same app
            raise _auth_error(result)
        if self.kind == "user":
            _save_cache(self._cache, self.settings.token_cache_path)
        return result

    def _acquire_user(self, app: Any, scopes: list[str], force: bool) -> dict[str, Any]:
        accounts = app.get_accounts()
        if accounts:
            self.account_username = accounts[0].get("username")
            silent = app.acquire_token_silent(scopes, account=accounts[0], force_refresh=force)
            if silent and "access_token" in silent:
                return dict(silent)
        if not self._interactive:
            raise AuthError("no saved sign-in for this tenant and app", "run closegate doctor at a terminal to sign in")
        flow = app.initiate_device_flow(scopes=scopes)
        if "user_code" not in flow:
            raise _auth_error(flow)
        self._prompt(DeviceCodePrompt(flow.get("message", ""), flow["user_code"], flow.get("verification_uri", "")))
        result = dict(app.acquire_token_by_device_flow(flow))
        claims = result.get("id_token_claims") or {}
        self.account_username = claims.get("preferred_username") or self.account_username
        return result


def token_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT access token, unverified: only to show the caller what it was granted.

    Graph validates the token; closegate reads `roles`/`scp`/`oid` for `doctor` and the caller fact.
    """
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise AuthError("the access token is not a JWT", "sign-in returned an unexpected token; run again") from exc
    if not isinstance(data, dict):
        raise AuthError("the access token is not a JWT", "sign-in returned an unexpected token; run again")
    return data


def _auth_error(result: dict[str, Any]) -> AuthError:
    codes = result.get("error_codes") or []
    code = int(codes[0]) if codes and str(codes[0]).isdigit() else 0
    if not code:
        m = re.search(r"AADSTS(\d+)", str(result.get("error_description", "")))
        code = int(m.group(1)) if m else 0
    error = str(result.get("error", "error"))
    cause, fix = _AADSTS.get(code) or _ERRORS.get(error) or (
        f"sign-in failed ({error})", "check the tenant, client id and credential in the configuration")
    label = f"AADSTS{code}" if code else error
    return AuthError(f"sign-in failed: {cause} ({label})", fix, code=label)


def _credential(settings: Settings) -> Any:
    auth = settings.auth
    if auth.method == "client_secret":
        assert auth.client_secret is not None  # config.py guarantees it
        return auth.client_secret.reveal()
    assert auth.certificate_path is not None
    return _certificate_credential(auth.certificate_path, auth.certificate_password, auth.send_certificate_chain)


_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", re.S)


def _certificate_credential(path: Path, password: Secret | None, send_chain: bool) -> dict[str, Any]:
    """msal's client_credential dict for a PEM (key + certificate) or PFX file (graph-facts §10).

    The file is opened here first so a wrong password, a missing key or an expired certificate is
    reported as such, not as an opaque assertion failure from the token endpoint.
    """
    secret = password.reveal().encode() if password else None
    data = path.read_bytes()
    if path.suffix.lower() in {".pfx", ".p12"}:
        try:
            key, cert, _extra = pkcs12.load_key_and_certificates(data, secret)
        except ValueError as exc:
            raise ConfigError(f"cannot open {path.name}: wrong password or not a PFX file",
                              "check certificate_password / AZURE_CLIENT_CERTIFICATE_PASSWORD") from exc
        if key is None or cert is None:
            raise ConfigError(f"{path.name} holds no private key and certificate", "export the PFX with its key")
        _check_validity(cert, path)
        cred: dict[str, Any] = {"private_key_pfx_path": str(path), "thumbprint": _thumbprint(cert)}
        if password is not None:
            cred["passphrase"] = password.reveal()
        if send_chain:
            cred["public_certificate"] = True  # msal >= 1.30 sends x5c from the PFX
        return cred
    text = data.decode("utf-8", errors="replace")
    blocks = [m.group(0) for m in _PEM_BLOCK.finditer(text)]
    keys = [b for b in blocks if "PRIVATE KEY-----" in b.splitlines()[0]]
    certs = [b for b in blocks if b.startswith("-----BEGIN CERTIFICATE-----")]
    if not keys or not certs:
        raise ConfigError(f"{path.name} must hold a PEM private key and its certificate",
                          "concatenate the key and certificate PEM files, or use a .pfx")
    try:
        serialization.load_pem_private_key(keys[0].encode(), secret)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"cannot open the private key in {path.name}: wrong or missing password",
                          "check certificate_password / AZURE_CLIENT_CERTIFICATE_PASSWORD") from exc
    leaf = x509.load_pem_x509_certificate(certs[0].encode())
    _check_validity(leaf, path)
    cred = {"private_key": keys[0], "thumbprint": _thumbprint(leaf)}
    if password is not None:
        cred["passphrase"] = password.reveal()
    if send_chain:
        cred["public_certificate"] = "\n".join(certs)
    return cred


def _thumbprint(cert: x509.Certificate) -> str:
    # The SHA-1 thumbprint Entra shows under Certificates & secrets, as msal expects it (hex).
    return cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - an identifier, not a signature


def _check_validity(cert: x509.Certificate, path: Path) -> None:
    now = datetime.now(timezone.utc)
    if cert.not_valid_after_utc < now:
        raise AuthError(f"the certificate in {path.name} expired on {cert.not_valid_after_utc:%Y-%m-%d}",
                        "create a new certificate and upload its public part to the app registration")
    if cert.not_valid_before_utc > now:
        raise AuthError(f"the certificate in {path.name} is not valid before {cert.not_valid_before_utc:%Y-%m-%d}",
                        "check this machine's clock")


def _load_cache(cache: msal.SerializableTokenCache, path: Path) -> None:
    try:
        cache.deserialize(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return
    except (OSError, ValueError) as exc:
        raise ConfigError(f"the token cache {path} cannot be read", "delete it; the next run signs in again") from exc


def _save_cache(cache: msal.SerializableTokenCache, path: Path) -> None:
    if not cache.has_state_changed:
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(path, cache.serialize())  # 0600 from the start: the cache holds refresh tokens
    cache.has_state_changed = False


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
