"""Run records for the reporting tests, built with closegate.models: one per kind of verdict, plus a hostile one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from closegate.models import CheckResult, ClosureDate, RunRecord, Severity, Status, Step, TenantInfo

__all__ = ["HOSTILE_MARKUP", "NOW", "PWNED", "SCRIPTS", "cannot_determine", "demo", "hostile", "ready", "record",
           "result", "scripts"]

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
DOC = "https://learn.microsoft.com/en-us/entra/identity/users/directory-delete-howto"
STATS = {"totals": {"requests": 1840, "batched": 1200, "retries": 14, "throttled": 9, "errors": 0,
                    "bytes_in": 48_211_004, "bytes_out": 301_220, "resource_units": 5200},
         "token_requests": 2,
         "endpoints": {"/v1.0/users": {"requests": 1020, "batched": 1000, "throttled": 9, "retries": 9, "errors": 0},
                       "/v1.0/organization": {"requests": 1, "batched": 0, "throttled": 0, "retries": 0, "errors": 0}}}


def result(check_id: str, step: Step, status: Status, message: str, evidence: dict[str, Any] | None = None,
           **changes: Any) -> CheckResult:
    fields: dict[str, Any] = dict(
        check_id=check_id, title=f"Check {check_id} holds", check_version="1", step=step,
        severity=Severity.CRITICAL, blocking=True, status=status, message=message, evidence=evidence or {},
        doc_url=DOC, fix=f"Run the action that fixes {check_id}.", duration_ms=12,
    )
    if status is Status.ERROR:
        fields["error"] = {"kind": "PermissionDenied", "cause": "the caller lacks RoleManagement.Read.Directory",
                           "fix": "grant RoleManagement.Read.Directory to the app registration and consent"}
    fields.update(changes)
    return CheckResult(**fields)


def _record(results: tuple[CheckResult, ...], *, tenant: TenantInfo | None = None,
            caller: dict[str, Any] | None = None, closure: ClosureDate | None = None,
            complete: bool = True) -> RunRecord:
    return RunRecord(
        tool_version="0.1.0",
        tenant=tenant or TenantInfo("8f0c5e1a-4b7d-4c2e-9a31-6d2b7f9e0c11", "Contoso Ltd", "contoso.onmicrosoft.com", "global"),
        caller=caller if caller is not None else {
            "kind": "user", "object_id": "id-admin", "display_name": "Closing Admin",
            "user_principal_name": "admin@contoso.onmicrosoft.com", "app_id": "11111111-1111-1111-1111-111111111111",
            "is_global_admin": True, "permissions": ["User.Read.All", "Directory.Read.All"]},
        started=NOW, ended=NOW + timedelta(seconds=41), tenant_clock=NOW,
        results=results, complete=complete,
        selection={"only": [], "skip": [], "catalog": [r.check_id for r in results]},
        request_stats=STATS,
        earliest_closure=closure or ClosureDate(None, "every blocking check passes", ()),
    )


def record(results: tuple[CheckResult, ...]) -> RunRecord:
    """A complete run of these results, of the usual tenant and caller."""
    return _record(results)


def _users(count: int, upn: str = "user{}@contoso.com") -> list[dict[str, Any]]:
    return [{"id": f"id-{i}", "user_principal_name": upn.format(i), "user_type": "Member",
             "account_enabled": True, "synced": i % 3 == 0} for i in range(count)]


def demo(users: int = 57) -> RunRecord:
    """Like the emulator's demo tenant: users, sync and subscriptions left, MFA providers to attest."""
    return _record((
        result("CG-001", Step.BACKUP, Status.PASS, "a verified backup from 2026-02-28 covers 58 users"),
        result("CG-003", Step.DELETE_USERS, Status.PASS, "admin@contoso.onmicrosoft.com is the only Global Administrator"),
        result("CG-004", Step.DELETE_USERS, Status.FAIL, f"{users} users besides the closing administrator remain",
               {"closing_admin": "admin@contoso.onmicrosoft.com", "remaining": users, "users": _users(users)}),
        result("CG-005", Step.DELETE_USERS, Status.FAIL, "directory sync is on; 19 users are synced",
               {"org_sync_enabled": True, "synced_users": 19},
               blocked_until=NOW + timedelta(hours=72), blocked_because="turning sync off takes up to 72 hours"),
        result("CG-006", Step.CANCEL_SUBSCRIPTIONS, Status.FAIL, "2 subscriptions are active",
               {"subscriptions": [{"sku": "ENTERPRISEPACK", "status": "Enabled"}, {"sku": "EMS", "status": "Warning"}]}),
        result("CG-008", Step.DISABLE_MFA, Status.NOT_APPLICABLE, "no user has per-user MFA"),
        result("CG-013", Step.DELETE_DIRECTORY, Status.ATTEST, "no API can see MFA providers: attest there are none"),
        result("CG-015", Step.DELETE_DIRECTORY, Status.ATTEST, "no API can see invoices", blocking=False),
    ), closure=ClosureDate(NOW + timedelta(hours=72), "directory sync turn-off completes", ("CG-005",)))


