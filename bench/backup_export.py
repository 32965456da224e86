"""Benchmark: `closegate backup` of generated:100000 with Graph's throttling on, against its own floor.

The emulator serves in its own process with Graph's token buckets, the identity-and-access reports
limit (5 requests per 10 s, graph-facts §12.8) and the latency model (bench.serve); the export runs
in a child process of its own. The floor is the largest of what the limits and the latency allow:
  * the longest listing: a paged source's pages follow each other (bench.floors.listing_seconds, at
    999 per page for sources that take $top=999, else Graph's default 100);
  * (resource units admitted - burst) / refill of the app+tenant bucket (§8.3);
  * (report-limited requests admitted - 5) / 0.5 per s: the reports bucket.
Target (issue 17): wall <= 1.25x that floor. Also reported: RU charged vs admitted, requests, peak RSS.

Run: PYTHONPATH=. .venv/bin/python -m bench.backup_export [USERS]
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.floors import Bucket, listing_seconds, ru_bucket
from bench.serve import ROOT, peak_rss_mb, served
from bench.table import at_most, info, rows_json

__all__ = ["main"]

USERS = 100_000
NAME = "backup"


def _export(config: Path, out: Path) -> dict[str, Any]:
    from closegate.backup import SOURCES, export_backup, verify_backup
    from closegate.session import open_session

    session = open_session(config)
    started = time.perf_counter()
    result = export_backup(session.graph, out)
    wall = time.perf_counter() - started
    ok = verify_backup(out).ok
    totals = session.stats.totals()
    pages = {s.name: 999 if s.top else 100 for s in SOURCES if s.kind == "list"}
    return {"wall_s": round(wall, 2), "verified": ok, "peak_rss_mb": peak_rss_mb(),
            "objects": {e.name: e.objects for e in result.manifest.files},
            "unavailable": {e.name: e.unavailable[:80] for e in result.manifest.files if e.unavailable},
            "page_sizes": pages, "requests": totals.requests, "retries": totals.retries,
            "throttled": totals.throttled, "bytes": sum(e.bytes for e in result.manifest.files)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--child"]:
        print(json.dumps(_export(Path(args[1]), Path(args[2]))))
        return {}
    users = int(args[0]) if args else USERS
    with served(f"generated:{users}") as emu, tempfile.TemporaryDirectory(prefix="closegate-bench-backup-") as tmp:
        limits = emu.operator.limits()
        proc = subprocess.run([sys.executable, "-m", "bench.backup_export", "--child", str(emu.config),
                               str(Path(tmp) / "backup")], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                              capture_output=True, text=True, timeout=7200)
        if proc.returncode != 0:
            raise RuntimeError(f"the backup failed: {proc.stderr[-3000:]}")
        ours = json.loads(proc.stdout.strip().splitlines()[-1])
        charged = emu.operator.throttle_stats()
    admitted = charged["resource_units"] - charged["throttled_resource_units"]
    ru = ru_bucket(limits, users)
    reports = Bucket(float(limits["reports_per_window"]), limits["reports_per_window"] / limits["reports_window_seconds"])
    report_requests = charged["report_requests"] - charged["report_requests_throttled"]
    listings = {name: listing_seconds(ours["objects"].get(name, 0), size) for name, size in ours["page_sizes"].items()}
    longest = max(listings, key=lambda k: listings[k])
    parts = {"listing": listings[longest], "resource units": ru.seconds(admitted),
             "reports limit": reports.seconds(report_requests)}
    floor = max(parts.values())
    bound = max(parts, key=lambda k: parts[k])
    note = (f"wall {ours['wall_s']} s; floor {floor:.1f} s set by the {bound} (listing {longest} "
            f"{parts['listing']:.1f} s; {admitted:,} RU -> {parts['resource units']:.1f} s; {report_requests} "
            f"report requests -> {parts['reports limit']:.1f} s)")
    rows = [
        at_most(NAME, "wall / floor", round(ours["wall_s"] / floor, 3) if floor else math.inf, 1.25, note=note),
        info(NAME, "RU charged / admitted", round(charged["resource_units"] / max(1, admitted), 3),
             note=f"{charged['throttled']} requests answered 429"),
        info(NAME, "objects", sum(ours["objects"].values()),
             note=f"{ours['bytes'] / 1e6:.1f} MB compressed, verified {ours['verified']}, {ours['requests']:,} "
                  f"requests, {ours['retries']} retries, not available: {', '.join(ours['unavailable']) or 'none'}"),
        info(NAME, "peak RSS of the backup", ours["peak_rss_mb"], "MB"),
    ]
    for row in rows:
        print(f"{row.figure}: {row.value} {row.unit} {row.status} {row.note}".rstrip(), flush=True)
    return {**ours, "charged": charged, "floor_s": round(floor, 1), "floor_parts": parts, "rows": rows_json(rows)}


if __name__ == "__main__":
    main()
