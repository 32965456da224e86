"""Benchmark: `closegate audit` of a generated 1,000,000-user tenant: memory and the size of run.json.

The same run as bench.audit_scale (emulator in its own process, realistic throttle and latency, the
audit in a child process), at a million users. Targets (issue 17): the audit's peak RSS < 1 GB (the
users are held as compact records, nothing per user that the checks do not need) and run.json
< 10 MB, the full object lists being in its side file (closegate.record_objects). Wall time is
reported against the same floor as at 100,000 users.

Run: PYTHONPATH=. .venv/bin/python -m bench.audit_million [USERS]
"""

from __future__ import annotations

import sys
from typing import Any

from bench.audit_scale import measure
from bench.table import Row, below, rows_json

__all__ = ["main"]

USERS = 1_000_000
NAME = "audit 1M"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = sys.argv[1:] if argv is None else argv
    users = int(args[0]) if args else USERS
    numbers, rows = measure(users, NAME)
    kept: list[Row] = [r for r in rows if r.figure not in ("peak RSS of the audit", "run.json")]
    kept += [below(NAME, "peak RSS of the audit", numbers["peak_rss_mb"], 1000, "MB"),
             below(NAME, "run.json", round(numbers["run_json_bytes"] / 1e6, 2), 10, "MB",
                   note=", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sorted(numbers["files"].items())
                                  if k != "run.json"))]
    for row in kept:
        print(f"{row.figure}: {row.value} {row.unit} {row.status} {row.note}".rstrip(), flush=True)
    return {**numbers, "rows": rows_json(kept)}


if __name__ == "__main__":
    main()