def ready() -> RunRecord:
    attestation = {"item": "CG-013", "statement": "There is no MFA provider in the tenant", "by": "Dana Compliance",
                   "when": "2026-03-01T10:00:00Z", "evidence": "portal screenshot ticket #4411", "expires": None}
    invoices = {**attestation, "item": "CG-015", "statement": "Every invoice is paid", "by": "Billing Officer"}
    return _record((
        result("CG-001", Step.BACKUP, Status.PASS, "a verified backup from 2026-02-28 covers 58 users"),
        result("CG-004", Step.DELETE_USERS, Status.PASS, "only the closing administrator remains",
               {"closing_admin": "admin@contoso.onmicrosoft.com", "remaining": 0, "users": []}),
        result("CG-013", Step.DELETE_DIRECTORY, Status.PASS, "attested by Dana Compliance on 2026-03-01",
               {"attestation": attestation}, attestation=attestation),
        result("CG-015", Step.DELETE_DIRECTORY, Status.PASS, "attested by Billing Officer on 2026-03-01",
               {"attestation": invoices}, attestation=invoices),
    ))


def cannot_determine() -> RunRecord:
    return _record((
        result("CG-001", Step.BACKUP, Status.PASS, "a verified backup covers every user"),
        result("CG-003", Step.DELETE_USERS, Status.ERROR, "could not decide: the caller lacks RoleManagement.Read.Directory"),
        result("CG-013", Step.DELETE_DIRECTORY, Status.ATTEST, "no API can see MFA providers: attest there are none"),
    ), caller={})


# The first three set a marker on the page if they ever run (tests/reporting/test_report_browser.py looks for it).
PWNED = "data-pwned"
HOSTILE_MARKUP = (
    "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','img')\">",
    "<svg onload=\"document.documentElement.setAttribute('data-pwned','svg')\"></svg>",
    "<script>document.documentElement.setAttribute('data-pwned','script')</script>",
    "<script>alert(1)</script>",
    "</td></tr></table><h1>READY</h1>",
    "<img src=http://127.0.0.1:{port}/x>",
    "<link rel=stylesheet href=http://127.0.0.1:{port}/css>",
    "<style>@import url(http://127.0.0.1:{port}/import);</style>",
    "url(file:///etc/passwd)",
    "\" style=\"background:url(http://127.0.0.1:{port}/attr)",
)


def hostile(port: int = 1) -> RunRecord:
    """Every string a tenant controls is an attack: markup, URLs to a loopback spy, bidi tricks, control
    characters XML forbids, emoji and 10,000-character strings."""
    marks = [m.format(port=port) for m in HOSTILE_MARKUP]
    evil = " ".join(marks) + " \u202eRTL-override\u202c \u2066isolate\u2069 \U0001f600\U0001f525 \x00\x07\x1b\x0b\x85 end"
    long = "A" * 10_000
    users = [{"id": f"id-{i}", "user_principal_name": f"{marks[i % len(marks)]}@evil.example",
              "display_name": evil if i == 0 else long, "user_type": "Guest", "account_enabled": True}
             for i in range(25)]
    return _record((
        result("CG-001", Step.BACKUP, Status.PASS, f"backup of {evil}"),
        result("CG-004", Step.DELETE_USERS, Status.FAIL, f"25 users remain, e.g. {evil} {long}",
               {"closing_admin": evil, "remaining": 25, "users": users, evil: long},
               title=f"No users {evil}", fix=f"delete {evil}", blocked_because=evil,
               doc_url=f"http://127.0.0.1:{port}/not-microsoft"),
        result("CG-006", Step.CANCEL_SUBSCRIPTIONS, Status.FAIL, evil,
               doc_url="https://learn.microsoft.com.evil.example/x", fix=long),
        result("CG-013", Step.DELETE_DIRECTORY, Status.ERROR, f"could not decide: {evil}",
               error={"kind": evil, "cause": evil, "fix": long}),
        result("CG-015", Step.DELETE_DIRECTORY, Status.NOT_APPLICABLE, evil, doc_url="javascript:alert(1)"),
    ), tenant=TenantInfo(f"tenant-{evil}", evil + long, f"{marks[2]}.onmicrosoft.com", "custom"),
       caller={"kind": "user", "display_name": evil, "user_principal_name": long, "permissions": marks},
       closure=ClosureDate(NOW + timedelta(hours=1), evil, ("CG-004",)))


# A name in each script a tenant may hold (issue 19): what the report must draw, never as empty boxes.
SCRIPTS = {
    "Traditional Chinese": "陳美玲（臺北資訊處）",
    "Simplified Chinese": "张伟（北京研发中心）",
    "Japanese": "山田さくら・カタカナ",
    "Korean": "김민준 (서울 지사)",
    "Arabic": "محمد الأحمد",
    "Hebrew": "דוד כהן",
    "Devanagari": "अर्जुन शर्मा",
    "Thai": "สมชาย ใจดี",
    "Emoji": "\U0001f680\u2705\U0001f469\u200d\U0001f4bb",
}


def scripts() -> RunRecord:
    """Users named in every script, one per row, and a tenant name that mixes scripts with Latin."""
    users = [{"id": f"id-{n}", "display_name": name, "user_principal_name": f"user{n}@contoso.com", "script": script}
             for n, (script, name) in enumerate(SCRIPTS.items())]
    return _record((
        result("CG-001", Step.BACKUP, Status.PASS, "a verified backup from 2026-02-28 covers 10 users"),
        result("CG-004", Step.DELETE_USERS, Status.FAIL, f"{len(users)} users besides the closing administrator remain, "
               f"e.g. {SCRIPTS['Arabic']} and {SCRIPTS['Traditional Chinese']}",
               {"closing_admin": "admin@contoso.onmicrosoft.com", "remaining": len(users), "users": users}),
    ), tenant=TenantInfo("8f0c5e1a-4b7d-4c2e-9a31-6d2b7f9e0c11", "Contoso 台灣分公司 \u05e9\u05dc\u05d5\u05dd",
                         "contoso.onmicrosoft.com", "global"))
