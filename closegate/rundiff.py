"""What changed between two runs of one tenant: the answer to "what changed since the signed run?".

An officer signs one run; days later the operator audits again. Before signing the new run (or closing
on it) both want to see the difference, not two reports side by side: which checks changed status,
which facts closegate read differently (closegate.digests: a SHA-256 and a count per fact), which
objects appeared in or left each check's evidence (evidence lists are complete in run.json), and which
attestations and sign-offs each run carries. Pure: two records and their sign-offs in, a RunDiff out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from closegate.closure.signoffs import SignOff
from closegate.models import CheckResult, RunRecord, Status, iso

__all__ = ["EvidenceChange", "FactChange", "RunDiff", "StatusChange", "diff_runs"]

# The field that names an evidence object, most specific first: ids before names, so an object renamed
# between runs is one object that changed, not one removed and one added.
_IDENTITY = ("id", "principal_id", "subscription_id", "key_id", "device_id", "serial_number", "app_id",
             "user_principal_name", "user", "email", "sku")
_LABEL = ("user_principal_name", "user", "display_name", "name", "hold", "custodian", "serial_number", "event",
          "sku", "case", "owner_or_site", "id")


@dataclass(frozen=True)
class StatusChange:
    check_id: str
    title: str
    then: str | None  # None: the check is not in that run
    now: str | None
    message_then: str
    message_now: str


@dataclass(frozen=True)
class FactChange:
    fact: str
    then: Mapping[str, Any] | None  # the digest (closegate.digests), None: that run did not read it
    now: Mapping[str, Any] | None


@dataclass(frozen=True)
class EvidenceChange:
    """Objects of one evidence list of one check: labels of those added, removed and changed."""

    check_id: str
    field: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]


@dataclass(frozen=True)
class RunDiff:
    then: RunRecord
    now: RunRecord
    statuses: tuple[StatusChange, ...]
    facts: tuple[FactChange, ...]
    evidence: tuple[EvidenceChange, ...]
    attestations: tuple[tuple[str, Mapping[str, Any] | None, Mapping[str, Any] | None], ...]  # (check, then, now)
    signoffs_then: tuple[SignOff, ...]
    signoffs_now: tuple[SignOff, ...]

    @property
    def same(self) -> bool:
        """Nothing the checks read or decided differs (sign-offs are bound to one run, so always differ)."""
        return not (self.statuses or self.facts or self.evidence or self.attestations
                    or self.then.verdict is not self.now.verdict)

    def to_json(self) -> dict[str, Any]:
        def run(record: RunRecord, signoffs: Sequence[SignOff]) -> dict[str, Any]:
            return {"run_id": record.run_id, "tenant_id": record.tenant.id, "ended": iso(record.ended),
                    "verdict": record.verdict.value, "offline": dict(record.offline) if record.offline else None,
                    "signoffs": [{"by": s.by, "role": s.role, "when": s.when, "category": s.category or "approval",
                                  "signature": s.verification().value} for s in signoffs]}

        return {
            "same": self.same,
            "then": run(self.then, self.signoffs_then),
            "now": run(self.now, self.signoffs_now),
            "statuses": [{"check_id": s.check_id, "title": s.title, "then": s.then, "now": s.now,
                          "message_then": s.message_then, "message_now": s.message_now} for s in self.statuses],
            "facts": [{"fact": c.fact, "then": dict(c.then) if c.then is not None else None,
                       "now": dict(c.now) if c.now is not None else None} for c in self.facts],
            "evidence": [{"check_id": e.check_id, "field": e.field, "added": list(e.added),
                          "removed": list(e.removed), "changed": list(e.changed)} for e in self.evidence],
            "attestations": [{"check_id": check_id, "then": dict(a) if a else None, "now": dict(b) if b else None}
                             for check_id, a, b in self.attestations],
        }


def diff_runs(then: RunRecord, now: RunRecord, signoffs_then: Sequence[SignOff] = (),
              signoffs_now: Sequence[SignOff] = ()) -> RunDiff:
    """The differences from `then` to `now`; sign-offs are those recorded beside each run, kept if bound to it."""
    before = {r.check_id: r for r in then.results}
    after = {r.check_id: r for r in now.results}
    ids = [*before, *(c for c in after if c not in before)]
    return RunDiff(
        then=then, now=now,
        statuses=tuple(_status(c, before.get(c), after.get(c)) for c in ids
                       if _status_of(before.get(c)) != _status_of(after.get(c))),
        facts=tuple(FactChange(name, then.fact_digests.get(name), now.fact_digests.get(name))
                    for name in sorted(set(then.fact_digests) | set(now.fact_digests))
                    if then.fact_digests.get(name) != now.fact_digests.get(name)),
        # A check that could not decide has no evidence: its objects were not seen, not removed.
        evidence=tuple(change for c in ids if c in before and c in after
                       and Status.ERROR not in (before[c].status, after[c].status)
                       for change in _evidence(c, before[c].evidence, after[c].evidence)),
        attestations=tuple((c, _attested(before.get(c)), _attested(after.get(c))) for c in ids
                           if _attested(before.get(c)) != _attested(after.get(c))),
        signoffs_then=tuple(s for s in signoffs_then if s.run_id == then.run_id),
        signoffs_now=tuple(s for s in signoffs_now if s.run_id == now.run_id),
    )


def _status_of(result: CheckResult | None) -> str | None:
    return result.status.value if result is not None else None


def _status(check_id: str, then: CheckResult | None, now: CheckResult | None) -> StatusChange:
    title = (now or then).title if (now or then) is not None else ""  # type: ignore[union-attr]
    return StatusChange(check_id, title, _status_of(then), _status_of(now),
                        then.message if then is not None else "", now.message if now is not None else "")


def _attested(result: CheckResult | None) -> Mapping[str, Any] | None:
    return result.attestation if result is not None else None


def _evidence(check_id: str, then: Mapping[str, Any], now: Mapping[str, Any]) -> list[EvidenceChange]:
    out = []
    for field in [*then, *(k for k in now if k not in then)]:
        old, new = then.get(field), now.get(field)
        if not (isinstance(old, list) or isinstance(new, list)) or old == new:
            continue
        was = _keyed(old if isinstance(old, list) else [])
        got = _keyed(new if isinstance(new, list) else [])
        added = tuple(_label(got[k]) for k in got if k not in was)
        removed = tuple(_label(was[k]) for k in was if k not in got)
        changed = tuple(_label(got[k]) for k in got if k in was and _canonical(got[k]) != _canonical(was[k]))
        if added or removed or changed:
            out.append(EvidenceChange(check_id, field, added, removed, changed))
    return out


def _keyed(items: list[Any]) -> dict[str, Any]:
    keyed: dict[str, Any] = {}
    for item in items:
        keyed.setdefault(_identity(item), item)
    return keyed


def _identity(item: Any) -> str:
    if isinstance(item, dict):
        for key in _IDENTITY:
            if item.get(key):
                return f"{key}:{item[key]}"
    return _canonical(item)


def _label(item: Any) -> str:
    if isinstance(item, dict):
        for key in _LABEL:
            if item.get(key):
                return str(item[key])
    return item if isinstance(item, str) else _canonical(item)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
