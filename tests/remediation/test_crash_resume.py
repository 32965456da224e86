"""kill -9 at random journal points, then resume: every planned object is handled exactly once and the
journal verifies. The child process is the real executor over HTTPS; only the kill is simulated.

The journal is closegate's own account; the emulator's request log is the tenant's. A DELETE the
tenant applied whose answer died with the killed process is in the log but not in the journal, so
"nothing applied twice" is proven from the log, inner $batch requests included."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from closegate.emulator.builder import ScenarioBuilder
from closegate.remediation.journal import operation_id, verify

ROOT = Path(__file__).resolve().parents[2]
KILLS = 8


def _records(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _resource(path: str) -> str:
    """"/v1.0/users/ID" -> "users/ID": the same object whichever API version deleted it."""
    return path.lstrip("/").partition("/")[2]


def _child(p, window: int) -> subprocess.Popen[bytes]:  # noqa: ANN001
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.remediation.remediate_child", str(p.emu.config_path),
                             str(p.path), p.plan.primary_domain, str(window)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.timeout(240)
def test_kill_9_at_random_journal_points_then_resume(planned) -> None:  # noqa: ANN001
    tenant = (ScenarioBuilder("Crashco").users(36, guests=4, seed=11).global_admin("eve")
              .application("Payroll").application("Intranet").ca_policy("MFA for all"))
    p = planned(tenant, faults="latency=2ms..12ms,seed=4")
    journal = p.path.parent / "journal.jsonl"
    rng = random.Random(20260301)
    planned_users = [t.object_id for item in p.plan.items if item.action_id == "delete_users" for t in item.targets]
    gone_before = {uid for uid in planned_users if p.emu.state.users[uid].deleted_at is not None}
    kills = 0
    for _ in range(KILLS):
        target = _records(journal) + rng.randint(1, 25)
        child = _child(p, window=rng.choice((2, 3, 5)))
        while child.poll() is None and _records(journal) < target:
            time.sleep(0.002)
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            kills += 1
        child.wait(timeout=30)
        if child.returncode == 0:
            break
    final = _child(p, window=5)
    _, err = final.communicate(timeout=120)
    assert final.returncode == 0, err.decode()[-2000:]
    assert kills >= 3  # the loop really interrupted the work

    report = verify(journal)
    assert report.open_intents == ()
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    results = [r for r in records if r["type"] == "result"]
    applied = Counter(r["op"] for r in results if r["outcome"] == "applied")
    assert not [op for op, n in applied.items() if n > 1], "an operation was applied twice"
    terminal = Counter(r["op"] for r in results if r["outcome"] in ("applied", "already_done") and r["final"])
    assert not [op for op, n in terminal.items() if n > 1], "an operation finished twice"
    state = p.emu.state
    for item in p.plan.items:
        if item.action_id != "delete_users":
            continue
        for t in item.targets:
            assert terminal[operation_id(p.plan.plan_hash, item.action_id, t.object_id)] == 1, t.label
            assert state.users[t.object_id].deleted_at is not None
    assert state.user_record(state.closing_admin_upn).deleted_at is None
    # The tenant's side, across every killed and resumed run: no object took two successful DELETEs,
    # and every planned user took exactly one (none if it was gone before the first run).
    applied_deletes = Counter(_resource(e["path"]) for e in p.emu.operator.request_log()
                              if e["method"] == "DELETE" and 200 <= e["status"] < 300)
    assert not [r for r, n in applied_deletes.items() if n > 1], "the tenant applied a DELETE twice"
    assert planned_users
    for uid in planned_users:
        assert applied_deletes[f"users/{uid}"] == (0 if uid in gone_before else 1), uid
    # No finished operation was started again by a later run.
    finished_at = {r["op"]: r["seq"] for r in results if r["final"] and r["outcome"] != "failed"}
    assert not [r for r in records if r["type"] == "intent" and r["op"] in finished_at
                and r["seq"] > finished_at[r["op"]]]
