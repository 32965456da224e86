"""A realistic population of Microsoft's own service principals, as a long-lived tenant holds them.

A real tenant holds hundreds of service principals of Microsoft applications under Microsoft's owner
tenants (graph-facts §12.4: f8cdef31-..., 72f988bf-..., 33e01921-... AME). What Graph does when each
is deleted is not documented per app; the "Delete a Microsoft Entra tenant" text says some enterprise
apps "might block" the delete, to delete them all "multiple times" because of dependencies and to
disable only those that refuse (§12.4). The population models exactly that, deterministically:
* about a third can be deleted; some of those only after other ones are gone (`delete_after`);
* the rest refuse, with the same 403 Authorization_RequestDenied as the existing emulator (undocumented:
  the worse case, a client cannot tell "never" from "not yet");
* a few of the refusing ones block the tenant delete while they are enabled (the doc's "might block");
  never the ones an admin portal needs (closegate.emulator.portal), which refuse deletion and must
  stay enabled;
* Legacy and SocialIdp principals (servicePrincipalType), which refuse deletion (undocumented: worse case).
Managed identities come with their Azure resources (scenario_azure), not from here.

Names and app ids are Microsoft's published ones (first_party_catalog); the remainder up to `count`
are generated, named "Microsoft service NNN", with made-up app ids: Microsoft publishes no full list.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from closegate.emulator.first_party_catalog import (
    MICROSOFT_CORP_TENANT,
    MICROSOFT_SERVICES_TENANT,
    PUBLISHED,
    PUBLISHED_CORP,
)
from closegate.emulator.portal import PORTAL_APP_IDS
from closegate.emulator.records import ServicePrincipalRecord
from closegate.emulator.state import TenantState

__all__ = ["AME_TENANT", "FirstPartyPopulation", "PROTECTED_APP_IDS", "populate"]

AME_TENANT = "33e01921-4d64-4f8c-a055-5bdaffd5e33d"
# Refuse deletion whatever the draw: the portals' apps and the directory's own resource principals.
PROTECTED_APP_IDS = PORTAL_APP_IDS | {"00000002-0000-0000-c000-000000000000"}  # Windows Azure Active Directory


@dataclass(frozen=True)
class FirstPartyPopulation:
    count: int = 420  # service principals of Microsoft applications in all
    deletable_share: float = 0.35
    chained: int = 12  # deletable ones that need others gone first
    blocking: int = 4  # refusing ones that block the tenant delete while enabled
    legacy: int = 3
    social_idp: int = 2
    seed: int = 1

    @classmethod
    def from_spec(cls, spec: dict[str, object] | str) -> FirstPartyPopulation:
        if isinstance(spec, str):
            spec = {"population": spec}
        if spec.get("population", "realistic") != "realistic":
            raise ValueError(f"unknown first-party population {spec.get('population')!r}: use 'realistic'")
        count, seed = spec.get("count", 420), spec.get("seed", 1)
        if not isinstance(count, int) or not isinstance(seed, int):
            raise ValueError("first-party population count and seed are whole numbers")
        return cls(count=count, seed=seed)


def populate(state: TenantState, pop: FirstPartyPopulation) -> None:
    """Add the population to the tenant; principals the scenario already lists (same appId) stay as written."""
    rng = random.Random(pop.seed)
    ns = uuid.UUID(state.tenant_id)
    present = {sp.app_id for sp in state.service_principals.values()}
    apps = [(a, n, MICROSOFT_SERVICES_TENANT) for a, n in PUBLISHED] + [(a, n, MICROSOFT_CORP_TENANT)
                                                                       for a, n in PUBLISHED_CORP]
    owners = (MICROSOFT_SERVICES_TENANT,) * 8 + (MICROSOFT_CORP_TENANT, AME_TENANT)
    apps += [(str(uuid.uuid5(ns, f"first-party:{i}")), f"Microsoft service {i:03d}", owners[i % len(owners)])
             for i in range(max(0, pop.count - len(apps)))]
    created: list[ServicePrincipalRecord] = []
    for app_id, name, owner in apps:
        if app_id in present:
            continue
        sp = ServicePrincipalRecord(str(uuid.uuid5(ns, f"sp:{app_id}")), app_id, name,
                                    app_owner_organization_id=owner,
                                    deletable=app_id not in PROTECTED_APP_IDS and rng.random() < pop.deletable_share)
        state.service_principals[sp.id] = sp
        created.append(sp)
    deletable = [sp for sp in created if sp.deletable]
    chained = rng.sample(deletable, min(pop.chained, len(deletable) // 2))
    base = [sp.app_id for sp in deletable if sp not in chained]  # chains end here: no cycle can form
    for sp in chained:
        sp.delete_after = tuple(rng.sample(base, min(len(base), rng.randint(1, 2))))
    refusing = [sp for sp in created if not sp.deletable and sp.app_id not in PROTECTED_APP_IDS]
    for sp in rng.sample(refusing, min(pop.blocking, len(refusing))):
        sp.blocks_deletion_while_enabled = True
    for kind, n in (("Legacy", pop.legacy), ("SocialIdp", pop.social_idp)):
        for i in range(n):
            app_id = str(uuid.uuid5(ns, f"{kind}:{i}"))
            sp = ServicePrincipalRecord(str(uuid.uuid5(ns, f"sp:{app_id}")), app_id, f"{kind} principal {i + 1}",
                                        app_owner_organization_id=None, service_principal_type=kind,
                                        deletable=False)
            state.service_principals[sp.id] = sp
