"""Ed25519 keys: reading them, asking for an encrypted key's password, and naming them one way.

Run records, backups, sign-offs and GO certificates can be signed with an Ed25519 key, and reports,
certificates and the terminal show who signed. One reader and one fingerprint format serve all of them,
so the same key is recognisably the same key on every document: `SHA256:` followed by the unpadded
base64 of the SHA-256 of the 32 raw public-key bytes (the form OpenSSH shows for keys). X.509
certificates (PDF signatures) are named the same way, over their DER bytes (`digest_fingerprint`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from closegate.errors import ConfigError

__all__ = [
    "digest_fingerprint",
    "fingerprint",
    "load_private_key",
    "load_public_key",
    "public_key_from_text",
    "public_key_text",
    "raw_public_bytes",
]

_MAKE_ONE = "give an Ed25519 private key in PEM, e.g. from `openssl genpkey -algorithm ed25519`"


def load_private_key(path: Path, *, ask_password: Callable[[], str] | None = None) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM file `path`; `ask_password` is called once if it is encrypted."""
    try:
        pem = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the signing key {path} ({exc.strerror})", _MAKE_ONE) from exc
    return private_key_from_pem(pem, ask_password=ask_password, name=str(path))


def private_key_from_pem(pem: bytes, *, ask_password: Callable[[], str] | None = None,
                         name: str = "the signing key") -> Ed25519PrivateKey:
    password: bytes | None = None
    for attempt in (1, 2):
        try:
            key = serialization.load_pem_private_key(pem, password=password)
            break
        except TypeError as exc:  # encrypted, and no password given (or one given for a plain key)
            if attempt == 2 or ask_password is None or password is not None:
                raise ConfigError(f"{name} is encrypted and no password was given",
                                  "enter its password when asked, or use an unencrypted PEM key") from exc
            password = ask_password().encode("utf-8")
        except ValueError as exc:
            detail = "the password is wrong" if password is not None else str(exc)
            raise ConfigError(f"{name} cannot be read ({detail})", _MAKE_ONE) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{name} is a {type(key).__name__.lstrip('_')}, not an Ed25519 key", _MAKE_ONE)
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The Ed25519 public key in the PEM file `path`."""
    try:
        text = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the public key {path}",
                          "give the Ed25519 public key in PEM (openssl pkey -pubout)") from exc
    key = public_key_from_text(text)
    if key is None:
        raise ConfigError(f"cannot read the public key {path}: it is not an Ed25519 public key in PEM",
                          "give the key that matches the signing key (openssl pkey -in signer.pem -pubout)")
    return key


def public_key_from_text(text: str) -> Ed25519PublicKey | None:
    """An Ed25519 public key from PEM or from base64 of its raw bytes; None when it is neither."""
    if not text:
        return None
    try:
        if text.lstrip().startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode("ascii"))
            return key if isinstance(key, Ed25519PublicKey) else None
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, binascii.Error, UnicodeEncodeError):
        return None


def raw_public_bytes(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_text(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """How a public key is stored in closegate's files: base64 of its 32 raw bytes."""
    return base64.b64encode(raw_public_bytes(key)).decode("ascii")


def fingerprint(key: Ed25519PublicKey | Ed25519PrivateKey | str) -> str:
    """`SHA256:<base64>`, the one way closegate names a key; "" for text that is not a public key."""
    if isinstance(key, str):
        parsed = public_key_from_text(key)
        if parsed is None:
            return ""
        key = parsed
    return digest_fingerprint(raw_public_bytes(key))


def digest_fingerprint(data: bytes) -> str:
    """`SHA256:<base64>` of any bytes: a key's raw public bytes, or a certificate's DER."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(data).digest()).decode("ascii").rstrip("=")
