"""The gate: a pure function deciding whether the final delete may proceed, and listing every reason not.

Fail-closed by construction: it starts from "shut" reasons and opens only when none is found. It
judges the run against the full catalog (not against whatever the run chose to include), so a run
that skipped a check, ran an older version of it, or is too old cannot open it. For `close` the run
file only identifies what was signed: the decision is made from the tenant, by an audit run right
before acting (`fresh`), which must be READY and match the signed run (same verdict, same check
versions, no fact a check reads changed), so no edited or replayed file can stand in for the tenant.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from closegate.attestations import Attestation
from closegate.digests import changed_facts
from closegate.models import RunRecord, Status, Verdict, iso
from closegate.registry import Catalog

__all__ = ["CLOCK_SKEW", "Commands", "GateDecision", "LiveTenant", "SignoffVerifier", "decide"]

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
class Commands:
    """How the operator runs closegate here, so a reason's command can be pasted as it is (shell-quoted).

    `config` and `out` as the operator gave them (None: ./closegate.toml or the environment, and the
    default output folder); `run` the run record the sign-offs bind to.
    """

    config: str | None = None
    out: str | None = None
    run: str = "RUN.json"

    def _config(self) -> list[str]:
        return ["--config", self.config] if self.config else []

    def attest(self, check_id: str) -> str:
        return shlex.join(["closegate", "attest", check_id, *self._config(), "--by", "NAME (ROLE)",
                           "--statement", "WHAT WAS CHECKED AND FOUND"])

    def audit(self) -> str:
        return shlex.join(["closegate", "audit", *self._config(), *(["--out", self.out] if self.out else [])])

    def legal_signoff(self) -> str:
        return shlex.join(["closegate", "signoff", "--legal", "--run", self.run, "--by", "NAME", "--role", "ROLE"])


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
                    now: datetime, legal_signed: bool, commands: Commands) -> list[str]:
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
                               f"`{commands.legal_signoff()}`")
        elif result.status is Status.FAIL:
            reasons.append(f"{spec.id} failed: {result.message}")
        elif result.status is Status.ATTEST:
            reasons.append(f"{spec.id} needs an attestation: record one with `{commands.attest(spec.id)}`, then audit "
                           f"again with `{commands.audit()}`")
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


def _ready(record: RunRecord, catalog: Catalog, legal_signed: bool) -> bool:
    """READY, or NOT READY only through failures a legal sign-off accepts (CG-019's holds)."""
    if record.verdict is Verdict.READY:
        return True
    accepted = {s.id for s in catalog.blocking if s.legal_signoff} if legal_signed else set()
    blockers = [r for r in record.results if r.blocking and r.status not in (Status.PASS, Status.NOT_APPLICABLE)]
    return bool(blockers) and all(r.status is Status.FAIL and r.check_id in accepted for r in blockers)


def _fresh_reasons(record: RunRecord, fresh: RunRecord, catalog: Catalog, attestations: Sequence[Attestation] | None,
                   now: datetime, already: Sequence[str], legal_signed: bool, commands: Commands) -> list[str]:
    """What the audit just run says, and how it differs from the signed run."""
    reasons: list[str] = []
    if not fresh.complete:
        reasons.append("the audit run before acting was partial: it must run the full catalog")
    reasons += [f"the audit just run: {r}"
                for r in _result_reasons(fresh, catalog, attestations, now, legal_signed, commands) if r not in already]
    said, says = record.verdict.value.replace("_", " "), fresh.verdict.value.replace("_", " ")
    if not _ready(fresh, catalog, legal_signed):
        reasons.append(f"the audit just run says {says} (the signed run says {said}): the tenant is not ready")
    elif fresh.verdict is not record.verdict:
        reasons.append(f"the audit just run says {says} but the signed run says {said}: audit and sign again")
    signed_versions = {r.check_id: r.check_version for r in record.results}
    for result in fresh.results:
        then = signed_versions.pop(result.check_id, None)
        if then != result.check_version:
            reasons.append(f"{result.check_id} ran as version {then or '(not run)'} in the signed run and as version "
                           f"{result.check_version} now: audit and sign again")
    reasons += [f"{check_id} is in the signed run but was not run now" for check_id in sorted(signed_versions)]
    reasons += changed_facts(record.fact_digests, fresh.fact_digests)
    if record.tenant.id.lower() != fresh.tenant.id.lower():
        reasons.append(f"the audit just run is of tenant {fresh.tenant.id or '(unknown)'}, the signed run of "
                       f"{record.tenant.id or '(unknown)'}")
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
    fresh: RunRecord | None = None,
    commands: Commands = Commands(),
) -> GateDecision:
    """Open only if every blocking check of the full catalog is PASS (or not applicable) in one fresh,
    complete run without any ERROR or ATTEST, every attestation used is still in force, the required
    sign-offs are bound to the run's hash, the run is of the tenant signed in to, the operator typed
    that tenant's primary domain, and the audit run right before acting is READY and matches the run.
    The one exception: a check marked `legal_signoff` (active legal holds, CG-019) may FAIL when a legal
    sign-off is bound to the run; no other check is ever accepted.

    `attestations`: the current attestations file; None skips re-verifying them (the run's own view).
    `signoffs`: the sign-off requirement; None when the caller does not gate on sign-offs (a report).
    `live`: the tenant as re-read now; None when deciding from files alone (no tenant to compare).
    `confirmation`: what the operator typed; None when not asked yet (it is asked only once the rest is open).
    `fresh`: the audit `close` ran just now; None when deciding from files alone. Whatever the run
    record says, the gate opens for `close` only on what this audit found.
    `commands`: how the operator runs closegate, for the commands the reasons quote.
    An offline run (`audit --from-backup`) never opens it, as the signed run or as the fresh one.
    """
    reasons: list[str] = []
    for which, run in (("the run", record), ("the audit just run", fresh)):
        if run is not None and run.offline is not None:
            # A backup shows the tenant as it was; only a run against the tenant itself may open the gate.
            reasons.append(f"{which} was evaluated offline from the backup in {run.offline.get('backup')} "
                           f"(manifest sha256 {str(run.offline.get('manifest_sha256'))[:16]}): it says what the "
                           "tenant was, not what it is; audit the live tenant")
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
    reasons.extend(_result_reasons(record, catalog, attestations, now, legal_signed, commands))
    if fresh is not None:
        reasons.extend(_fresh_reasons(record, fresh, catalog, attestations, now, reasons, legal_signed, commands))
    if signoffs is not None:
        reasons.extend(signoffs.reasons(record.run_id, now))
    if live is not None:
        reasons.extend(_live_reasons(record, live, confirmation))
    elif confirmation is not None:
        reasons.append("the confirmation cannot be checked without re-reading the tenant's primary domain")
    return GateDecision(open=not reasons, reasons=tuple(reasons))
