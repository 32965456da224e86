"""Run every benchmark in turn and print one summary: `python -m bench` (what `make bench` calls).

Modules are listed explicitly, in run order; each exposes `main() -> dict[str, object]` returning
its headline numbers. Add new benchmarks to BENCHMARKS.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import time
from typing import Any

BENCHMARKS: tuple[str, ...] = (
    "bench.emulator_throughput",
    "bench.emulator_load",
    "bench.report_render",
    "bench.graph_read",
    "bench.graph_read_realistic",
    "bench.backup_export",
    "bench.remediate_delete",
)


_RESULT = "bench-result: "


def _run(name: str) -> tuple[str, dict[str, Any]]:
    """Each benchmark in its own process: peak RSS and warm caches must not leak from one to the next."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "bench", "--one", name], stdout=subprocess.PIPE, text=True)
    lines = proc.stdout.splitlines()
    print("\n".join(line for line in lines if not line.startswith(_RESULT)), flush=True)
    found = [line[len(_RESULT):] for line in lines if line.startswith(_RESULT)]
    if proc.returncode != 0 or not found:
        return "FAILED", {"exit_code": proc.returncode}
    return "ok", {**json.loads(found[-1]), "wall_seconds": round(time.perf_counter() - started, 2)}


def _one(name: str) -> int:
    sys.argv = [name]  # each benchmark reads its own options from argv: give it none, i.e. its defaults
    try:
        result = importlib.import_module(name).main() or {}
    except Exception as exc:  # reported by the parent as FAILED; the others still run
        print(f"{name} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(_RESULT + json.dumps(result, default=str), flush=True)
    return 0


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        return _one(sys.argv[2])
    results = [(name, *_run(name)) for name in BENCHMARKS]
    print("\nbenchmark summary")
    for name, status, numbers in results:
        print(f"  {name}: {status}")
        for key, value in numbers.items():
            print(f"      {key}: {value}")
    return 0 if all(status == "ok" for _, status, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
