"""The values a run produces: statuses, steps, outcomes, results and the run record that reports render.

A check returns an `Outcome` (never ERROR: only the runner decides that a check could not decide);
the runner wraps it in a `CheckResult` carrying the check's identity; a `RunRecord` holds every
result of one run and is identified by the SHA-256 of its canonical JSON form (docs/internals.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import date, datetime, timedelta, timezone
from enum import Enum, IntEnum
from typing import Any

from closegate.errors import IntegrityError
from closegate.record_objects import object_lists, outline

__all__ = [
    "SCHEMA_VERSION",
    "CheckResult",
    "ClosureDate",
    "Outcome",
    "RunRecord",
    "Severity",
    "Status",
    "Step",
    "TenantInfo",
    "Verdict",
    "attest",
    "bounded",
    "failed",
    "iso",
    "jsonable",
    "not_applicable",
    "parse_time",
    "passed",
    "verdict_of",
]

# 2: `fact_digests`, what each fact the checks read looked like, so `close` can tell whether the
# tenant changed since the run its sign-offs are bound to.
# 3: evidence lists longer than record_objects.INLINE_LIMIT live in a side file beside run.json
# (run.objects.jsonl.gz);
# the record holds a stub (count, SHA-256, first objects) in their place and `object_lists` says so.
SCHEMA_VERSION = 3


class Status(Enum):
    """A check's verdict. Compared with `is`; ERROR is never PASS."""

    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"  # could not be decided (permission, throttling, transport, unconfigured)
    ATTEST = "ATTEST"  # no API can see it: needs a recorded human attestation
    NOT_APPLICABLE = "NOT_APPLICABLE"


class Step(IntEnum):
    """Microsoft's order for closing an account (graph-facts §0, S2), plus the Entra delete (S1)."""

    BACKUP = 0
    DELETE_USERS = 1
    CANCEL_SUBSCRIPTIONS = 2
    DELETE_DISABLED_SUBSCRIPTIONS = 3
    DISABLE_MFA = 4
    DELETE_DIRECTORY = 5

    @property
    def title(self) -> str:
        return _STEP_TITLES[self]


_STEP_TITLES = {
    Step.BACKUP: "Back up any data you want to keep",
    Step.DELETE_USERS: "Delete users",
    Step.CANCEL_SUBSCRIPTIONS: "Cancel all active subscriptions",
    Step.DELETE_DISABLED_SUBSCRIPTIONS: "Delete all disabled subscriptions",
    Step.DISABLE_MFA: "Disable multifactor authentication",
    Step.DELETE_DIRECTORY: "Delete the tenant in Microsoft Entra ID",
}


