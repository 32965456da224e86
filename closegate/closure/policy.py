"""The sign-off policy (`[signoff]` in closegate.toml) and the rule of which runs can be approved at all.

An approval says "I reviewed this report and agree the tenant may be closed". That is only meaningful
for a run the gate could open on, so `approval_refusal` refuses an approval of any other run instead of
recording an "approval" that never opens the gate (an acknowledgement of a NOT READY report would read
as consent in an auditor's file, and the gate would have to explain why it does not count). The one
run that is not READY and may still be approved is one whose only blockers are the legal holds a
legal sign-off accepts (CG-019, `legal_signoff` checks): the gate knows that exception, so approvers
may sign such a run while counsel accepts the holds.

The policy says who may approve: `signatures` (each approval must carry a signature: a PAdES signature
in the report, validated when imported with `closegate signoff --pdf`, or an Ed25519 key), `allow`
(approver identities: a certificate subject in RFC 4514 form, a certificate or Ed25519 fingerprint
`SHA256:<base64>`, or an Ed25519 public key, which is kept as its fingerprint), and `trust_anchors`
(the CA certificates an approver's PDF signature must chain to). Distinct approvers are distinct
people and distinct identities: one certificate or key signing under two names is one approver.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from closegate.errors import ConfigError
from closegate.keys import fingerprint, public_key_from_text
from closegate.models import RunRecord, Status

__all__ = ["SignoffPolicy", "approval_refusal", "identity_entry", "load_anchors"]


@dataclass(frozen=True)
class SignoffPolicy:
    required: int = 1
    # Every approval must be signed (PAdES or Ed25519). None: the file does not say, and `signed_only`
    # decides by the tenant's cloud.
    signatures: bool | None = None
    allow: frozenset[str] = frozenset()  # identity_entry() forms; empty: anyone the other rules admit
    trust_anchors: tuple[Path, ...] = ()
    approvers: tuple[tuple[str, str], ...] = field(default=())  # (name, role) boxes printed on the report

    def signed_only(self, cloud: str) -> bool:
        """Whether approvals must be signed for a tenant in `cloud`: as the file says, else yes for every
        real tenant; only the emulator's "custom" cloud defaults to accepting a name typed on a command line."""
        return self.signatures if self.signatures is not None else cloud != "custom"

    def admits(self, *identities: str) -> bool:
        """Whether any of an approver's identities (subject, fingerprint) is on the allow-list (or there is none)."""
        return not self.allow or any(i and i in self.allow for i in identities)


def identity_entry(text: str) -> str:
    """One allow-list entry in the form closegate compares: an Ed25519 key as its fingerprint, a
    fingerprint as written, anything else a certificate subject normalised through RFC 4514."""
    value = text.strip()
    if value.startswith("SHA256:"):
        return value
    key = public_key_from_text(value)
    if key is not None:
        return fingerprint(key)
    try:
        return x509.Name.from_rfc4514_string(value).rfc4514_string()
    except ValueError as exc:
        raise ConfigError(f"signoff.allow entry {value[:60]!r} is not a fingerprint, Ed25519 public key or "
                          "certificate subject", 'write "SHA256:...", the key\'s base64, or "CN=Carla Diaz,O=Contoso"'
                          ) from exc


def load_anchors(paths: Sequence[Path]) -> tuple[x509.Certificate, ...]:
    """The trust anchors' certificates (PEM, one or more a file, or DER)."""
    anchors: list[x509.Certificate] = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
            anchors += (x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data
                        else [x509.load_der_x509_certificate(data)])
        except OSError as exc:
            raise ConfigError(f"cannot read the trust anchor {path} ({exc.strerror})",
                              "set [signoff] trust_anchors to the CA certificates (PEM) approvers' certificates "
                              "chain to") from exc
        except ValueError as exc:
            raise ConfigError(f"the trust anchor {path} is not an X.509 certificate",
                              "give the CA certificate in PEM or DER") from exc
    return tuple(anchors)


def approval_refusal(record: RunRecord) -> str:
    """Why `record` cannot be approved, in one line, or "" when it can (see the module docstring)."""
    verdict = record.verdict.value.replace("_", " ")
    if not record.complete:
        return f"the run is partial (--only/--skip) and {verdict}: approve a complete run"
    blockers = [r for r in record.results if r.blocking and r.status not in (Status.PASS, Status.NOT_APPLICABLE)]
    undecided = [r for r in record.results if r.status is Status.ERROR]
    others = [r.check_id for r in blockers if not (r.status is Status.FAIL and r.legal_signoff)] + \
             [r.check_id for r in undecided if r not in blockers]
    if not others:
        return ""
    return (f"the run is {verdict} ({', '.join(others[:6])}{' and more' if len(others) > 6 else ''}): an approval "
            "says the tenant may be closed, so only a READY run (or one held back only by legal holds a legal "
            "sign-off accepts) can be approved; remediate, audit again and approve that run")
