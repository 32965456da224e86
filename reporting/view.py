"""The run record as plain, bounded, display-ready data, so templates hold nothing but loops and branches.

Everything a report shows is decided here: which evidence rows fit (the first few, then "and N
more"; the JSON keeps them all), how a status reads as text and symbol (never colour alone), which
links may be links (only Microsoft hosts closegate itself points to), and how a tenant string is made
safe to display (`reporting.text`). Templates receive a `ReportView` and nothing else. Evidence and
statistics are shown in the order of the run record's canonical JSON (keys sorted), so the report
rendered from the record in memory is byte for byte the one `closegate verify` renders from run.json.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from closegate.closure.signoffs import SignOff, Verification
from closegate.models import CheckResult, RunRecord, Status, Step, Verdict
from closegate.reporting.approval import Approval, approval
from closegate.reporting.approvers import Approver, ApproverView, approvers_json, prepared_fields
from closegate.reporting.chart import Bar, bars
from closegate.reporting.instructions import INSTRUCTION_KEYS, WhereToLook, where_to_look, whole
from closegate.reporting.objects_csv import file_name
from closegate.reporting.records_view import (
    RECORDS_ANCHOR,
    RECORDS_LABEL,
    RECORDS_TITLE,
    LegalView,
    legal_view,
    split_records,
)
from closegate.reporting.text import MISSING, clip, display, visible

__all__ = [
    "DOC_HOSTS",
    "EVIDENCE_ROWS",
    "LANGUAGE",
    "PAGE_SIZES",
    "CheckView",
    "Fact",
    "Label",
    "Link",
    "ReportView",
    "StepView",
    "Table",
    "build",
    "safe_link",
]

EVIDENCE_ROWS = 10  # rows of one evidence list shown in a report
EVIDENCE_COLUMNS = 6
CELL_CHARS = 120
WIDE_CHARS = 24  # an evidence value longer than this spans two columns of the evidence grid
TEXT_CHARS = 1_000
HEADER_CHARS = 60  # tenant name in the running page header
SUBTITLE_CHARS = 200
PAGE_SIZES: Mapping[str, str] = {"a4": "A4", "letter": "letter"}  # option value -> CSS @page size
LANGUAGE = "en"  # the report's language (issue 19 adds zh-TW); recorded in the PDF so it renders again the same

# Links are only ever places closegate sends people itself: Microsoft documentation and portals.
DOC_HOSTS = frozenset({
    "learn.microsoft.com", "docs.microsoft.com", "support.microsoft.com", "admin.microsoft.com",
    "entra.microsoft.com", "portal.azure.com", "aad.portal.azure.com", "go.microsoft.com",
})


@dataclass(frozen=True)
class Label:
    """A status or verdict as words and a symbol; `code` only picks a CSS class."""

    code: str
    text: str
    symbol: str
    short: str = ""  # a column heading where the full text does not fit


STATUS_LABELS: Mapping[Status, Label] = {
    Status.PASS: Label("pass", "Pass", "\u2713", "Pass"),
    Status.FAIL: Label("fail", "Fail", "\u2717", "Fail"),
    Status.ERROR: Label("error", "Error: not decided", "!", "Error"),
    Status.ATTEST: Label("attest", "Attestation required", "\u270e", "Attest"),
    Status.NOT_APPLICABLE: Label("na", "Not applicable", "\u2013", "N/A"),
}
VERDICT_LABELS: Mapping[Verdict, Label] = {
    Verdict.READY: Label("ready", "READY", "\u2713"),
    Verdict.NOT_READY: Label("not-ready", "NOT READY", "\u2717"),
    Verdict.CANNOT_DETERMINE: Label("cannot-determine", "CANNOT DETERMINE", "?"),
}
_SIGNOFF_STATES = {Verification.VERIFIED: "pass", Verification.PDF_SIGNED: "pass", Verification.INVALID: "fail",
                   Verification.UNSIGNED: "na"}
_WORST_FIRST = (Status.FAIL, Status.ERROR, Status.ATTEST, Status.PASS, Status.NOT_APPLICABLE)

_STAT_LABELS = {
    "requests": "HTTP requests",
    "batched": "Requests carried in $batch",
    "retries": "Retries",
    "throttled": "Throttled answers (429)",
    "errors": "Failed answers",
    "bytes_in": "Bytes received",
    "bytes_out": "Bytes sent",
    "resource_units": "Graph resource units",
}
_ENDPOINT_COLUMNS = ("requests", "batched", "throttled", "retries", "errors")


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    mono: bool = False  # hashes and ids, set in a fixed-width face so they can be compared by eye

    @property
    def wide(self) -> bool:
        """Too long for one narrow column of the evidence grid: it takes two."""
        return len(self.value) > WIDE_CHARS


@dataclass(frozen=True)
class Table:
    label: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    more: int  # rows left out of the report ("and N more")
    csv: str = ""  # the file in report-objects/ holding every row (reporting.objects_csv)

    @property
    def more_text(self) -> str:
        return f"{self.more:,}"


@dataclass(frozen=True)
class Link:
    text: str
    url: str  # "" when the address is not one closegate may link to: then it is shown as text


@dataclass(frozen=True)
class AttestationView:
    check_id: str
    statement: str
    by: str
    when: str
    expires: str
    evidence: str


@dataclass(frozen=True)
class CheckView:
    id: str
    title: str
    version: str
    status: Label
    severity: str
    blocking: bool
    message: str
    why: str
    facts: tuple[Fact, ...]
    tables: tuple[Table, ...]
    fix: str
    doc: Link
    blocked_until: str
    blocked_because: str
    error_cause: str
    error_fix: str
    attestation: AttestationView | None
    where: WhereToLook | None  # the check's "Where to look", whole (instructions are never cut)
    evidence_open: bool  # the HTML shows the evidence unfolded (what needs action) or folded


@dataclass(frozen=True)
class StepView:
    number: int
    title: str
    status: Label
    checks: tuple[CheckView, ...]
    counts: tuple[tuple[Label, int], ...]  # every status, in a fixed order, even when zero
    anchor: str = ""  # the section's id: "step-N", or records_view.RECORDS_ANCHOR
    label: str = ""  # "Step N", or "Records and legal"
    heading: str = ""  # the summary table's row: "N. title", or the records section's label


@dataclass(frozen=True)
class SignOffView:
    by: str
    role: str
    when: str
    verification: str
    state: str  # "pass" verified, "fail" does not verify, "na" unsigned: picks the badge
    fingerprint: str


@dataclass(frozen=True)
class ReportView:
    run_id: str
    generator: str
    page_size: str
    page_size_css: str
    created: str  # the run's end, ISO: the PDF's creation date, so renders are reproducible
    verdict: Label
    verdict_summary: str
    closure_date: str
    closure_reason: str
    closure_checks: str
    header_tenant: str
    subtitle: str
    tenant: tuple[Fact, ...]
    run: tuple[Fact, ...]
    caller: tuple[Fact, ...]
    steps: tuple[StepView, ...]
    attestations: tuple[AttestationView, ...]
    stats: tuple[Fact, ...]
    endpoints: Table | None
    signoffs: tuple[SignOffView, ...]  # approvals (the [signoff] required kind)
    legal: LegalView | None  # the legal sign-off block, when a legal-hold check failed
    legal_signoffs: tuple[SignOffView, ...]
    approvers: tuple[ApproverView, ...]  # none when the run cannot be approved (reporting.approval)
    approvers_json: str  # the approvers as rendered, in the PDF metadata so a verifier can render them again
    signoffs_shown: int
    language: str
    check_ids: tuple[str, ...]
    totals: tuple[tuple[Label, int], ...]  # checks of each status, worst first, even when zero
    chart: tuple[Bar, ...]
    approval: Approval  # whether this run may be approved at all; without it no approver box is drawn


def safe_link(url: str, text: str = "") -> Link:
    """A link only to an allow-listed Microsoft host over https; anything else becomes plain text."""
    shown = visible(clip(text or url, CELL_CHARS))
    try:
        parts = urlsplit(url)
        allowed = (parts.scheme == "https" and parts.hostname in DOC_HOSTS and parts.port is None
                   and not parts.username and not parts.password and url.isprintable() and " " not in url
                   and not any(c in url for c in "\"'<>\\`"))
    except ValueError:
        allowed = False
    return Link(shown, url if allowed else "")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else MISSING


def _label(key: str) -> str:
    return visible(clip(key.replace("_", " ").strip().capitalize() or key, 80))


def _table(key: str, items: Sequence[Mapping[str, Any]], csv: str = "") -> Table:
    shown = items[:EVIDENCE_ROWS]
    columns: list[str] = []
    for row in shown:
        columns.extend(k for k in sorted(row) if k not in columns)
    columns = columns[:EVIDENCE_COLUMNS]
    rows = tuple(tuple(display(row.get(c), CELL_CHARS) for c in columns) for row in shown)
    return Table(_label(key), tuple(_label(c) for c in columns), rows, len(items) - len(shown), csv)


def _evidence(check_id: str, evidence: Mapping[str, Any],
              skip: frozenset[str]) -> tuple[tuple[Fact, ...], tuple[Table, ...]]:
    facts: list[Fact] = []
    tables: list[Table] = []
    for key, value in sorted(evidence.items()):
        if key in skip:
            continue
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value[:EVIDENCE_ROWS]):
            tables.append(_table(key, value, file_name(check_id, key)))
        elif isinstance(value, list) and not value:
            facts.append(Fact(_label(key), "none"))
        else:
            facts.append(Fact(_label(key), display(value, CELL_CHARS)))
    return tuple(facts), tuple(tables)


def _attestation(check_id: str, data: Mapping[str, Any]) -> AttestationView:
    def text(name: str) -> str:
        value = data.get(name)
        return visible(clip(str(value), TEXT_CHARS)) if value else MISSING

    return AttestationView(check_id, text("statement"), text("by"), text("when"), text("expires"), text("evidence"))


def _check(result: CheckResult) -> CheckView:
    skip = INSTRUCTION_KEYS | ({"attestation"} if result.attestation else frozenset())
    facts, tables = _evidence(result.check_id, result.evidence, skip)
    error = result.error or {}
    # `why` is the check's declared reason; results gain it from the runner (older records lack it).
    why = getattr(result, "why", "") or ""
    return CheckView(
        id=visible(result.check_id), title=visible(clip(result.title, TEXT_CHARS)),
        version=visible(clip(result.check_version, 40)), status=STATUS_LABELS[result.status],
        severity=result.severity.value.capitalize(), blocking=result.blocking,
        message=visible(clip(result.message, TEXT_CHARS)), why=visible(clip(why, TEXT_CHARS)),
        facts=facts, tables=tables, fix=whole(result.fix),
        doc=safe_link(result.doc_url) if result.doc_url else Link("", ""),
        blocked_until=_when(result.blocked_until) if result.blocked_until else "",
        blocked_because=visible(clip(result.blocked_because, TEXT_CHARS)),
        error_cause=visible(clip(str(error.get("cause", "")), TEXT_CHARS)),
        error_fix=whole(error.get("fix")),
        attestation=_attestation(result.check_id, result.attestation) if result.attestation else None,
        where=where_to_look(result.evidence),
        evidence_open=result.status in (Status.FAIL, Status.ERROR, Status.ATTEST),
    )


def _step(step: Step, results: Sequence[CheckResult], *, records: bool = False) -> StepView:
    checks = tuple(_check(r) for r in results)
    present = {r.status for r in results}
    worst = next((s for s in _WORST_FIRST if s in present), Status.NOT_APPLICABLE)
    counts = tuple((STATUS_LABELS[s], sum(1 for r in results if r.status is s)) for s in _WORST_FIRST)
    if records:
        return StepView(int(step), RECORDS_TITLE, STATUS_LABELS[worst], checks, counts, RECORDS_ANCHOR, RECORDS_LABEL,
                        RECORDS_LABEL)
    return StepView(int(step), step.title, STATUS_LABELS[worst], checks, counts, f"step-{int(step)}",
                    f"Step {int(step)}", f"{int(step)}. {step.title}")


def _steps(results: Sequence[CheckResult]) -> tuple[StepView, ...]:
    """Microsoft's steps in order, with the Records and legal section right after the backup step."""
    procedure, records = split_records(results)
    views: list[StepView] = []
    for step in Step:
        rows = [r for r in procedure if r.step is step]
        if rows:
            views.append(_step(step, rows))
        if step is Step.BACKUP and records:
            views.append(_step(step, records, records=True))
    return tuple(views)


