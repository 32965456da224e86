"""Benchmark: `closegate audit` (every check) of a generated 100,000-user tenant, bound by the listing.

The emulator serves in its own process with Graph's token buckets and the latency model (bench.serve).
The audit runs in a child process of its own (its peak RSS is its own) exactly as `closegate audit
--no-reports` does: a session, the runner over the whole catalog, run.json written (and its side file
of object lists, where the record has one). Figures:
  * wall time vs the floor max(listing time, (RU needed - burst) / refill) (bench.floors): the users
    listing is the longest chain of requests the audit must make;
  * resource units charged by the emulator (throttled attempts included: Graph charges them, §8.2)
    vs needed: the units of the requests the emulator admitted, i.e. the reads the checks ask for
    each made once; every unit above that is spent on requests that were refused;
  * peak RSS of the audit process, run.json size, and the checks' statuses.
Targets (issue 17): wall <= 1.25x floor, RU <= 1.05x needed, peak RSS < 300 MB.

Run: PYTHONPATH=. .venv/bin/python -m bench.audit_scale [USERS]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.floors import listing_seconds, ru_bucket
from bench.serve import ROOT, peak_rss_mb, served
from bench.table import Row, at_most, below, info, rows_json

__all__ = ["audit_child", "main", "measure"]

USERS = 100_000
NAME = "audit"


def audit_child(config: Path, out: Path) -> dict[str, Any]:
    """One audit as `closegate audit --no-reports` makes it; the figures of this process."""
    from closegate.records import write_record
    from closegate.registry import catalog
    from closegate.runner import RunSettings, run
    from closegate.session import open_session

    session = open_session(config)
    started = time.perf_counter()
    record = run(session.reader(), catalog(), RunSettings(tenant_id=session.settings.tenant_id,
                                                          cloud=session.settings.cloud.name,
                                                          request_stats=session.stats.snapshot))
    audited = time.perf_counter() - started
    path = write_record(record, out, session.record_key())
    written = time.perf_counter() - started
    sizes = {p.name: p.stat().st_size for p in out.iterdir() if p.is_file()}
    totals = session.stats.totals()
    return {"audit_s": round(audited, 2), "with_record_s": round(written, 2), "peak_rss_mb": peak_rss_mb(),
            "files": sizes, "run_json_bytes": path.stat().st_size, "verdict": record.verdict.value,
            "statuses": dict(Counter(r.status.value for r in record.results)),
            "errors": {r.check_id: (r.error or "")[:200] for r in record.results if r.status.value == "ERROR"},
            "requests": totals.requests, "throttled": totals.throttled, "retries": totals.retries}


def _child(config: Path, out: Path) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "bench.audit_scale", "--child", str(config), str(out)], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=7200)
    if proc.returncode != 0:
        raise RuntimeError(f"the audit failed: {proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def measure(users: int, name: str = NAME) -> tuple[dict[str, Any], list[Row]]:
    with served(f"generated:{users}") as emu, tempfile.TemporaryDirectory(prefix="closegate-bench-audit-") as tmp:
        limits = emu.operator.limits()
        ours = _child(emu.config, Path(tmp))
        charged = emu.operator.throttle_stats()
    needed = charged["resource_units"] - charged["throttled_resource_units"]
    bucket = ru_bucket(limits, users)
    listing = listing_seconds(users)
    floor = max(listing, bucket.seconds(needed))
    wall = ours["audit_s"]
    rows = [
        info(name, f"users ({users:,})", ours["verdict"], note=f"statuses {ours['statuses']}"),
        at_most(name, "wall / floor", round(wall / floor, 3), 1.25,
                note=f"wall {wall} s, floor {floor:.1f} s = max(listing {listing:.1f} s, "
                     f"({needed:,} RU - {bucket.burst:,.0f}) / {bucket.refill_per_s:,.0f} RU/s)"),
        at_most(name, "RU charged / needed", round(charged["resource_units"] / max(needed, 1), 3), 1.05,
                note=f"{charged['resource_units']:,} charged, {needed:,} admitted, {charged['throttled']} throttled"),
        below(name, "peak RSS of the audit", ours["peak_rss_mb"], 300, "MB"),
        info(name, "run.json", round(ours["run_json_bytes"] / 1e6, 2), "MB",
             note=", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in sorted(ours["files"].items()) if k != "run.json")),
        info(name, "requests", ours["requests"], note=f"{ours['throttled']} answered 429, {ours['retries']} retries"),
    ]
    if ours["errors"]:
        rows.append(info(name, "checks in ERROR", len(ours["errors"]), note=json.dumps(ours["errors"])[:300]))
    return {**ours, "charged": charged, "needed_ru": needed, "floor_s": round(floor, 2),
            "listing_s": round(listing, 2)}, rows


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--child"]:
        print(json.dumps(audit_child(Path(args[1]), Path(args[2]))))
        return {}
    users = int(args[0]) if args else USERS
    numbers, rows = measure(users)
    for row in rows:
        print(f"{row.figure}: {row.value} {row.unit} {row.status} {row.note}".rstrip(), flush=True)
    return {**numbers, "rows": rows_json(rows)}


if __name__ == "__main__":
    main()
