"""Benchmark: HTML + PDF reports of a 100,000-user run (targets: under 20 s, under 500 MB peak RSS).

The run record carries every user in its evidence, as a real audit's does (the JSON has them all);
the reports show the first few of each list, so rendering time should not grow with the tenant.
Prints the time to read run.json (hash check included), to render each format, and this process's
peak RSS (record included). Run: PYTHONPATH=. .venv/bin/python bench/report_render.py [USERS]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from closegate.models import CheckResult, ClosureDate, RunRecord, Severity, Status, Step, TenantInfo
from closegate.records import read_record, write_record
from closegate.reporting import render
from closegate.tags import load_key

__all__ = ["main"]

TIME_LIMIT_S = 20.0
RSS_LIMIT_MB = 500.0
_DOC = "https://learn.microsoft.com/en-us/entra/identity/users/directory-delete-howto"


def _result(check_id: str, step: Step, status: Status, message: str, evidence: dict[str, Any]) -> CheckResult:
    return CheckResult(check_id=check_id, title=f"Check {check_id}", check_version="1", step=step,
                       severity=Severity.CRITICAL, blocking=True, status=status, message=message,
                       evidence=evidence, doc_url=_DOC, fix="Action delete_users", duration_ms=800)


def large_run(users: int) -> RunRecord:
    start = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    people = [{"id": f"{i:08x}-0000-4000-8000-000000000000", "user_principal_name": f"user{i}@contoso.com",
               "user_type": "Member" if i % 10 else "Guest", "account_enabled": bool(i % 7),
               "synced": i % 3 == 0} for i in range(users)]
    mfa = [{"id": p["id"], "user_principal_name": p["user_principal_name"], "per_user_mfa_state": "enforced"}
           for p in people[::2]]
    results = (
        _result("CG-001", Step.BACKUP, Status.PASS, f"a verified backup covers {users:,} users", {"users": users}),
        _result("CG-004", Step.DELETE_USERS, Status.FAIL, f"{users:,} users remain", {"remaining": users, "users": people}),
        _result("CG-005", Step.DELETE_USERS, Status.FAIL, "sync is on",
                {"synced_users": [p for p in people if p["synced"]]}),
        _result("CG-008", Step.DISABLE_MFA, Status.FAIL, f"{len(mfa):,} users have per-user MFA", {"users": mfa}),
        _result("CG-013", Step.DELETE_DIRECTORY, Status.ATTEST, "no API can see MFA providers", {}),
    )
    return RunRecord(
        tool_version="0.1.0", tenant=TenantInfo("8f0c5e1a-4b7d-4c2e-9a31-6d2b7f9e0c11", "Fabrikam Global",
                                                "fabrikam.onmicrosoft.com", "global"),
        caller={"kind": "app", "app_id": "11111111-1111-1111-1111-111111111111", "display_name": "closegate"},
        started=start, ended=start + timedelta(minutes=3), tenant_clock=start, results=results, complete=True,
        selection={"only": [], "skip": [], "catalog": [r.check_id for r in results]},
        request_stats={"totals": {"requests": 5400, "throttled": 31}},
        earliest_closure=ClosureDate(start + timedelta(hours=72), "sync turn-off", ("CG-005",)),
    )


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(users: int = 100_000) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="closegate-bench-report-") as tmp:
        key = load_key(Path(tmp) / "record.key")  # a key of the benchmark's own: the home is left alone
        run = write_record(large_run(users), Path(tmp), key)
        size_mb = run.stat().st_size / 1e6
        started = time.perf_counter()
        record = read_record(run, key)
        loaded = time.perf_counter()
        render(record, Path(tmp), formats=("html",))
        html_done = time.perf_counter()
        render(record, Path(tmp), formats=("pdf",))
        pdf_done = time.perf_counter()
        pages_kb = {p.suffix: round(p.stat().st_size / 1024) for p in Path(tmp).glob("report.*")}
    numbers: dict[str, object] = {
        "users": users,
        "run_json_mb": round(size_mb, 1),
        "read_and_hash_s": round(loaded - started, 2),
        "html_s": round(html_done - loaded, 2),
        "pdf_s": round(pdf_done - html_done, 2),
        "total_s": round(pdf_done - started, 2),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "report_kb": pages_kb,
    }
    numbers["within_targets"] = (float(numbers["total_s"]) < TIME_LIMIT_S  # type: ignore[arg-type]
                                 and float(numbers["peak_rss_mb"]) < RSS_LIMIT_MB)  # type: ignore[arg-type]
    for key, value in numbers.items():
        print(f"{key:>16}: {value}")
    return numbers


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
