"""Benchmark: closegate's read path against Graph's documented throttling and a realistic latency profile.

The emulator runs `--throttle realistic --latency realistic` (token buckets with burst, refill and
debt, graph-facts §12.8; answers held for a time that grows with page and batch size,
closegate.emulator.latency) on generated tenants of 1k and 10k users. It reports:
  * resource units the emulator charged (throttled attempts included: Graph charges them) vs the
    units the reads need;
  * wall time vs a floor that counts the burst: max(listing time, (RU needed - burst) / refill rate),
    where the listing time is the sequential user pages at the profile's median page latency
    (pages follow @odata.nextLink one after another);
  * requests, 429s and retries.

Run: PYTHONPATH=. .venv/bin/python -m bench.graph_read_realistic [--sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from bench.graph_read import child, needed_resource_units, served
from closegate.emulator.latency import REALISTIC

SIZES = (1_000, 10_000)


def floor_seconds(users: int, limits: dict[str, Any]) -> dict[str, float]:
    size = "S" if users < 50 else "M" if users <= 500 else "L"
    burst = float((limits.get("ru_per_window") or {}).get(size) or 0)
    rate = burst / float(limits["ru_window_seconds"]) if burst else 0.0
    pages = math.ceil(users / 999)
    listing = sum(REALISTIC.median_ms(write=False, arm=False, items=min(999, users - 999 * i), batch_items=0)
                  for i in range(pages)) / 1000.0
    needed = needed_resource_units(users)
    throttle = max(0.0, needed - burst) / rate if rate else 0.0
    return {"listing_s": round(listing, 2), "throttle_s": round(throttle, 2), "floor_s": round(max(listing, throttle), 2),
            "burst_ru": burst, "refill_ru_per_s": round(rate, 1)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    headline: dict[str, Any] = {}
    for size in (int(s) for s in args.sizes.split(",") if s):
        with served(size, "0ms", ("--throttle", "realistic", "--latency", "realistic")) as config:
            ours = child("closegate", config)
        floor = floor_seconds(ours["users"], ours["limits"])
        row = {
            "users": ours["users"], "requests": ours["requests"], "throttled_429": ours["throttled"],
            "retries": ours["retries"],
            "ru_charged": ours["charged"]["resource_units"], "ru_needed": needed_resource_units(ours["users"]),
            "ru_charged_vs_needed": round(ours["charged"]["resource_units"] / needed_resource_units(ours["users"]), 3),
            "peak_in_flight": ours["peak_in_flight"], "observed_latency_ms": ours["latency_ms"],
            "wall_s": ours["wall_seconds"], **floor,
            "wall_vs_floor": round(ours["wall_seconds"] / floor["floor_s"], 2) if floor["floor_s"] else None,
        }
        headline[f"n={size}"] = row
        print(f"n={size}: {json.dumps(row)}", flush=True)
    return headline


if __name__ == "__main__":
    main()
