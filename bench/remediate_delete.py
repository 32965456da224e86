"""Deleting the users of `generated:20000` with the emulator's throttling on: how close to the ceiling?

Targets (issue 7): achieved write rate >= 90% of the emulator's write ceiling, throttled requests < 2%,
no lost and no duplicated deletes. The emulator's limits are Graph's (graph-facts §8.3) scaled by
FACTOR, and the executor is told the same scaled quota, exactly as it is told Graph's documented one
in production. The plan is built from the live tenant (delete_users only); the backup requirement is
taken as met here because this measures the delete path, not the gate. The journal is real (fsynced).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from closegate.emulator import Emulator
from closegate.emulator.throttle import Limits
from closegate.models import Status
from closegate.registry import catalog
from closegate.remediation.actions import action_catalog
from closegate.remediation.executor import ExecutionOptions, Executor
from closegate.remediation.guard import LiveGuard
from closegate.remediation.journal import Journal, verify
from closegate.remediation.pacing import WriteQuota
from closegate.remediation.plan import build_plan, write_plan
from closegate.runner import RunSettings, run
from closegate.tags import load_key

SCENARIO = "generated:20000"  # the size the issue names
FACTOR = 10.0  # 3,000 writes / 150 s becomes 30,000 / 150 s: a 200 writes/s ceiling


def main() -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.remediation.helpers import session_for

    limits = Limits().scaled(FACTOR)
    assert limits.writes_per_window is not None
    ceiling = limits.writes_per_window / limits.write_window_seconds
    with tempfile.TemporaryDirectory(prefix="closegate-bench-") as tmp, \
            Emulator(scenario=SCENARIO, state_dir=Path(tmp) / "emu", limits=limits) as emu:
        session = session_for(emu.config_path, backed_up=False, concurrency=8)
        reader = session.reader()
        record = run(reader, catalog(), RunSettings(only=("CG-004",), tenant_id=session.settings.tenant_id))
        users_action = [a for a in action_catalog() if a.id == "delete_users"]
        plan = build_plan(record, reader, users_action, now=datetime.now(timezone.utc), max_age_minutes=60)
        key = load_key(Path(tmp) / "record.key")  # a key of the benchmark's own: the home is left alone
        path = write_plan(plan, Path(tmp) / "out", key)
        planned = plan.item("delete_users")
        assert planned is not None
        before = session.stats.totals()
        quota = WriteQuota(limits.writes_per_window, limits.write_window_seconds)
        with Journal(path.parent / "journal.jsonl", key) as journal:
            executor = Executor(plan, session.graph, session.arm, journal,
                                requirements=lambda ids: {i: Status.PASS for i in ids},
                                guard=LiveGuard.resolve(session.reader, None),
                                options=ExecutionOptions(window=200, quota=quota))
            started = time.perf_counter()
            report = executor.run()[0]
            elapsed = time.perf_counter() - started
        after = session.stats.totals()
        records = [json.loads(line) for line in (path.parent / "journal.jsonl").read_text().splitlines()]
        applied = Counter(r["op"] for r in records if r["type"] == "result" and r["outcome"] == "applied")
        deleted = sum(1 for t in planned.targets if emu.state.users[t.object_id].deleted_at is not None)
        inner = (after.batched - before.batched) or 1
        numbers = {
            "users_planned": len(planned.targets),
            "deleted": deleted,
            "seconds": round(elapsed, 1),
            "write_ceiling_per_s": round(ceiling, 1),
            "achieved_writes_per_s": round(deleted / elapsed, 1),
            "of_ceiling_pct": round(100 * deleted / elapsed / ceiling, 1),
            "throttled_pct": round(100 * (after.throttled - before.throttled) / inner, 3),
            "lost_deletes": len(planned.targets) - deleted - report.outcomes.get("skipped", 0),
            "duplicated_deletes": sum(n - 1 for n in applied.values() if n > 1),
            "journal_records": verify(path.parent / "journal.jsonl", key).records,
            "outcomes": dict(report.outcomes),
        }
    for key, value in numbers.items():
        print(f"{key}: {value}")
    return numbers


if __name__ == "__main__":
    main()
