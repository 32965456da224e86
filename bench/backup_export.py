"""Benchmark: `closegate backup` of the generated:100000 tenant against the emulator.

Prints wall time, peak RSS of this process (the emulator runs in it too, so its tenant state is
included) and Graph requests against the minimum the sources need: one request per page of 999
for each list, one $batch call per 20 per-object reads, plus the property probes.
Run: PYTHONPATH=. .venv/bin/python bench/backup_export.py [USERS]
"""

from __future__ import annotations

import math
import resource
import sys
import tempfile
import time
from pathlib import Path

from closegate.auth import MsalTokenProvider
from closegate.backup import SOURCES, export_backup, verify_backup
from closegate.config import load_settings
from closegate.emulator import Emulator
from closegate.graph import connect

__all__ = ["main"]


def _minimum(files: dict[str, int], probes: int) -> int:
    """Requests a perfect client would send for these object counts (graph-facts §1.2, §8.1)."""
    total = probes
    for source in SOURCES:
        objects = files.get(source.name, 0)
        if source.kind in ("children", "per_object"):
            total += math.ceil(files.get(source.parent, 0) / 20)
        elif source.kind == "report":
            total += 2  # the 302 and the CSV download
        elif source.name != "organization":
            total += max(1, math.ceil(objects / (999 if source.top else 100)))
    return total + 1  # the organization read that also gives the tenant id


def main(argv: list[str] | None = None) -> None:
    users = int((argv or sys.argv[1:] or ["100000"])[0])
    with tempfile.TemporaryDirectory() as tmp, Emulator(scenario=f"generated:{users}", state_dir=tmp) as emu:
        # Measure the tool, not Graph's quotas: with the throttle on, time is set by the RU budget.
        emu.operator.set_limits(ru_per_window={"S": None, "M": None, "L": None}, writes_per_window=None,
                                ca_requests_per_second=None)
        settings = load_settings(emu.config_path)
        clients = connect(settings, MsalTokenProvider(settings))
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        result = export_backup(clients.graph, Path(tmp) / "backup")
        wall = time.perf_counter() - start
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        verify_start = time.perf_counter()
        ok = verify_backup(Path(tmp) / "backup").ok
        verify_wall = time.perf_counter() - verify_start
        totals = clients.stats.totals()
        files = {e.name: e.objects for e in result.manifest.files}
        probes = sum(math.ceil(len(s.properties) / 20) for s in SOURCES if s.properties)
        size = sum(e.bytes for e in result.manifest.files)
        print(f"users: {users}  objects: {sum(files.values())}  compressed: {size / 1e6:.1f} MB")
        print(f"export wall time: {wall:.1f} s   verify: {verify_wall:.1f} s (ok={ok})")
        print(f"peak RSS: {rss_after / 1024:.0f} MiB (before export {rss_before / 1024:.0f} MiB, emulator included)")
        print(f"HTTP requests: {totals.requests} ({totals.batched} inside $batch, {totals.retries} retries); "
              f"minimum: {_minimum(files, probes)}")
        for entry in result.manifest.files:
            print(f"  {entry.name:<28} {entry.objects:>8}  {entry.unavailable[:60]}")


if __name__ == "__main__":
    main()
