"""Benchmark: closegate's read path (users, Global Administrators, per-user MFA) against throttled Graph.

For generated tenants of 1k, 10k and 100k users, served by the emulator in its own process with
Graph's resource-unit throttling on and ~50 ms added latency, it reports:
  * requests issued vs the minimum (ceil(N/999) user pages + ceil(N/20) $batch calls + 2 role reads);
  * wall time vs the throttle floor (resource units needed / allowed rate);
  * the client's peak RSS;
  * at 1k and 10k, the same reads done the straightforward way with msgraph-sdk (sequential pages,
    one call per user), and the ratio of wall times.
Each client runs in a fresh process so its peak RSS is its own.

Run: PYTHONPATH=. .venv/bin/python -m bench.graph_read [--sizes 1000,10000,100000] [--sdk-sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SIZES = (1_000, 10_000, 100_000)
SDK_SIZES = (1_000, 10_000)
GA = "62e90394-69f5-4237-9190-012177145e10"
ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def served(users: int, latency: str, extra: tuple[str, ...] = ()) -> Iterator[Path]:
    """`closegate emulator serve` in a child process (with `extra` serve options); yields its closegate.toml."""
    state = Path(tempfile.mkdtemp(prefix="closegate-bench-"))
    cmd = [sys.executable, "-c", "from closegate.cli import main; main()", "emulator", "serve",
           "--scenario", f"generated:{users}", "--state-dir", str(state), "--faults", f"latency={latency}", *extra]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 600
        while not (state / "ready").exists():
            if proc.poll() is not None:
                raise RuntimeError(f"emulator exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
            if time.monotonic() > deadline:
                raise RuntimeError("emulator did not become ready within 10 minutes")
            time.sleep(0.2)
        yield state / "closegate.toml"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def child(kind: str, config: Path) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "bench.graph_read", "--child", kind, "--config", str(config)],
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                         timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(f"{kind} client failed: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def peak_rss_mb() -> float:
    """This process's peak RSS. Linux keeps ru_maxrss across fork+exec, so a client started by a
    large `make bench` process would report its parent's peak; VmHWM belongs to this image only."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def read_with_closegate(config: Path) -> dict[str, Any]:
    from closegate.auth import MsalTokenProvider
    from closegate.config import load_settings
    from closegate.facts import GLOBAL_ADMIN_ELIGIBILITIES, GLOBAL_ADMINS, PER_USER_MFA, USERS
    from closegate.graph import connect, run_concurrently
    from closegate.tenant import Tenant

    settings = load_settings(config)
    tokens = MsalTokenProvider(settings)
    tokens.token(settings.cloud.graph_resource)  # sign-in is not part of the read path being measured
    clients = connect(settings, tokens)
    tenant = Tenant(clients.graph, clients.arm, tokens)
    started = time.perf_counter()
    # Active and eligible holders are separate reads (the eligible one needs P2; generated tenants hold E5).
    admins, eligible, mfa = run_concurrently(lambda f: f(), [
        lambda: tenant.read(GLOBAL_ADMINS), lambda: tenant.read(GLOBAL_ADMIN_ELIGIBILITIES),
        lambda: tenant.read(PER_USER_MFA)], 3)
    wall = time.perf_counter() - started
    stats = clients.stats.snapshot()
    endpoints = stats["endpoints"]
    users = len(tenant.read(USERS))
    return {
        "users": users, "mfa_states": len(mfa), "ga_holders": len(admins) + len(eligible.assignments),
        "wall_seconds": round(wall, 2),
        "requests": stats["totals"]["requests"], "throttled": stats["totals"]["throttled"],
        "retries": stats["totals"]["retries"], "resource_units": stats["totals"]["resource_units"],
        "user_pages": endpoints["GET /v1.0/users"]["requests"],
        "batch_calls": endpoints["POST /beta/$batch"]["requests"],
        "limits": _limits(settings), "charged": _charged(settings), "peak_rss_mb": peak_rss_mb(),
        "peak_in_flight": clients.graph.limiter.peak,
        "latency_ms": round((clients.graph.limiter.latency or 0.0) * 1000),
    }


def _charged(settings: Any) -> dict[str, int]:
    """What the emulator's Graph charged, throttled requests included (operator GET /throttle)."""
    from closegate.emulator.operator import OperatorClient

    client = OperatorClient(settings.emulator["operator_url"], settings.cloud.ca_bundle)
    try:
        return client.throttle_stats()
    finally:
        client.close()


def _limits(settings: Any) -> dict[str, Any]:
    from closegate.emulator.operator import OperatorClient

    client = OperatorClient(settings.emulator["operator_url"], settings.cloud.ca_bundle)
    try:
        return client.limits()
    finally:
        client.close()


