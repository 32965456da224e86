"""Benchmark: deleting 100,000 users at 10x Graph's limits, paced and unpaced, checked from the tenant's side.

The emulator serves generated:100000 in its own process with Graph's token buckets (graph-facts
§12.8) and the latency model, every limit scaled by FACTOR so that the 100,000 deletes span several
write windows (30,000 writes per 150 s: a 30,000-write burst, then 200 writes/s). The executor is told
the same scaled quota, as it is told Graph's documented one in production. The plan is built from the
live tenant (CG-004, delete_users only); the backup requirement is taken as met (this measures the
delete path, not the gate); the journal is real (fsynced).

Figures: wall time against the floor (N - burst) / refill of the tightest write bucket, achieved as a
share of it (target >= 90%); the share of delete requests the tenant answered 429 (target < 2%); and,
from the emulator's write tally (not the client's journal), planned users deleted by no 204 (lost) and
by more than one delete (duplicated), both 0. The same run unpaced (only 429s and the adaptive
limiter hold it back) is reported beside it.

Run: PYTHONPATH=. .venv/bin/python -m bench.remediate_delete [USERS]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.floors import write_buckets
from bench.serve import ROOT, served
from bench.table import Row, at_least, below, info, rows_json
from closegate.emulator.throttle import Limits

__all__ = ["main"]

USERS = 100_000
FACTOR = 10.0
NAME = "delete"
_LIMIT_FIELDS = ("ru_per_window", "writes_per_window", "app_ru_per_window", "app_writes_per_window",
                 "tenant_writes_per_window", "reports_per_window", "app_reports_per_window", "ca_requests_per_second")


def _delete(config: Path, quota_limits: Limits, *, paced: bool) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from closegate.models import Status
    from closegate.registry import catalog
    from closegate.remediation.actions import action_catalog
    from closegate.remediation.executor import ExecutionOptions, Executor
    from closegate.remediation.guard import LiveGuard
    from closegate.remediation.journal import Journal
    from closegate.remediation.pacing import WriteQuota
    from closegate.remediation.plan import build_plan, write_plan
    from closegate.runner import RunSettings, run
    from closegate.tags import load_key
    from tests.remediation.helpers import session_for

    assert quota_limits.writes_per_window is not None
    quota = WriteQuota(quota_limits.writes_per_window, quota_limits.write_window_seconds)
    with tempfile.TemporaryDirectory(prefix="closegate-bench-delete-") as tmp:
        session = session_for(config, backed_up=False)
        reader = session.reader()
        record = run(reader, catalog(), RunSettings(only=("CG-004",), tenant_id=session.settings.tenant_id))
        users_action = [a for a in action_catalog() if a.id == "delete_users"]
        plan = build_plan(record, reader, users_action, now=datetime.now(timezone.utc), max_age_minutes=60)
        key = load_key(Path(tmp) / "record.key")  # a key of the benchmark's own: the home is left alone
        path = write_plan(plan, Path(tmp) / "out", key)
        planned = plan.item("delete_users")
        assert planned is not None
        before = session.stats.totals()
        with Journal(path.parent / "journal.jsonl", key) as journal:
            executor = Executor(plan, session.graph, session.arm, journal,
                                requirements=lambda ids: {i: Status.PASS for i in ids},
                                guard=LiveGuard.resolve(session.reader, None),
                                options=ExecutionOptions(quota=quota),
                                pacer=None if paced else quota.unpaced())
            started = time.perf_counter()
            report = executor.run()[0]
            elapsed = time.perf_counter() - started
        after = session.stats.totals()
    return {"planned": [t.object_id for t in planned.targets], "seconds": elapsed,
            "outcomes": {getattr(k, "value", str(k)): v for k, v in report.outcomes.items()}, "client_throttled": after.throttled - before.throttled,
            "client_requests": after.requests - before.requests}


def _tally(tally: list[dict[str, Any]], planned: list[str]) -> dict[str, int]:
    """What the tenant answered to DELETE /users/{id}, per planned user (batched or not)."""
    accepted: Counter[str] = Counter()
    answered: Counter[int] = Counter()
    missing_deletes = 0
    for entry in tally:
        if entry["method"] != "DELETE" or "/users/" not in entry["path"]:
            continue
        answered[entry["status"]] += entry["count"]
        uid = entry["path"].rsplit("/", 1)[-1]
        if 200 <= entry["status"] < 300:
            accepted[uid] += entry["count"]
        elif entry["status"] == 404:
            missing_deletes += entry["count"]
    return {"deleted": sum(1 for u in planned if accepted[u] >= 1),
            "lost": sum(1 for u in planned if accepted[u] == 0),
            "duplicated": sum(1 for u in planned if accepted[u] > 1) + missing_deletes,
            "delete_requests": sum(answered.values()), "throttled": answered[429]}


def measure(users: int, *, paced: bool) -> tuple[dict[str, Any], list[Row]]:
    limits = Limits.realistic().scaled(FACTOR)
    label = NAME if paced else f"{NAME} (unpaced)"
    with served(f"generated:{users}") as emu:
        emu.operator.set_limits(**{k: v for k, v in asdict(limits).items() if k in _LIMIT_FIELDS})
        ours = _delete(emu.config, limits, paced=paced)
        tenant = _tally(emu.operator.write_tally(), ours["planned"])
        limits_now = emu.operator.limits()
    n = len(ours["planned"])
    buckets = write_buckets(limits_now)
    floor = max(b.seconds(n) for b in buckets)
    tightest = max(buckets, key=lambda b: b.seconds(n))
    achieved = 100 * floor / ours["seconds"] if ours["seconds"] else 0.0
    throttled = 100 * tenant["throttled"] / max(1, tenant["delete_requests"])
    note = (f"{n:,} deletes in {ours['seconds']:.1f} s; floor ({n:,} - {tightest.burst:,.0f}) / "
            f"{tightest.refill_per_s:,.0f} writes/s = {floor:.1f} s")
    rows = [
        at_least(label, "achieved / floor", round(achieved, 1), 90, "%", note) if paced
        else info(label, "achieved / floor", round(achieved, 1), "%", note),
        below(label, "delete requests throttled", round(throttled, 3), 2, "%",
              f"{tenant['throttled']:,} of {tenant['delete_requests']:,} answered 429") if paced
        else info(label, "delete requests throttled", round(throttled, 3), "%",
                  f"{tenant['throttled']:,} of {tenant['delete_requests']:,} answered 429"),
        Row(label, "lost deletes (tenant's side)", tenant["lost"], target=0, compare="=="),
        Row(label, "duplicated deletes (tenant's side)", tenant["duplicated"], target=0, compare="=="),
    ]
    return {"users_planned": n, **{k: v for k, v in ours.items() if k != "planned"}, "tenant": tenant,
            "floor_s": round(floor, 1), "achieved_pct": round(achieved, 1)}, rows


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = sys.argv[1:] if argv is None else argv
    users = int(args[0]) if args else USERS
    numbers: dict[str, Any] = {}
    rows: list[Row] = []
    for paced in (True, False):
        figures, found = measure(users, paced=paced)
        numbers["paced" if paced else "unpaced"] = figures
        rows += found
        for row in found:
            print(f"{row.benchmark}: {row.figure}: {row.value} {row.unit} {row.status} {row.note}".rstrip(), flush=True)
    print(json.dumps(numbers, default=str))
    return {**numbers, "rows": rows_json(rows)}


if __name__ == "__main__":
    main()
