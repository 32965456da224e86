"""Run every benchmark in turn and print one summary: `python -m bench` (what `make bench` calls).

Modules are listed explicitly, in run order; each exposes `main() -> dict[str, object]` returning
its headline numbers and, under "rows", one row per figure (bench.table: value, target, met or
missed). The run ends with every benchmark's rows in one table; a benchmark that failed is a row too.
Add new benchmarks to BENCHMARKS.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import time
from typing import Any

from bench.table import Row, format_table, info

BENCHMARKS: tuple[str, ...] = (
    "bench.emulator_throughput",
    "bench.emulator_load",
    "bench.report_render",
    "bench.graph_read",
    "bench.audit_scale",
    "bench.audit_million",
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


def _rows(name: str, status: str, numbers: dict[str, Any]) -> list[Row]:
    if status != "ok":
        return [Row(name.removeprefix("bench."), "ran", "FAILED", target=0, compare="==",
                    note=f"exit code {numbers.get('exit_code')}")]
    rows = [Row.from_json(r) for r in numbers.get("rows", ())]
    return rows + [info(name.removeprefix("bench."), "benchmark wall time", numbers["wall_seconds"], "s")]


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        return _one(sys.argv[2])
    names = sys.argv[1:] or list(BENCHMARKS)  # `python -m bench bench.audit_scale` runs just that one
    rows: list[Row] = []
    for name in names:
        found = _rows(name, *_run(name))
        print(format_table(found) + "\n", flush=True)
        rows += found
    print("\nbenchmark summary (every figure, its target and whether it was met)")
    print(format_table(rows))
    missed = [r for r in rows if r.status == "missed"]
    print(f"\n{sum(1 for r in rows if r.status == 'met')} targets met, {len(missed)} missed")
    return 0 if all(r.value != "FAILED" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
