"""The Microsoft 365 part of a scenario document: SKUs, subscriptions by billing type, licence holders.

    "licence": "business-standard",          # a tier of closegate.emulator.licensing.TIERS
    "skus": [{"skuPartNumber": "SPE_E5"}],   # skuId and service plans come from the catalog
    "subscriptions": [{"sku": "SPE_E5", "licenses": 300, "billing": "mca", "termStart": "-40d",
                       "ownerTenantId": "self"}]

A subscription's "billing" is direct (MOSA), mca or csp (a csp one names its partner's tenant in
ownerTenantId); "kind" is paid, trial, free or selfService. "ownerTenantId": "self" writes the
tenant's own id: graph-facts §12.6 leaves unverified what live Graph sends for direct purchases,
and the tenant's own id is the worse case for a client that treats any ownerTenantId as a partner.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from closegate.emulator.commerce import BILLING_TYPES, KINDS
from closegate.emulator.licensing import CATALOG, TIERS
from closegate.emulator.records import SkuRecord, SubscriptionRecord
from closegate.emulator.scenario_azure import ScenarioLoader
from closegate.emulator.state import StateError

__all__ = ["load_commerce"]


def load_commerce(loader: ScenarioLoader, when: Any) -> None:
    s, spec = loader.state, loader.spec
    for k in spec.get("skus", []):
        _add_sku(loader, k)
    subscriptions = list(spec.get("subscriptions", []))
    tier = spec.get("licence")
    if tier is not None:
        if tier not in TIERS:
            raise StateError(f"unknown licence tier {tier!r}: use one of {', '.join(TIERS)}")
        have = {sub["sku"] for sub in subscriptions}
        seats = max(1, sum(1 for u in s.user_list if u.user_type == "Member"))
        subscriptions += [{"sku": part, "licenses": seats, "name": f"licence-{part}", "nextLifecycle": "+200d"}
                          for part in TIERS[tier] if part not in have]
    by_part = {k.sku_part_number: k.sku_id for k in s.skus.values()}
    members = sum(1 for u in s.user_list if u.user_type == "Member")
    for sub in subscriptions:
        if sub["sku"] not in by_part:
            if sub["sku"] not in CATALOG:
                raise StateError(f"scenario subscribes to SKU {sub['sku']!r}, which it does not define")
            # A catalog SKU named only by a subscription: its licences go to members, as far as they reach.
            _add_sku(loader, {"skuPartNumber": sub["sku"], "consumedUnits": min(int(sub.get("licenses", 25)), members)})
            by_part[sub["sku"]] = CATALOG[sub["sku"]].sku_id
    _licenses(loader, by_part)
    for i, sub in enumerate(subscriptions):
        _add_subscription(loader, sub, by_part, i, when)


def _add_sku(loader: ScenarioLoader, k: dict[str, Any]) -> None:
    s = loader.state
    known = CATALOG.get(k["skuPartNumber"])
    sku_id = k.get("skuId") or (known.sku_id if known else None)
    if sku_id is None:
        raise StateError(f"SKU {k['skuPartNumber']!r} needs a skuId (it is not in the licensing catalog)")
    plans = k.get("servicePlans")
    service_plans = tuple((p[0], p[1]) for p in plans) if plans is not None else (known.plans if known else ())
    s.skus[sku_id] = SkuRecord(sku_id, k["skuPartNumber"], service_plans, int(k.get("consumedUnits", 0)),
                               k.get("appliesTo", "User"))


def _add_subscription(loader: ScenarioLoader, sub: dict[str, Any], by_part: dict[str, str], i: int,
                      when: Any) -> None:
    s = loader.state
    key = sub.get("name", f"{sub['sku']}-{i}")
    billing, kind = sub.get("billing", "direct"), sub.get("kind", "trial" if sub.get("trial") else "paid")
    if billing not in BILLING_TYPES or kind not in KINDS:
        raise StateError(f"subscription {key!r}: billing must be one of {BILLING_TYPES}, kind one of {KINDS}")
    owner = sub.get("ownerTenantId")
    if owner == "self":
        owner = s.tenant_id
    if billing == "csp" and not owner:
        raise StateError(f"CSP subscription {key!r} needs the partner's tenant in ownerTenantId")
    created: datetime = when(sub.get("createdDateTime")) or loader.now - timedelta(days=300)
    status = sub.get("status", "Enabled")
    rec = SubscriptionRecord(
        id=loader.oid("subscription", key), commerce_subscription_id=loader.oid("commerce", key),
        sku_id=by_part[sub["sku"]], status=status, total_licenses=int(sub.get("licenses", 25)),
        created=created, next_lifecycle=when(sub.get("nextLifecycle", "+65d")),
        is_trial=kind == "trial",
        auto_renew=bool(sub.get("autoRenew", status == "Enabled" and kind == "paid")),
        owner_tenant_id=owner, billing=billing, kind=kind,
        term_start=when(sub.get("termStart")) or created)
    if rec.status == "Deleted":
        rec.deprovision_at = rec.next_lifecycle
    s.subscriptions[rec.id] = rec


def _licenses(loader: ScenarioLoader, by_part: dict[str, str]) -> None:
    """Who holds each SKU: users naming it ("licenses": [skuPartNumber]) first, then members in
    listing order until the SKU's consumedUnits are used (a consumed unit is one user holding
    the licence, graph-facts §4.1). Each SKU continues where the previous one stopped, so the
    SKUs spread over the population instead of all landing on its first users."""
    s = loader.state
    named = {u["upn"].lower(): tuple(by_part[p] for p in u.get("licenses", ()))
             for u in loader.spec.get("users", []) if u.get("licenses")}
    held: dict[str, list[str]] = {}
    for upn, parts in named.items():
        rec = s.user_record(upn)
        if rec is None:
            raise StateError(f"scenario licenses unknown user {upn!r}")
        held[rec.id] = list(parts)
    members = [u for u in s.user_list if u.user_type == "Member"]
    cursor = 0
    for sku in s.skus.values():
        if sku.applies_to != "User" or not members:
            continue
        holders = sum(sku.sku_id in skus for skus in held.values())
        for _ in range(max(0, min(sku.consumed_units, len(members)) - holders)):
            while sku.sku_id in held.get(members[cursor % len(members)].id, ()):
                cursor += 1
            held.setdefault(members[cursor % len(members)].id, []).append(sku.sku_id)
            cursor += 1
    shared: dict[tuple[str, ...], tuple[str, ...]] = {}  # 100,000 users share a few tuples
    for uid, sku_ids in held.items():
        key = tuple(sku_ids)
        s.users[uid].licenses = shared.setdefault(key, key)