def read_with_msgraph_sdk(config: Path) -> dict[str, Any]:
    """The straightforward way: the official SDK, sequential pages, one request per user."""
    import asyncio
    import ssl

    import httpx
    from azure.core.credentials import AccessToken
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph.generated.role_management.directory.role_assignments.role_assignments_request_builder import (
        RoleAssignmentsRequestBuilder,
    )
    from msgraph.generated.users.users_request_builder import UsersRequestBuilder
    from msgraph.graph_request_adapter import options as graph_options
    from msgraph_core import GraphClientFactory

    from closegate.auth import MsalTokenProvider
    from closegate.config import load_settings

    settings = load_settings(config)
    tokens = MsalTokenProvider(settings)
    resource_ = settings.cloud.graph_resource

    class Credential:
        def get_token(self, *scopes: str, **kw: Any) -> AccessToken:
            return AccessToken(tokens.token(resource_), int(time.time()) + 600)

    sent = {"n": 0}

    async def count(request: httpx.Request) -> None:
        sent["n"] += 1

    async def run() -> dict[str, Any]:
        ctx = ssl.create_default_context(cafile=str(settings.cloud.ca_bundle))
        http = httpx.AsyncClient(verify=ctx, trust_env=False, event_hooks={"request": [count]}, timeout=60)
        http = GraphClientFactory.create_with_default_middleware(client=http, options=graph_options)
        auth = AzureIdentityAuthenticationProvider(Credential(), scopes=[f"{resource_}/.default"],
                                                   allowed_hosts=["127.0.0.1", "localhost"])
        adapter = GraphRequestAdapter(auth, client=http)
        adapter.base_url = f"{settings.cloud.graph_url}/v1.0"
        client = GraphServiceClient(request_adapter=adapter)
        started = time.perf_counter()
        query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
            select=["id", "userPrincipalName", "displayName", "userType", "accountEnabled", "onPremisesSyncEnabled"],
            top=999)
        page = await client.users.get(request_configuration=RequestConfiguration(query_parameters=query))
        ids = [u.id for u in page.value]
        while page.odata_next_link:
            page = await client.users.with_url(page.odata_next_link).get()
            ids += [u.id for u in page.value]
        ga_query = RoleAssignmentsRequestBuilder.RoleAssignmentsRequestBuilderGetQueryParameters(
            filter=f"roleDefinitionId eq '{GA}'", expand=["principal"])
        admins = await client.role_management.directory.role_assignments.get(
            request_configuration=RequestConfiguration(query_parameters=ga_query))
        states = []
        for uid in ids:
            beta = f"{settings.cloud.graph_url}/beta/users/{uid}/authentication/requirements"
            answer = await client.users.by_user_id(uid).authentication.with_url(beta).get()
            states.append(answer.additional_data.get("perUserMfaState"))
        wall = time.perf_counter() - started
        return {"users": len(ids), "mfa_states": sum(1 for s in states if s), "ga_holders": len(admins.value),
                "wall_seconds": round(wall, 2), "requests": sent["n"], "peak_rss_mb": peak_rss_mb()}

    return asyncio.run(run())


def needed_resource_units(users: int) -> int:
    # graph-facts §8.3 costs as requested: GET users with $select 2-1 = 1 per page; each
    # authentication/requirements GET 1; role assignments and eligibilities with $expand 1+1 = 2 each.
    # Units Graph charges for throttled attempts are waste, not need, so they are not counted here.
    return math.ceil(users / 999) + users + 2 * 2


def minimum_requests(users: int) -> int:
    # users: ceil(N/999) pages; MFA: ceil(N/20) $batch calls; Global Administrators: one active and
    # one eligible read (group expansion adds its members' reads, none in generated tenants).
    return math.ceil(users / 999) + math.ceil(users / 20) + 2


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--sdk-sizes", default=",".join(map(str, SDK_SIZES)))
    parser.add_argument("--latency", default="50ms")
    parser.add_argument("--child", choices=("closegate", "sdk"))
    parser.add_argument("--config", type=Path)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.child:
        reader = read_with_closegate if args.child == "closegate" else read_with_msgraph_sdk
        print(json.dumps(reader(args.config)))
        return {}
    headline: dict[str, Any] = {}
    sdk_sizes = {int(s) for s in args.sdk_sizes.split(",") if s}
    for size in (int(s) for s in args.sizes.split(",") if s):
        with served(size, args.latency) as config:
            ours = child("closegate", config)
            rate = _rate(ours["limits"], ours["users"])
            floor = needed_resource_units(ours["users"]) / rate if rate else 0.0
            row = {
                "users": ours["users"], "requests": ours["requests"], "minimum": minimum_requests(ours["users"]),
                "requests_vs_min": round(ours["requests"] / minimum_requests(ours["users"]), 3),
                "wall_s": ours["wall_seconds"], "throttle_floor_s": round(floor, 1),
                "wall_vs_floor": round(ours["wall_seconds"] / floor, 2) if floor else None,
                "throttled_429": ours["throttled"], "resource_units_spent": ours["resource_units"],
                "peak_rss_mb": ours["peak_rss_mb"],
            }
            if size in sdk_sizes:
                sdk = child("sdk", config)
                row.update(sdk_wall_s=sdk["wall_seconds"], sdk_requests=sdk["requests"],
                           sdk_peak_rss_mb=sdk["peak_rss_mb"],
                           speedup=round(sdk["wall_seconds"] / max(ours["wall_seconds"], 1e-6), 1))
        headline[f"n={size}"] = row
        print(f"n={size}: {json.dumps(row)}", flush=True)
    return headline


def _rate(limits: dict[str, Any], users: int) -> float:
    """Resource units per second allowed for this tenant size (graph-facts §8.3 size classes)."""
    size = "S" if users < 50 else "M" if users <= 500 else "L"
    per_window = (limits.get("ru_per_window") or {}).get(size)
    return per_window / limits["ru_window_seconds"] if per_window else 0.0


if __name__ == "__main__":
    main()
