"""The gate: a pure function deciding whether the final delete may proceed, and listing every reason not.

Fail-closed by construction: it starts from "shut" reasons and opens only when none is found. It
judges the run against the full catalog (not against whatever the run chose to include), so a run
that skipped a check, ran an older version of it, or is too old cannot open it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from closegate.attestations import Attestation
from closegate.models import RunRecord, Status, iso
from closegate.registry import Catalog

__all__ = ["CLOCK_SKEW", "GateDecision", "LiveTenant", "SignoffVerifier", "decide"]

# A record dated this far in the future of `now` comes from a wrong clock, not from a fresh run.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class GateDecision:
    open: bool
    reasons: tuple[str, ...]  # empty when open


class SignoffVerifier(Protocol):
    """Sign-offs bound to the run's hash (closegate.closure.signoffs).

    `reasons`: why the approvals are insufficient, or (). `legal`: the legal sign-offs that count for
    the run; the gate accepts the FAIL of a check marked `legal_signoff` (CG-019) when there is one.
    """

    def reasons(self, run_id: str, now: datetime) -> tuple[str, ...]: ...

    def legal(self, run_id: str, now: datetime) -> Sequence[object]: ...


@dataclass(frozen=True)
class LiveTenant:
    """The tenant closegate is signed in to right now, as re-read just before deciding."""

    id: str
    primary_domain: str


def _live_reasons(record: RunRecord, live: LiveTenant, confirmation: str | None) -> list[str]:
    reasons: list[str] = []
    if record.tenant.id.lower() != live.id.lower():
        reasons.append(f"the run is of tenant {record.tenant.id or '(unknown)'}, but closegate is signed in to "
                       f"tenant {live.id}: audit the tenant you mean to close")
    # Compared with the live domain, not the run's: the operator confirms the tenant that will change.
    if confirmation is not None and confirmation.strip().lower() != live.primary_domain.lower():
        reasons.append(f"the confirmation typed does not match the tenant's primary domain {live.primary_domain}")
    return reasons


def _result_reasons(record: RunRecord, catalog: Catalog, attestations: Sequence[Attestation] | None,
                    now: datetime, legal_signed: bool) -> list[str]:
    reasons: list[str] = []
    for spec in catalog.blocking:
        result = record.result(spec.id)
        if result is None:
            reasons.append(f"{spec.id} ({spec.title}) is not in the run")
        elif result.check_version != spec.version:
            reasons.append(f"{spec.id} ran as version {result.check_version}, the catalog has version {spec.version}")
        elif result.status is Status.FAIL and spec.legal_signoff:
            if not legal_signed:
                reasons.append(f"{spec.id} failed: {result.message}; or a person in a legal role accepts it with "
                               "`closegate signoff --legal --run RUN.json --by NAME --role ROLE`")
        elif result.status is Status.FAIL:
            reasons.append(f"{spec.id} failed: {result.message}")
        elif result.status is Status.ATTEST:
            reasons.append(f"{spec.id} needs an attestation: record one with `closegate attest {spec.id}` and audit again")
    for result in record.results:
        if result.status is Status.ERROR:
            reasons.append(f"{result.check_id} could not be decided: {(result.error or {}).get('cause', result.message)}")
    if attestations is not None:
        for result in record.results:
            if result.attestation is None:
                continue
            still = [a for a in attestations if a.to_json() == dict(result.attestation)]
            if not still:
                reasons.append(f"{result.check_id}'s attestation is no longer in the attestations file")
            elif not still[0].valid_at(now):
                reasons.append(f"{result.check_id}'s attestation by {still[0].by} expired")
    return reasons


def decide(
    record: RunRecord,
    catalog: Catalog,
    *,
    now: datetime,
    max_age: timedelta,
    attestations: Sequence[Attestation] | None = None,
    signoffs: SignoffVerifier | None = None,
    live: LiveTenant | None = None,
    confirmation: str | None = None,
) -> GateDecision:
    """Open only if every blocking check of the full catalog is PASS (or not applicable) in one fresh,
    complete run without any ERROR or ATTEST, every attestation used is still in force, the required
    sign-offs are bound to the run's hash, the run is of the tenant signed in to, and the operator
    typed that tenant's primary domain. The one exception: a check marked `legal_signoff` (active legal
    holds, CG-019) may FAIL when a legal sign-off is bound to the run; no other check is ever accepted.

    `attestations`: the current attestations file; None skips re-verifying them (the run's own view).
    `signoffs`: the sign-off requirement; None when the caller does not gate on sign-offs (a report).
    `live`: the tenant as re-read now; None when deciding from files alone (no tenant to compare).
    `confirmation`: what the operator typed; None when not asked yet (it is asked only once the rest is open).
    """
    reasons: list[str] = []
    if not record.complete:
        only, skip = record.selection.get("only", []), record.selection.get("skip", [])
        chosen = f"--only {','.join(only)}" if only else f"--skip {','.join(skip)}"
        reasons.append(f"the run was partial ({chosen}); run the full audit")
    age = now - record.ended
    if age > max_age:
        reasons.append(
            f"the run is stale: it ended {iso(record.ended)}, {int(age.total_seconds() // 60)} minutes ago, "
            f"over the {int(max_age.total_seconds() // 60)}-minute limit"
        )
    elif age < -CLOCK_SKEW:
        reasons.append(f"the run ended {iso(record.ended)}, in the future of this machine's clock {iso(now)}")
    legal_signed = signoffs is not None and bool(signoffs.legal(record.run_id, now))
    reasons.extend(_result_reasons(record, catalog, attestations, now, legal_signed))
    if signoffs is not None:
        reasons.extend(signoffs.reasons(record.run_id, now))
    if live is not None:
        reasons.extend(_live_reasons(record, live, confirmation))
    elif confirmation is not None:
        reasons.append("the confirmation cannot be checked without re-reading the tenant's primary domain")
    return GateDecision(open=not reasons, reasons=tuple(reasons))