def _verdict_summary(record: RunRecord) -> str:
    verdict = record.verdict
    if verdict is Verdict.READY:
        return "Every blocking check passed in a complete run: nothing found stands in the way of closing the tenant."
    if verdict is Verdict.NOT_READY:
        failing = [r.check_id for r in record.results if r.blocking and r.status is Status.FAIL]
        legal = [r.check_id for r in record.results if r.blocking and r.status is Status.FAIL and r.legal_signoff]
        accept = (f" A legal sign-off bound to this run may accept {', '.join(legal)} (the legal holds); the gate "
                  "accepts no other failure." if legal else "")
        return f"{len(failing)} blocking check(s) failed: {', '.join(failing)}.{accept}"
    parts = []
    errors = [r.check_id for r in record.results if r.status is Status.ERROR]
    attest = [r.check_id for r in record.results if r.blocking and r.status is Status.ATTEST]
    if errors:
        parts.append(f"{len(errors)} check(s) could not be decided ({', '.join(errors)})")
    if attest:
        parts.append(f"{len(attest)} check(s) need a recorded attestation ({', '.join(attest)})")
    if not record.complete:
        parts.append("the run did not include the full catalog")
    return "No blocking check failed, but " + "; ".join(parts) + "."


def _caller(caller: Mapping[str, Any]) -> tuple[Fact, ...]:
    if not caller:
        return (Fact("Caller", "could not be identified"),)
    names = (("kind", "Kind"), ("display_name", "Name"), ("user_principal_name", "User principal name"),
             ("app_id", "Application (client) id"), ("is_global_admin", "Global Administrator"),
             ("permissions", "Permissions"), ("arm_access", "Azure Resource Manager access"))
    return tuple(Fact(label, display(caller[key], CELL_CHARS)) for key, label in names if key in caller)


