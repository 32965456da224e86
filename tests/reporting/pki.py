"""A tiny PKI for the PDF signature tests, made with `cryptography`: a CA with two approvers and
closegate's signing certificate under it, and an outsider CA with a signer of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from closegate.reporting.pades import SigningIdentity, load_identity

__all__ = ["Pki", "Person", "make_pki"]

NOT_BEFORE = datetime(2025, 1, 1, tzinfo=timezone.utc)
PASSPHRASE = b"correct horse battery staple"


@dataclass(frozen=True)
class Person:
    identity: SigningIdentity
    cert: x509.Certificate
    key_path: Path
    cert_path: Path


@dataclass(frozen=True)
class Pki:
    ca: x509.Certificate
    ca_path: Path
    outsider_ca: x509.Certificate
    closegate: Person
    carla: Person
    wang: Person
    outsider: Person


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Contoso Ltd")])


def _certificate(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, issuer_key: ec.EllipticCurvePrivateKey,
                 *, ca: bool) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOT_BEFORE).not_valid_after(NOT_BEFORE + timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    usage = dict(digital_signature=True, content_commitment=not ca, key_encipherment=False, data_encipherment=False,
                 key_agreement=False, key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False)
    return builder.add_extension(x509.KeyUsage(**usage), critical=True).sign(issuer_key, hashes.SHA256())


def _pem(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _person(directory: Path, slug: str, subject: str, issuer: x509.Certificate, issuer_key: ec.EllipticCurvePrivateKey,
            *, encrypted: bool = False) -> Person:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate(subject, key, issuer.subject, issuer_key, ca=False)
    encryption = (serialization.BestAvailableEncryption(PASSPHRASE) if encrypted else serialization.NoEncryption())
    key_path = _pem(directory / f"{slug}.key.pem",
                    key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))
    cert_path = _pem(directory / f"{slug}.cert.pem", cert.public_bytes(serialization.Encoding.PEM))
    identity = load_identity(key_path, cert_path, passphrase=PASSPHRASE if encrypted else None)
    return Person(identity, cert, key_path, cert_path)


def make_pki(directory: Path) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, outsider_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Contoso Test Root CA", ca_key, _name("Contoso Test Root CA"), ca_key, ca=True)
    outsider_ca = _certificate("Somebody Else CA", outsider_key, _name("Somebody Else CA"), outsider_key, ca=True)
    ca_path = _pem(directory / "ca.pem", ca.public_bytes(serialization.Encoding.PEM))
    return Pki(
        ca=ca, ca_path=ca_path, outsider_ca=outsider_ca,
        closegate=_person(directory, "closegate", "closegate report signer", ca, ca_key, encrypted=True),
        carla=_person(directory, "carla", "Carla Díaz", ca, ca_key),
        wang=_person(directory, "wang", "王小明", ca, ca_key),
        outsider=_person(directory, "outsider", "Mallory Outsider", outsider_ca, outsider_key),
    )
