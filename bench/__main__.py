"""Run every benchmark in turn and print one summary: `python -m bench` (what `make bench` calls).

Modules are listed explicitly, in run order; each exposes `main() -> dict[str, object]` returning
its headline numbers. Add new benchmarks to BENCHMARKS.
"""

from __future__ import annotations

import importlib
import sys
import time
from typing import Any

BENCHMARKS: tuple[str, ...] = (
    "bench.emulator_throughput",
    "bench.emulator_load",
    "bench.report_render",
    "bench.graph_read",
    "bench.backup_export",
    "bench.remediate_delete",
)


def _run(name: str) -> tuple[str, dict[str, Any]]:
    started = time.perf_counter()
    try:
        result = importlib.import_module(name).main() or {}
    except Exception as exc:  # one broken benchmark must not hide the others' numbers
        return "FAILED", {"error": f"{type(exc).__name__}: {exc}"}
    return "ok", {**result, "wall_seconds": round(time.perf_counter() - started, 2)}


def main() -> int:
    results = [(name, *_run(name)) for name in BENCHMARKS]
    print("\nbenchmark summary")
    for name, status, numbers in results:
        print(f"  {name}: {status}")
        for key, value in numbers.items():
            print(f"      {key}: {value}")
    return 0 if all(status == "ok" for _, status, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
