"""Requests per second the emulator serves to one keep-alive client on a small Graph GET.

The target is >= 1,500/s (issue 2). Measured with stdlib http.client over a single TLS connection,
the cheapest client there is, so the number is the server's and not requests' (which caps near
1,300-1,500/s by itself, local-emulation.md §4.2). Throttling is switched off: this measures the
HTTP path, not Graph's resource-unit limits. The client runs in this process, sharing the 2 cores
with the server threads, as the test suite's fixtures do.
"""

from __future__ import annotations

import http.client
import json
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.table import at_least, info, rows_json
from closegate.emulator import Emulator
from closegate.emulator.throttle import Limits

PATH = "/v1.0/organization"
WARMUP = 300
DURATION = 3.0  # seconds of measurement


def _connection(emu: Emulator) -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cafile=str(emu.ca_path))
    port = urlsplit(emu.url).port
    return http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)


def _token(conn: http.client.HTTPSConnection, emu: Emulator) -> str:
    assert emu.apps is not None
    form = urlencode({"client_id": emu.apps.read_only.client_id, "client_secret": emu.apps.read_only.secret,
                      "grant_type": "client_credentials", "scope": "https://graph.microsoft.com/.default"})
    conn.request("POST", f"/{emu.tenant_id}/oauth2/v2.0/token", body=form,
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    return str(json.loads(conn.getresponse().read())["access_token"])


def measure(emu: Emulator, duration: float = DURATION) -> dict[str, Any]:
    conn = _connection(emu)
    headers = {"Authorization": f"Bearer {_token(conn, emu)}"}
    sock = None
    for _ in range(WARMUP):
        conn.request("GET", PATH, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {PATH} answered {response.status}")
        sock = sock or conn.sock
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + duration
    while True:
        t0 = time.perf_counter()
        if t0 >= deadline:
            break
        conn.request("GET", PATH, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    if conn.sock is not sock:
        raise RuntimeError("the connection was not kept alive")
    conn.close()
    latencies.sort()
    return {"requests": len(latencies), "requests_per_second": round(len(latencies) / elapsed),
            "median_ms": round(statistics.median(latencies) * 1000, 3),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 3), "target_per_second": 1500}


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="closegate-bench-") as tmp:
        started = time.perf_counter()
        with Emulator(scenario="demo", state_dir=Path(tmp), limits=Limits.off()) as emu:
            startup = time.perf_counter() - started
            result = measure(emu)
    result["startup_seconds_with_new_pki"] = round(startup, 3)
    print(f"emulator throughput: {result['requests_per_second']} req/s over one keep-alive TLS connection "
          f"(median {result['median_ms']} ms, p99 {result['p99_ms']} ms; target 1500/s)")
    rows = [at_least("emulator", "requests/s, one keep-alive connection", result["requests_per_second"], 1500, "/s",
                     f"median {result['median_ms']} ms, p99 {result['p99_ms']} ms; client in the same process"),
            info("emulator", "startup with a new PKI", result["startup_seconds_with_new_pki"], "s")]
    return {**result, "rows": rows_json(rows)}


if __name__ == "__main__":
    main()
    sys.exit(0)
