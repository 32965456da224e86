"""Benchmark: closegate's read path (users, Global Administrators, per-user MFA) beside the official SDK.

For generated tenants of 1k and 10k users, served by the emulator in its own process with Graph's
token buckets and the latency model (bench.serve), it reports for closegate:
  * wall time vs the floor max(listing time, (RU needed - burst) / refill) (bench.floors);
  * resource units charged by the emulator vs needed (throttled attempts are waste, not need);
  * requests vs the minimum (ceil(N/999) user pages + ceil(N/20) $batch calls + the role reads);
and the same reads done with the official msgraph SDK three ways, each in a fresh process: the
straightforward one (awaiting each call in turn; 1k only, it takes ~N x latency), with concurrency
(asyncio.gather under a semaphore of SDK_CONCURRENCY, as closegate's own ceiling) and with its HTTP
pipeline's raw responses plus $batch. Every ratio is SDK wall / closegate wall.

Run: PYTHONPATH=. .venv/bin/python -m bench.graph_read [--sizes 1000,10000] [--sdk-sizes 1000]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.floors import listing_seconds, ru_bucket
from bench.serve import ROOT, peak_rss_mb, served
from bench.table import Row, at_most, info, rows_json

SIZES = (1_000, 10_000)
SDK_SIZES = (1_000,)  # the straightforward SDK; the concurrent and batched ones run at every size
SDK_CONCURRENCY = 64  # closegate's own ceiling of requests in flight (closegate.graph.concurrency)
GA = "62e90394-69f5-4237-9190-012177145e10"


def child(kind: str, config: Path) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "bench.graph_read", "--child", kind, "--config", str(config)],
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                         timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(f"{kind} client failed: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


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


def read_with_msgraph_sdk(config: Path, mode: str = "sdk") -> dict[str, Any]:
    """The official SDK three ways: "sdk" the straightforward one (sequential pages, then one awaited
    request per user); "sdk-concurrent" the same requests under asyncio.gather with a semaphore of
    SDK_CONCURRENCY; "sdk-batch" its HTTP pipeline with raw responses and $batch (`batched`)."""
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

    async def batched(http: Any, ids: list[str]) -> list[Any]:
        """The SDK's HTTP pipeline (its middleware: retry, redirect, headers) with raw responses and
        $batch of 20 on /beta (per-user MFA is beta only, §5.1; a beta path in a v1.0 batch is a 405,
        §8.1), SDK_CONCURRENCY batches in flight; inner 429s are sent again after their Retry-After."""
        gate = asyncio.Semaphore(SDK_CONCURRENCY)
        found: dict[str, Any] = {}

        async def send(chunk: list[str]) -> list[tuple[str, float]]:
            body = {"requests": [{"id": str(n), "method": "GET", "url": f"/users/{uid}/authentication/requirements"}
                                 for n, uid in enumerate(chunk)]}
            async with gate:
                answer = await http.post(f"{settings.cloud.graph_url}/beta/$batch", json=body,
                                         headers={"Authorization": f"Bearer {tokens.token(resource_)}"})
            again = []
            for item in answer.json()["responses"]:
                uid = chunk[int(item["id"])]
                if item["status"] == 429:
                    again.append((uid, float((item.get("headers") or {}).get("Retry-After", "1"))))
                else:
                    found[uid] = (item.get("body") or {}).get("perUserMfaState")
            return again

        todo = ids
        while todo:
            retry = [r for part in await asyncio.gather(*(send(todo[i:i + 20]) for i in range(0, len(todo), 20)))
                     for r in part]
            if retry:
                await asyncio.sleep(max(wait for _, wait in retry))
            todo = [uid for uid, _ in retry]
        return [found[uid] for uid in ids]

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
        async def one(uid: str) -> Any:
            beta = f"{settings.cloud.graph_url}/beta/users/{uid}/authentication/requirements"
            answer = await client.users.by_user_id(uid).authentication.with_url(beta).get()
            return answer.additional_data.get("perUserMfaState")

        ga_query = RoleAssignmentsRequestBuilder.RoleAssignmentsRequestBuilderGetQueryParameters(
            filter=f"roleDefinitionId eq '{GA}'", expand=["principal"])
        admins = await client.role_management.directory.role_assignments.get(
            request_configuration=RequestConfiguration(query_parameters=ga_query))
        if mode == "sdk":
            states = []
            for uid in ids:
                states.append(await one(uid))
        elif mode == "sdk-concurrent":
            gate = asyncio.Semaphore(SDK_CONCURRENCY)

            async def bounded(uid: str) -> Any:
                async with gate:
                    return await one(uid)

            states = list(await asyncio.gather(*(bounded(uid) for uid in ids)))
        else:
            states = await batched(http, ids)
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
    parser.add_argument("--child", choices=("closegate", "sdk", "sdk-concurrent", "sdk-batch"))
    parser.add_argument("--config", type=Path)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.child:
        result = read_with_closegate(args.config) if args.child == "closegate" else \
            read_with_msgraph_sdk(args.config, args.child)
        print(json.dumps(result))
        return {}
    headline: dict[str, Any] = {}
    rows: list[Row] = []
    sdk_sizes = {int(s) for s in args.sdk_sizes.split(",") if s}
    for size in (int(s) for s in args.sizes.split(",") if s):
        with served(f"generated:{size}") as emu:
            ours = child("closegate", emu.config)
            charged = emu.operator.throttle_stats()
            kinds = [k for k in ("sdk", "sdk-concurrent", "sdk-batch") if k != "sdk" or size in sdk_sizes]
            sdks = {kind: child(kind, emu.config) for kind in kinds}
        needed = needed_resource_units(ours["users"])
        bucket = ru_bucket(ours["limits"], ours["users"])
        listing = listing_seconds(ours["users"])
        floor = max(listing, bucket.seconds(needed))
        name = f"read n={size:,}"
        rows += [
            at_most(name, "closegate wall / floor", round(ours["wall_seconds"] / floor, 3), 1.25,
                    note=f"wall {ours['wall_seconds']} s, floor {floor:.1f} s = max(listing {listing:.1f} s, "
                         f"({needed:,} RU - {bucket.burst:,.0f}) / {bucket.refill_per_s:,.0f} RU/s)"),
            at_most(name, "RU charged / needed", round(charged["resource_units"] / needed, 3), 1.05,
                    note=f"{charged['resource_units']:,} charged, {charged['throttled']} answered 429"),
            info(name, "requests / minimum", round(ours["requests"] / minimum_requests(ours["users"]), 3),
                 note=f"{ours['requests']:,} requests, peak {ours.get('peak_in_flight')} in flight, "
                      f"peak RSS {ours['peak_rss_mb']} MB"),
        ]
        for kind, sdk in sdks.items():
            rows.append(info(name, f"{kind} wall / closegate wall",
                             round(sdk["wall_seconds"] / max(ours["wall_seconds"], 1e-6), 2),
                             note=f"{kind} {sdk['wall_seconds']} s, {sdk['requests']:,} requests, "
                                  f"peak RSS {sdk['peak_rss_mb']} MB"))
        headline[f"n={size}"] = {"closegate": ours, **sdks, "floor_s": round(floor, 2)}
        for row in rows[-(3 + len(sdks)):]:
            print(f"{row.benchmark}: {row.figure}: {row.value} {row.status} {row.note}".rstrip(), flush=True)
    return {**headline, "rows": rows_json(rows)}


if __name__ == "__main__":
    main()