def _count(counts: Any, key: str) -> int:
    value = counts.get(key) if isinstance(counts, Mapping) else None
    return value if isinstance(value, int) else 0


def _stats(stats: Mapping[str, Any]) -> tuple[tuple[Fact, ...], Table | None]:
    facts: list[Fact] = []
    totals = stats.get("totals")
    if isinstance(totals, Mapping):
        facts.extend(Fact(_STAT_LABELS.get(k, _label(k)), display(v)) for k, v in sorted(totals.items()))
    for key, value in sorted(stats.items()):
        if key not in ("totals", "endpoints"):
            facts.append(Fact(_label(key), display(value, CELL_CHARS)))
    endpoints = stats.get("endpoints")
    if not isinstance(endpoints, Mapping) or not endpoints:
        return tuple(facts), None
    busiest = sorted(endpoints.items(), key=lambda kv: (-_count(kv[1], "requests"), kv[0]))
    rows = [{"endpoint": name, **{c: counts.get(c) for c in _ENDPOINT_COLUMNS}}
            for name, counts in busiest if isinstance(counts, Mapping)]
    return tuple(facts), _table("endpoints", rows)


def _signoff(signoff: SignOff) -> SignOffView:
    verification = signoff.verification()
    return SignOffView(
        by=visible(clip(signoff.by, 200)), role=visible(clip(signoff.role, 200)),
        when=visible(clip(signoff.when, 40)), verification=verification.value,
        state=_SIGNOFF_STATES[verification], fingerprint=signoff.key_fingerprint(),
    )


