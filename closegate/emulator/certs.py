"""The emulator's private PKI: everything a TLS server and an identity platform need to be trusted.

Generated once with `cryptography` (about 0.2 s) and shareable between emulator instances: a test
session builds one `Pki` and hands it to every emulator it starts, so each start skips key
generation and, more importantly, RSA key loading (~40 ms per key, local-emulation.md P13).

What it holds:
  * a CA (EC P-256) that signs the HTTPS server certificate (SAN localhost, 127.0.0.1, ::1);
  * the token-signing key (RSA-2048) with a self-signed certificate, published in JWKS;
  * an application credential certificate (RSA-2048, self-signed) as PEM key + PEM cert + PFX,
    registered on the certificate app by thumbprint;
  * an "issuing CA" (RSA-2048) and a leaf it signed, for subject-name/issuer (x5c) authentication.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["Pki", "b64url", "generate_pki", "thumbprints"]

_VALIDITY = dt.timedelta(days=825)


def b64url(data: bytes) -> str:
    """base64url without padding, as JOSE (RFC 7515) wants it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def thumbprints(cert: x509.Certificate) -> tuple[str, str]:
    """(x5t, x5t#S256) of a certificate: b64url of its SHA-1 and SHA-256 DER fingerprints."""
    return b64url(cert.fingerprint(hashes.SHA1())), b64url(cert.fingerprint(hashes.SHA256()))  # noqa: S303


@dataclass(frozen=True)
class Pki:
    """Files on disk plus the loaded key objects (loading RSA keys is the slow part)."""

    directory: Path
    ca_path: Path  # PEM: the CA clients must trust for HTTPS
    server_cert_path: Path  # PEM chain: server leaf then CA
    server_key_path: Path
    signing_key: rsa.RSAPrivateKey  # token signing (RS256)
    signing_cert: x509.Certificate
    app_key_path: Path  # PEM private key of the certificate app
    app_cert_path: Path  # PEM certificate of the certificate app
    app_pfx_path: Path
    app_pfx_password: str
    app_cert: x509.Certificate
    sni_key_path: Path  # PEM private key of the subject-name/issuer credential
    sni_cert_path: Path  # PEM: the leaf, then the issuing CA (what msal sends as x5c)
    sni_cert: x509.Certificate
    sni_issuer_cert: x509.Certificate

    @property
    def app_thumbprint_sha1_hex(self) -> str:
        return self.app_cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "closegate emulator"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(subject: x509.Name, issuer: x509.Name, public_key: object, now: dt.datetime) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)  # type: ignore[arg-type]
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + _VALIDITY))


def _pem_key(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _pem_cert(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _write(path: Path, data: bytes) -> Path:
    # Owner-only like every file closegate writes (the demo keeps the emulator's state in its output
    # folder), and from creation on: a key is never readable by others, not even for a moment.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return path


def _ca(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, name: x509.Name, now: dt.datetime) -> x509.Certificate:
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (_builder(name, name, key.public_key(), now)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256()))


def _self_signed(key: rsa.RSAPrivateKey, name: x509.Name, now: dt.datetime) -> x509.Certificate:
    return (_builder(name, name, key.public_key(), now)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))


def generate_pki(directory: Path) -> Pki:
    """Create every key and certificate under `directory` (created if missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _ca(ca_key, _name("closegate emulator CA"), now)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (_builder(_name("localhost"), ca_cert.subject, server_key.public_key(), now)
                   .add_extension(x509.SubjectAlternativeName([
                       x509.DNSName("localhost"),
                       x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                       x509.IPAddress(ipaddress.ip_address("::1"))]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                                  critical=False)
                   .sign(ca_key, hashes.SHA256()))

    signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signing_cert = _self_signed(signing_key, _name("closegate emulator token signing"), now)

    app_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    app_cert = _self_signed(app_key, _name("closegate certificate app"), now)
    pfx_password = secrets.token_urlsafe(12)
    pfx = pkcs12.serialize_key_and_certificates(
        b"closegate-app", app_key, app_cert, None,
        serialization.BestAvailableEncryption(pfx_password.encode("utf-8")))

    issuer_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer_cert = _ca(issuer_key, _name("closegate emulator issuing CA"), now)
    sni_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sni_cert = (_builder(_name("closegate sni app"), issuer_cert.subject, sni_key.public_key(), now)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .sign(issuer_key, hashes.SHA256()))

    return Pki(
        directory=directory,
        ca_path=_write(directory / "ca.pem", _pem_cert(ca_cert)),
        server_cert_path=_write(directory / "server.pem", _pem_cert(server_cert, ca_cert)),
        server_key_path=_write(directory / "server.key", _pem_key(server_key)),
        signing_key=signing_key,
        signing_cert=signing_cert,
        app_key_path=_write(directory / "app.key", _pem_key(app_key)),
        app_cert_path=_write(directory / "app.pem", _pem_cert(app_cert)),
        app_pfx_path=_write(directory / "app.pfx", pfx),
        app_pfx_password=pfx_password,
        app_cert=app_cert,
        sni_key_path=_write(directory / "sni-app.key", _pem_key(sni_key)),
        sni_cert_path=_write(directory / "sni-app.pem", _pem_cert(sni_cert, issuer_cert)),
        sni_cert=sni_cert,
        sni_issuer_cert=issuer_cert,
    )
