"""`closegate signoff --pdf SIGNED.pdf`: import the approvals approvers made by signing the report in their PDF tool.

The PDF must be this run's report as closegate wrote it, with nothing added but signatures
(reporting.pdf_approvals, which refuses a changed PDF or another run's in one line). Then every
approver signature in it must hold, or nothing is recorded: it chains to the `[signoff] trust_anchors`,
its signer is on the allow-list, the certificate's name is the name printed on the box it signed (a
person signs only their own box), and its signing time falls between the end of the run and now. The
signing time is the one the signer's tool claims (/M); no timestamp authority vouches for it, so it
is bounded on both sides rather than believed. Each approval is recorded with the signer's certificate
identity (subject and fingerprint, closegate's one format); a signature already recorded is skipped,
so the same file can be imported again after each approver signs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.x509.oid import NameOID

from closegate.closure.policy import SignoffPolicy, load_anchors
from closegate.closure.signoffs import SIGNOFF_CLOCK_SKEW, SignOff
from closegate.errors import ConfigError
from closegate.models import RunRecord, iso

__all__ = ["Imported", "approvals_from_pdf"]


@dataclass(frozen=True)
class Imported:
    new: tuple[SignOff, ...]
    already: tuple[SignOff, ...]  # signatures in the PDF that signoffs.json already holds


def _common_name(subject: str) -> str:
    try:
        names = x509.Name.from_rfc4514_string(subject).get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:
        return ""
    return str(names[0].value) if names else ""


def _same_person(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def approvals_from_pdf(data: bytes, record: RunRecord, policy: SignoffPolicy, recorded: Sequence[SignOff], *,
                       now: datetime, refuse: Callable[[str], None]) -> Imported:
    """The approvals in `data` to record. Each problem is passed to `refuse` (one line); when there was
    any, ConfigError names how many, and nothing may be recorded."""
    from closegate.reporting.pdf_approvals import read_approvals

    anchors = load_anchors(policy.trust_anchors)
    if not anchors:
        raise ConfigError("no trust anchors are configured, so no approver's certificate can be trusted",
                          "set [signoff] trust_anchors to the CA certificate(s) your approvers' certificates chain to")
    run_id = record.run_id
    approvals = read_approvals(data, record, run_id, anchors, signoffs=recorded, moment=now)
    if not approvals:
        raise ConfigError("the PDF holds no approver's signature",
                          "have each approver sign their box on the report's sign-off page, then import it")
    digest = hashlib.sha256(data).hexdigest()
    mine = {s.certificate_fingerprint: s for s in recorded if s.run_id == run_id and s.certificate_fingerprint}
    new: list[SignOff] = []
    already: list[SignOff] = []
    problems = 0
    for a in approvals:
        where = f"the signature in field {a.field!r} by {a.signer} (certificate {a.fingerprint})"
        name = _common_name(a.signer) or a.signer
        problem = a.problem
        if not problem and not policy.admits(a.fingerprint, a.signer):
            problem = f"{where} is not on the [signoff] allow-list"
        if not problem and a.approver.name and not _same_person(a.approver.name, name):
            problem = f"{where} signed the box printed for {a.approver.name}: each approver signs their own box"
        if not problem and a.signing_time is None:
            problem = f"{where} carries no signing time"
        if not problem and a.signing_time is not None and a.signing_time < record.ended - SIGNOFF_CLOCK_SKEW:
            problem = f"{where} claims it was made {iso(a.signing_time)}, before the run ended ({iso(record.ended)})"
        if not problem and a.signing_time is not None and a.signing_time > now + SIGNOFF_CLOCK_SKEW:
            problem = f"{where} claims it was made {iso(a.signing_time)}, in the future of this machine's clock"
        if problem:
            problems += 1
            refuse(problem)
            continue
        assert a.signing_time is not None
        signoff = SignOff(run_id, a.approver.name or name, a.approver.role or "Approver", iso(a.signing_time),
                          certificate=a.signer, certificate_fingerprint=a.fingerprint, pdf_sha256=digest)
        (already if a.fingerprint in mine else new).append(signoff)
    if problems:
        raise ConfigError(f"{problems} of {len(approvals)} signature(s) in the PDF cannot be accepted; nothing was "
                          "recorded", "have each approver sign their own box with a certificate from the trust anchors "
                          "and the allow-list, then import again")
    return Imported(tuple(new), tuple(already))
