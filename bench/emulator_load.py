"""Benchmark: time and peak RSS to load generated:100000, plus one 999-user page served from it.

Run: PYTHONPATH=. .venv/bin/python bench/emulator_load.py [N]
"""

from __future__ import annotations

import resource
import sys
import time

from bench.table import info, rows_json


def main(argv: list[str] | None = None) -> dict[str, object]:
    args = sys.argv[1:] if argv is None else argv
    count = int(args[0]) if args else 100_000
    from closegate.emulator.graph import GraphService, Limits
    from closegate.emulator.scenarios import load_scenario
    from closegate.emulator.wire import Principal, Request

    started = time.perf_counter()
    state = load_scenario(f"generated:{count}")
    loaded = time.perf_counter() - started
    svc = GraphService(state, Limits.off())
    caller = Principal(state.tenant_id, "graph", "bench", "app", "bench", roles=frozenset({"User.Read.All"}))
    started = time.perf_counter()
    page = svc.handle(Request("GET", "/v1.0/users", "$top=999", base_url="https://127.0.0.1"), caller)
    served = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"generated:{count}: load {loaded:.2f} s, peak RSS {peak_mib:.0f} MiB, "
          f"first 999-user page {served * 1000:.1f} ms ({len(page.body)} bytes, status {page.status})")
    rows = [info("emulator", f"load generated:{count}", round(loaded, 2), "s", f"peak RSS {peak_mib:.0f} MiB"),
            info("emulator", "first 999-user page", round(served * 1000, 1), "ms", f"status {page.status}")]
    return {"load_s": round(loaded, 2), "peak_rss_mib": round(peak_mib), "rows": rows_json(rows)}


if __name__ == "__main__":
    main()
