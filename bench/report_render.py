"""Benchmark: run.json of a 1,000,000-user run, then its HTML + PDF reports rendered in a process of their own.

The run record carries every user in its evidence, as a real audit's does; lists longer than
closegate.record_objects.INLINE_LIMIT go to the side file (run.objects.jsonl.gz) that the run hash
covers. This process builds and writes the record (as the audit would); a child process then does
what `closegate report` does: read run.json (hash, tag and every object of the side file checked) and
render HTML and PDF. Targets (issue 17): run.json < 10 MB; reading plus rendering < 60 s and the
renderer's peak RSS < 500 MB. Run: PYTHONPATH=. .venv/bin/python -m bench.report_render [USERS]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bench.serve import ROOT, peak_rss_mb
from bench.table import below, rows_json
from closegate.models import CheckResult, ClosureDate, RunRecord, Severity, Status, Step, TenantInfo
from closegate.records import read_record, write_record
from closegate.reporting import render
from closegate.tags import load_key

__all__ = ["main"]

USERS = 1_000_000
TIME_LIMIT_S = 60.0
RSS_LIMIT_MB = 500.0
RUN_JSON_LIMIT_MB = 10.0
NAME = "report"
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


def _render(run: Path, key_path: Path) -> dict[str, object]:
    """What `closegate report` does, timed: read the record (side file verified), then HTML, then PDF."""
    key = load_key(key_path)
    started = time.perf_counter()
    record = read_record(run, key)
    loaded = time.perf_counter()
    render(record, run.parent, formats=("html",))
    html_done = time.perf_counter()
    render(record, run.parent, formats=("pdf",))
    pdf_done = time.perf_counter()
    return {"read_and_verify_s": round(loaded - started, 2), "html_s": round(html_done - loaded, 2),
            "pdf_s": round(pdf_done - html_done, 2), "total_s": round(pdf_done - started, 2),
            "peak_rss_mb": peak_rss_mb(),
            "report_kb": {p.suffix: round(p.stat().st_size / 1024) for p in run.parent.glob("report.*")}}


def main(argv: list[str] | None = None) -> dict[str, object]:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--child"]:
        print(json.dumps(_render(Path(args[1]), Path(args[2]))))
        return {}
    users = int(args[0]) if args else USERS
    with tempfile.TemporaryDirectory(prefix="closegate-bench-report-") as tmp:
        key_path = Path(tmp) / "record.key"  # a key of the benchmark's own: the home is left alone
        started = time.perf_counter()
        run = write_record(large_run(users), Path(tmp), load_key(key_path))
        written = time.perf_counter() - started
        sizes = {p.name: p.stat().st_size for p in Path(tmp).iterdir() if p.name.startswith("run.")}
        proc = subprocess.run([sys.executable, "-m", "bench.report_render", "--child", str(run), str(key_path)],
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                              timeout=3600)
        if proc.returncode != 0:
            raise RuntimeError(f"rendering failed: {proc.stderr[-3000:]}")
        child = json.loads(proc.stdout.strip().splitlines()[-1])
    run_mb = sizes["run.json"] / 1e6
    side_mb = sizes.get("run.objects.jsonl.gz", 0) / 1e6
    rows = [
        below(NAME, f"run.json of {users:,} users", round(run_mb, 2), RUN_JSON_LIMIT_MB, "MB",
              f"side file {side_mb:.1f} MB; built and written in {written:.1f} s (writer peak {peak_rss_mb():.0f} MB)"),
        below(NAME, "read + verify + HTML + PDF", child["total_s"], TIME_LIMIT_S, "s",
              f"read and verify {child['read_and_verify_s']} s, HTML {child['html_s']} s, PDF {child['pdf_s']} s"),
        below(NAME, "renderer peak RSS", child["peak_rss_mb"], RSS_LIMIT_MB, "MB"),
    ]
    for row in rows:
        print(f"{row.figure}: {row.value} {row.unit} {row.status} {row.note}".rstrip(), flush=True)
    return {"users": users, "run_json_mb": round(run_mb, 2), "side_file_mb": round(side_mb, 2),
            "write_s": round(written, 2), **child, "rows": rows_json(rows)}


if __name__ == "__main__":
    main()
