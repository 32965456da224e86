"""Certificate client authentication: checking a `client_assertion` JWT the way Entra does.

Accepts what msal actually sends (local-emulation.md §1.1, P7): RS256 with `x5t` or PS256 with
`x5t#S256`, thumbprints with '=' padding, float `exp`/`iat`, `aud` equal to the exact token URL
(port included), and for subject-name/issuer apps an `x5c` chain whose leaf must carry the
registered subject and be signed by the registered issuer.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timezone

import jwt
from cryptography import x509
from cryptography.exceptions import InvalidSignature

from closegate.emulator.apps import RegisteredApp
from closegate.emulator.certs import thumbprints

__all__ = ["AssertionFailure", "verify_client_assertion"]

CLOCK_SKEW = 300  # seconds of tolerance for an assertion issued "in the future"


@dataclass(frozen=True)
class AssertionFailure:
    code: int  # the AADSTS number
    text: str  # the AADSTS message, without the "AADSTSnnn: " prefix


def _x5c_leaf(header: dict[str, object]) -> x509.Certificate | None:
    chain = header.get("x5c")
    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        return None
    try:
        return x509.load_der_x509_certificate(base64.b64decode(chain[0]))
    except (ValueError, binascii.Error):
        return None


def _sni_certificate(app: RegisteredApp, leaf: x509.Certificate | None, now: float) -> x509.Certificate | None:
    """The x5c leaf when it satisfies the app's subject-name/issuer registration."""
    issuer = app.sni_issuer_cert
    if leaf is None or issuer is None or app.sni_subject is None:
        return None
    if leaf.subject.rfc4514_string() != app.sni_subject or leaf.issuer != issuer.subject:
        return None
    try:
        leaf.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError):
        return None
    when = datetime.fromtimestamp(now, timezone.utc)
    if not leaf.not_valid_before_utc <= when <= leaf.not_valid_after_utc:
        return None
    return leaf


def _header_names(cert: x509.Certificate, header: dict[str, object]) -> bool:
    """The JOSE header's thumbprint (if any) names this certificate."""
    sha1, sha256 = thumbprints(cert)
    x5t, x5t_s256 = str(header.get("x5t", "")).rstrip("="), str(header.get("x5t#S256", "")).rstrip("=")
    if not x5t and not x5t_s256:
        return True
    return x5t == sha1 or x5t_s256 == sha256


def verify_client_assertion(app: RegisteredApp, assertion: str, token_url: str, now: float) -> AssertionFailure | None:
    """None when the assertion authenticates `app`; otherwise the AADSTS failure to report."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        return AssertionFailure(50027, "JWT token is invalid or malformed.")
    if header.get("alg") not in ("RS256", "PS256"):
        return AssertionFailure(50027, "JWT token is invalid or malformed. The signing algorithm is not supported.")
    cert = app.certificate_for(str(header.get("x5t", "")), str(header.get("x5t#S256", "")))
    if cert is None:
        leaf = _sni_certificate(app, _x5c_leaf(header), now)
        cert = leaf if leaf is not None and _header_names(leaf, header) else None
    if cert is None:
        named = header.get("x5t#S256") or header.get("x5t") or "none"
        return AssertionFailure(700027, "The certificate with identifier used to sign the client assertion is not "
                                f"registered on application. [Reason - The key was not found., Thumbprint of key "
                                f"used by client: '{named}']")
    try:
        claims = jwt.decode(assertion, cert.public_key(), algorithms=["RS256", "PS256"], audience=token_url,  # type: ignore[arg-type]
                            options={"require": ["exp", "aud", "iss", "sub"], "verify_exp": False,
                                     "verify_nbf": False, "verify_iat": False})
    except jwt.InvalidSignatureError:
        return AssertionFailure(700027, "Client assertion failed signature validation.")
    except jwt.InvalidAudienceError:
        return AssertionFailure(700027, f"Client assertion audience is invalid: it must be '{token_url}'.")
    except jwt.PyJWTError:
        return AssertionFailure(50027, "JWT token is invalid or malformed.")
    if claims.get("iss") != app.client_id or claims.get("sub") != app.client_id:
        return AssertionFailure(700021, "Client assertion application identifier doesn't match 'client_id' parameter.")
    exp, nbf = claims.get("exp"), claims.get("nbf", claims.get("iat"))
    stale = not isinstance(exp, (int, float)) or exp <= now
    early = isinstance(nbf, (int, float)) and nbf > now + CLOCK_SKEW
    if stale or early:
        stamp = datetime.fromtimestamp(now, timezone.utc).strftime("%m/%d/%Y %H:%M:%S")
        return AssertionFailure(700024, f"Client assertion is not within its valid time range. Current time: {stamp}.")
    return None
