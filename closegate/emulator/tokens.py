"""Access tokens: minted the way Entra mints v1 tokens for Graph and ARM, and validated like they do.

Graph and ARM only ever see a bearer string; this module is where that string becomes a `Principal`
or a precise reason for a 401. Lifetimes run on the real wall clock (injected, for tests), never on
the tenant's simulated clock, because msal caches tokens against real time.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization

from closegate.emulator.apps import RegisteredApp
from closegate.emulator.certs import Pki, b64url, thumbprints
from closegate.emulator.wire import Principal

__all__ = ["ARM", "GRAPH", "Rejection", "RejectionReason", "Resource", "TokenIssuer", "client_info"]

DEFAULT_LIFETIME = 3599  # seconds; what Entra reports as expires_in for a fresh token


@dataclass(frozen=True)
class Resource:
    """A token audience: its short name in `Principal.audience` and the URIs that name it."""

    name: str  # "graph" | "arm"
    uri: str  # the canonical audience written into tokens
    aliases: frozenset[str]  # every resource URI Entra accepts for it (with and without '/')


GRAPH = Resource("graph", "https://graph.microsoft.com",
                 frozenset({"https://graph.microsoft.com", "https://graph.microsoft.com/",
                            "00000003-0000-0000-c000-000000000000"}))
ARM = Resource("arm", "https://management.azure.com",
               frozenset({"https://management.azure.com", "https://management.azure.com/",
                          "https://management.core.windows.net", "https://management.core.windows.net/"}))


class RejectionReason(Enum):
    MISSING = "missing"
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    WRONG_AUDIENCE = "wrong_audience"
    FOREIGN_TENANT = "foreign_tenant"
    TENANT_DELETED = "tenant_deleted"


@dataclass(frozen=True)
class Rejection:
    reason: RejectionReason
    detail: str  # safe to show: never contains the token
    expired_at: float | None = None


def client_info(oid: str, tenant_id: str) -> str:
    """msal builds its Account from this (local-emulation.md P9): base64url {"uid","utid"}."""
    raw = json.dumps({"uid": oid, "utid": tenant_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class TokenIssuer:
    def __init__(self, pki: Pki, tenant_id: str, *, wall: Callable[[], float] = time.time,
                 lifetime: Callable[[], float | None] = lambda: None) -> None:
        self._key = pki.signing_key
        self._public_key = pki.signing_key.public_key()
        self._kid = thumbprints(pki.signing_cert)[0]
        self._cert_der = pki.signing_cert.public_bytes(serialization.Encoding.DER)
        self.tenant_id = tenant_id
        self.wall = wall
        self._lifetime = lifetime

    @property
    def issuer(self) -> str:
        return f"https://sts.windows.net/{self.tenant_id}/"

    def lifetime(self) -> int:
        configured = self._lifetime()
        return DEFAULT_LIFETIME if configured is None else max(1, int(configured))

    def jwks(self) -> dict[str, Any]:
        numbers = self._public_key.public_numbers()
        n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
        e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
        return {"keys": [{"kty": "RSA", "use": "sig", "kid": self._kid, "x5t": self._kid, "n": b64url(n),
                          "e": b64url(e), "x5c": [base64.b64encode(self._cert_der).decode("ascii")],
                          "issuer": f"https://login.microsoftonline.com/{self.tenant_id}/v2.0"}]}

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self._kid, "x5t": self._kid})

    def _base_claims(self, audience: str, now: int, lifetime: int) -> dict[str, Any]:
        return {"aud": audience, "iss": self.issuer, "iat": now, "nbf": now, "exp": now + lifetime,
                "tid": self.tenant_id, "ver": "1.0", "uti": b64url(uuid.uuid4().bytes),
                "idp": self.issuer, "tenant_region_scope": "NA"}

    def app_token(self, app: RegisteredApp, resource: Resource, sp_oid: str, *, certificate: bool,
                  wids: frozenset[str]) -> tuple[str, int]:
        now, lifetime = int(self.wall()), self.lifetime()
        claims = self._base_claims(resource.uri, now, lifetime)
        claims.update({"appid": app.client_id, "app_displayname": app.display_name, "idtyp": "app",
                       "appidacr": "2" if certificate else "1", "oid": sp_oid, "sub": sp_oid})
        # ARM authorizes with Azure RBAC, not app roles, so its tokens carry no `roles`.
        if resource is GRAPH and app.roles:
            claims["roles"] = sorted(app.roles)
        if wids:
            claims["wids"] = sorted(wids)
        return self._sign(claims), lifetime

    def user_token(self, app: RegisteredApp, resource: Resource, user: dict[str, Any], scopes: frozenset[str],
                   wids: frozenset[str]) -> tuple[str, int]:
        now, lifetime = int(self.wall()), self.lifetime()
        claims = self._base_claims(resource.uri, now, lifetime)
        upn = user.get("userPrincipalName", "")
        claims.update({"appid": app.client_id, "app_displayname": app.display_name, "appidacr": "0",
                       "idtyp": "user", "oid": user["id"], "sub": b64url(uuid.uuid5(uuid.NAMESPACE_URL,
                       f"{user['id']}/{app.client_id}").bytes), "upn": upn, "unique_name": upn,
                       "name": user.get("displayName") or upn, "amr": ["pwd", "mfa"],
                       "scp": " ".join(sorted(scopes)), "wids": sorted(wids)})
        return self._sign(claims), lifetime

    def id_token(self, app: RegisteredApp, user: dict[str, Any], issuer: str, wids: frozenset[str]) -> str:
        now = int(self.wall())
        upn = user.get("userPrincipalName", "")
        # wids in the ID token: graph-facts §7 (the place a client may read its roles from).
        return self._sign({"aud": app.client_id, "iss": issuer, "iat": now, "nbf": now, "exp": now + 3600,
                           "tid": self.tenant_id, "oid": user["id"], "sub": user["id"], "ver": "2.0",
                           "preferred_username": upn, "name": user.get("displayName") or upn,
                           "wids": sorted(wids)})

    def validate(self, header_value: str, resource: Resource) -> Principal | Rejection:
        """Turn an Authorization header into a Principal, or say exactly why it is refused."""
        scheme, _, token = header_value.strip().partition(" ")
        if not header_value.strip():
            return Rejection(RejectionReason.MISSING, "Access token is empty.")
        if scheme.lower() != "bearer" or not token.strip() or token.count(".") != 2:
            return Rejection(RejectionReason.MALFORMED, "IDX14100: JWT is not well formed.")
        try:
            claims = jwt.decode(token.strip(), self._public_key, algorithms=["RS256"],
                                options={"verify_aud": False, "verify_exp": False, "verify_nbf": False,
                                         "verify_iat": False, "verify_iss": False})
        except jwt.InvalidSignatureError:
            return Rejection(RejectionReason.BAD_SIGNATURE, "Access token validation failure. Invalid signature.")
        except jwt.PyJWTError:
            return Rejection(RejectionReason.MALFORMED, "IDX14100: JWT is not well formed.")
        if claims.get("tid") != self.tenant_id or claims.get("iss") != self.issuer:
            return Rejection(RejectionReason.FOREIGN_TENANT, "Access token validation failure. Invalid issuer.")
        if claims.get("aud") not in resource.aliases:
            return Rejection(RejectionReason.WRONG_AUDIENCE, "Access token validation failure. Invalid audience.")
        now = self.wall()
        if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now:
            return Rejection(RejectionReason.EXPIRED, "Lifetime validation failed, the token is expired.",
                             expired_at=claims.get("exp") if isinstance(claims.get("exp"), (int, float)) else None)
        if isinstance(claims.get("nbf"), (int, float)) and claims["nbf"] > now + 300:
            return Rejection(RejectionReason.EXPIRED, "Lifetime validation failed, the token is not yet valid.")
        user = claims.get("idtyp") == "user"
        return Principal(
            tenant_id=self.tenant_id, audience=resource.name, app_id=str(claims.get("appid", "")),
            kind="user" if user else "app", oid=str(claims.get("oid", "")),
            roles=frozenset(claims.get("roles") or ()),
            scopes=frozenset(str(claims.get("scp", "")).split()) if user else frozenset(),
            wids=frozenset(claims.get("wids") or ()))