def _approvers(approvers: Sequence[Approver]) -> tuple[ApproverView, ...]:
    return tuple(ApproverView(n, visible(clip(a.name, 200)), visible(clip(a.role, 200)), field)
                 for n, (field, a) in enumerate(prepared_fields(approvers).items(), 1))


def build(
    record: RunRecord,
    *,
    run_id: str,
    generator: str,
    page_size: str = "a4",
    signoffs: Sequence[SignOff] = (),
    approvers: Sequence[Approver] = (),
) -> ReportView:
    """The whole report's data; `run_id` is passed in because hashing a large record is not free.

    `approvers` are the people asked to sign, one box (and one PDF signature field) each; without any,
    the report leaves approvers.DEFAULT_APPROVERS blank boxes.
    """
    tenant = record.tenant
    closure = record.earliest_closure
    duration = (record.ended - record.started).total_seconds()
    selection = record.selection
    run_facts = [
        Fact("Started", _when(record.started)),
        Fact("Ended", f"{_when(record.ended)} ({duration:,.1f} s)"),
        Fact("Tenant clock", _when(record.tenant_clock)),
        Fact("closegate version", visible(clip(record.tool_version, 40))),
        Fact("Checks run", f"{len(record.results)} of {len(selection.get('catalog', [])) or len(record.results)} "
                           f"in the catalog ({'complete run' if record.complete else 'PARTIAL run'})"),
    ]
    stats, endpoints = _stats(record.request_stats)
    can_approve = approval(record)
    attestations = tuple(_attestation(r.check_id, r.attestation) for r in record.results if r.attestation)
    return ReportView(
        run_id=run_id, generator=generator, page_size=page_size, page_size_css=PAGE_SIZES[page_size],
        created=record.ended.isoformat(),
        verdict=VERDICT_LABELS[record.verdict], verdict_summary=visible(_verdict_summary(record)),
        closure_date=_when(closure.date) if closure.date else "No date limit is known",
        closure_reason=visible(clip(closure.reason, TEXT_CHARS)),
        closure_checks=", ".join(visible(c) for c in closure.check_ids),
        header_tenant=visible(clip(tenant.name or tenant.primary_domain or tenant.id, HEADER_CHARS, count=False)),
        subtitle=visible(clip(f"{tenant.name} ({tenant.primary_domain})" if tenant.primary_domain else tenant.name,
                              SUBTITLE_CHARS)),
        tenant=(Fact("Name", visible(clip(tenant.name, TEXT_CHARS)) or MISSING),
                Fact("Tenant id", visible(clip(tenant.id, 100)), mono=True),
                Fact("Primary domain", visible(clip(tenant.primary_domain, 300)) or MISSING),
                Fact("Cloud", visible(tenant.cloud))),
        run=tuple(run_facts), caller=_caller(record.caller),
        steps=_steps(record.results), legal=legal_view(record.results),
        legal_signoffs=tuple(_signoff(s) for s in signoffs if s.is_legal),
        attestations=attestations, stats=stats, endpoints=endpoints,
        signoffs=tuple(_signoff(s) for s in signoffs if not s.is_legal),
        approvers=_approvers(approvers) if can_approve.possible else (),
        approvers_json=approvers_json(approvers), signoffs_shown=len(signoffs), language=LANGUAGE,
        check_ids=tuple(visible(r.check_id) for r in record.results),
        totals=tuple((STATUS_LABELS[s], sum(1 for r in record.results if r.status is s)) for s in _WORST_FIRST),
        chart=bars(record.results, _WORST_FIRST, {s: label.code for s, label in STATUS_LABELS.items()}),
        approval=can_approve,
    )