class Severity(Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class Verdict(Enum):
    """What one run says about the tenant; the CLI maps it to an exit code."""

    READY = "READY"
    NOT_READY = "NOT_READY"  # a blocking check failed
    CANNOT_DETERMINE = "CANNOT_DETERMINE"  # no failure, but an ERROR or ATTEST remains, or a partial run


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with a Z, the one timestamp spelling in run records."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime in a run record: every closegate time is timezone-aware")
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def jsonable(value: Any) -> Any:
    """Evidence as plain JSON data, so a record reads back equal to what was written (and hashes the same)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, frozenset | set):
        return sorted(jsonable(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return {k: jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [jsonable(v) for v in value]
    raise TypeError(f"evidence must be data, not {type(value).__name__}")


def bounded(items: Sequence[Any], limit: int = 10) -> tuple[list[Any], int]:
    """The first `limit` items for a report, and how many were left out ("and N more")."""
    return list(items[:limit]), max(0, len(items) - limit)


@dataclass(frozen=True)
class Outcome:
    """What a check decided, with the data that shows it.

    `blocked_until` is set when the facts show a date before which the step cannot complete no matter
    what the operator does (a sync turn-off still running, a subscription not yet deprovisioned).
    """

    status: Status
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    blocked_until: datetime | None = None
    blocked_because: str = ""

    def __post_init__(self) -> None:
        if self.status is Status.ERROR:
            raise ValueError("a check never returns ERROR: raise a ClosegateError and the runner records it")
        object.__setattr__(self, "evidence", jsonable(dict(self.evidence)))


def passed(message: str, evidence: Mapping[str, Any] | None = None) -> Outcome:
    return Outcome(Status.PASS, message, evidence or {})


def failed(
    message: str,
    evidence: Mapping[str, Any] | None = None,
    *,
    blocked_until: datetime | None = None,
    because: str = "",
) -> Outcome:
    return Outcome(Status.FAIL, message, evidence or {}, blocked_until, because)


def attest(message: str, evidence: Mapping[str, Any] | None = None) -> Outcome:
    return Outcome(Status.ATTEST, message, evidence or {})


def not_applicable(message: str, evidence: Mapping[str, Any] | None = None) -> Outcome:
    return Outcome(Status.NOT_APPLICABLE, message, evidence or {})


@dataclass(frozen=True)
class CheckResult:
    """One check's result in a run: the outcome plus the check's identity, as reports need it."""

    check_id: str
    title: str
    check_version: str
    step: Step
    severity: Severity
    blocking: bool
    status: Status
    message: str
    evidence: Mapping[str, Any]
    doc_url: str
    fix: str
    duration_ms: int = 0
    blocked_until: datetime | None = None
    blocked_because: str = ""
    error: Mapping[str, str] | None = None  # {"kind", "cause", "fix"} for ERROR only
    attestation: Mapping[str, Any] | None = None  # the attestation that turned ATTEST into PASS
    why: str = ""  # why Microsoft requires it, in words a compliance officer reads in the report
    records: bool = False  # reported in "Records and legal", after the backup step (registry.CheckSpec)
    legal_signoff: bool = False  # a legal sign-off bound to the run accepts its FAIL (closegate.gate)

    def to_json(self) -> dict[str, Any]:
        # Written only when set, so every record written before they existed keeps its run id.
        return {**({"records": True} if self.records else {}),
                **({"legal_signoff": True} if self.legal_signoff else {}),
            "check_id": self.check_id,
            "title": self.title,
            "check_version": self.check_version,
            "step": int(self.step),
            "severity": self.severity.value,
            "blocking": self.blocking,
            "status": self.status.value,
            "message": self.message,
            "evidence": outline(self.evidence, self.check_id, jsonable),
            "doc_url": self.doc_url,
            "fix": self.fix,
            "duration_ms": self.duration_ms,
            "blocked_until": iso(self.blocked_until) if self.blocked_until else None,
            "blocked_because": self.blocked_because,
            "error": dict(self.error) if self.error is not None else None,
            "attestation": jsonable(self.attestation) if self.attestation is not None else None,
            "why": self.why,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CheckResult:
        return cls(
            check_id=data["check_id"],
            title=data["title"],
            check_version=data["check_version"],
            step=Step(data["step"]),
            severity=Severity(data["severity"]),
            blocking=data["blocking"],
            status=Status(data["status"]),
            message=data["message"],
            evidence=data["evidence"],
            doc_url=data["doc_url"],
            fix=data["fix"],
            duration_ms=data["duration_ms"],
            blocked_until=parse_time(data["blocked_until"]) if data["blocked_until"] else None,
            blocked_because=data["blocked_because"],
            error=data["error"],
            attestation=data["attestation"],
            why=data["why"],
            records=data.get("records", False) is True,
            legal_signoff=data.get("legal_signoff", False) is True,
        )


@dataclass(frozen=True)
class TenantInfo:
    id: str
    name: str
    primary_domain: str
    cloud: str


@dataclass(frozen=True)
class ClosureDate:
    """The earliest moment the tenant can be deleted as far as the facts show, and why."""

    date: datetime | None  # None: no date limit is known (READY now, or it depends on remediation)
    reason: str
    check_ids: tuple[str, ...] = ()


def verdict_of(results: Sequence[CheckResult], *, complete: bool) -> Verdict:
    """NOT_READY if a blocking check failed; READY only for a complete run where nothing is undecided."""
    if any(r.blocking and r.status is Status.FAIL for r in results):
        return Verdict.NOT_READY
    undecided = any(r.status is Status.ERROR or (r.blocking and r.status is Status.ATTEST) for r in results)
    if undecided or not complete:
        return Verdict.CANNOT_DETERMINE
    return Verdict.READY


@dataclass(frozen=True)
class RunRecord:
    """One audit run, complete enough to render every report and to be signed by its hash."""

    tool_version: str
    tenant: TenantInfo
    caller: Mapping[str, Any]
    started: datetime
    ended: datetime
    tenant_clock: datetime | None
    results: tuple[CheckResult, ...]
    complete: bool
    selection: Mapping[str, Any]  # {"only": [...], "skip": [...], "catalog": [every catalog id]}
    request_stats: Mapping[str, Any]
    earliest_closure: ClosureDate
    # fact name -> {"sha256", "count"} (or {"error"}) of every fact the checks read (closegate.runner).
    fact_digests: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # An offline run (`audit --from-backup`): {"backup": directory, "manifest_sha256": ..., "taken": ...}.
    # Its facts are a backup's, not the tenant's: the gate never opens on it (closegate.gate).
    offline: Mapping[str, Any] | None = None
    schema_version: int = SCHEMA_VERSION

    @property
    def verdict(self) -> Verdict:
        return verdict_of(self.results, complete=self.complete)

    def result(self, check_id: str) -> CheckResult | None:
        return next((r for r in self.results if r.check_id == check_id), None)

    def body(self) -> dict[str, Any]:
        """The record as JSON data, without `run_id` (the part the hash covers)."""
        # Built once (a record is a value): a million-object record digests its lists once, not per call.
        cached: dict[str, Any] | None = self.__dict__.get("_body")
        if cached is None:
            cached = self.__dict__["_body"] = self._build_body()
        return dict(cached)

    def _build_body(self) -> dict[str, Any]:
        closure = self.earliest_closure
        # Written only when set, so every live record keeps the run id it always had.
        offline = {"offline": jsonable(self.offline)} if self.offline is not None else {}
        return {
            **offline,
            "schema_version": self.schema_version,
            "tool_version": self.tool_version,
            "tenant": asdict(self.tenant),
            "caller": jsonable(self.caller),
            "started": iso(self.started),
            "ended": iso(self.ended),
            "tenant_clock": iso(self.tenant_clock) if self.tenant_clock else None,
            "complete": self.complete,
            "selection": jsonable(self.selection),
            "verdict": self.verdict.value,
            "check_versions": {r.check_id: r.check_version for r in self.results},
            "results": [r.to_json() for r in self.results],
            "request_stats": jsonable(self.request_stats),
            "fact_digests": jsonable(self.fact_digests),
            **self._object_lists(),
            "earliest_closure": {
                "date": iso(closure.date) if closure.date else None,
                "reason": closure.reason,
                "check_ids": list(closure.check_ids),
            },
        }

    def _object_lists(self) -> dict[str, Any]:
        # Present only when a list is long: the record then needs its side file (record_objects.side_file).
        lists = [(key, len(items)) for key, items in object_lists(self.results)]
        if not lists:
            return {}
        return {"object_lists": {"lists": len(lists), "objects": sum(n for _, n in lists)}}

    def canonical_bytes(self) -> bytes:
        cached: bytes | None = self.__dict__.get("_canonical")
        if cached is None:
            cached = json.dumps(self.body(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            self.__dict__["_canonical"] = cached
        return cached

    @property
    def run_id(self) -> str:
        return hashlib.sha256(self.canonical_bytes()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {**self.body(), "run_id": self.run_id}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRecord:
        """Read a record back; a record whose content no longer matches its run_id is refused."""
        if data.get("schema_version") != SCHEMA_VERSION:
            raise IntegrityError(
                f"run record schema version {data.get('schema_version')!r} is not {SCHEMA_VERSION}",
                "run `closegate audit` again with this version of closegate",
            )
        closure = data["earliest_closure"]
        record = cls(
            tool_version=data["tool_version"],
            tenant=TenantInfo(**data["tenant"]),
            caller=data["caller"],
            started=parse_time(data["started"]),
            ended=parse_time(data["ended"]),
            tenant_clock=parse_time(data["tenant_clock"]) if data["tenant_clock"] else None,
            results=tuple(CheckResult.from_json(r) for r in data["results"]),
            complete=data["complete"],
            selection=data["selection"],
            request_stats=data["request_stats"],
            earliest_closure=ClosureDate(
                parse_time(closure["date"]) if closure["date"] else None,
                closure["reason"],
                tuple(closure["check_ids"]),
            ),
            fact_digests=data["fact_digests"],
            offline=data["offline"] if isinstance(data.get("offline"), dict) else None,
        )
        if record.run_id != data.get("run_id"):
            raise IntegrityError(
                "the run record was changed after it was written (its content no longer matches its run_id)",
                "run `closegate audit` again to get a record that verifies",
            )
        return record
