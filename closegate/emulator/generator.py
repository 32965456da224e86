"""Deterministic bulk users for scenario "population" blocks and for generated:N tenants.

Produces `UserRecord`s directly (no intermediate dicts), so generated:100000 loads in about a
second and holds roughly 1 KB per user.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from closegate.emulator.records import UserRecord

__all__ = ["Population", "generated_spec", "population_users"]

_FIRST = ("Ada", "Ben", "Chloe", "Dario", "Elif", "Farah", "Goran", "Hana", "Ivan", "Jun", "Kemal",
          "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Vera",
          "Wei", "Ximena", "Yusuf", "Zoe")
_LAST = ("Adams", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Horvat", "Ito", "Jensen",
         "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Petrov", "Rossi", "Silva", "Tanaka",
         "Usman", "Varga", "Weber", "Yilmaz", "Zhang")
_TITLES = ("Engineer", "Analyst", "Sales Manager", "Accountant", "Designer", "Support Specialist", None)
_DEPTS = ("Engineering", "Finance", "Sales", "Marketing", "Support", "Operations")
_METHODS = (("microsoftAuthenticatorPush", "mobilePhone"), ("mobilePhone",), ("email",), ())


@dataclass(frozen=True)
class Population:
    members: int = 0
    guests: int = 0
    disabled: int = 0  # of the members, how many are disabled
    synced: int = 0  # of the members, how many come from on-premises
    mfa_enforced: int = 0  # of the members, how many have per-user MFA enforced
    seed: int = 1
    prefix: str = "user"

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Population:
        return cls(members=int(spec.get("members", 0)), guests=int(spec.get("guests", 0)),
                   disabled=int(spec.get("disabled", 0)), synced=int(spec.get("synced", 0)),
                   mfa_enforced=int(spec.get("mfaEnforced", 0)), seed=int(spec.get("seed", 1)),
                   prefix=str(spec.get("prefix", "user")))


def population_users(pop: Population, *, tenant_id: str, domain: str, start_seq: int,
                     now: datetime) -> Iterator[UserRecord]:
    rng = random.Random(pop.seed)
    namespace = uuid.UUID(tenant_id)
    created_base = now - timedelta(days=900)
    last_activity = now - timedelta(days=3)
    seq = start_seq
    for i in range(pop.members + pop.guests):
        guest = i >= pop.members
        first, last = _FIRST[rng.randrange(len(_FIRST))], _LAST[rng.randrange(len(_LAST))]
        if guest:
            ext = f"{first.lower()}.{last.lower()}{i}_partner.example"
            upn = f"{ext}#EXT#@{domain}"
            mail = f"{first.lower()}.{last.lower()}{i}@partner.example"
        else:
            upn = f"{pop.prefix}{i:06d}@{domain}"
            mail = upn
        synced = not guest and i < pop.synced
        disabled = not guest and pop.members - pop.disabled <= i < pop.members
        yield UserRecord(
            seq=seq,
            id=str(uuid.uuid5(namespace, "user:" + upn.lower())),
            user_principal_name=upn,
            display_name=f"{first} {last}",
            user_type="Guest" if guest else "Member",
            account_enabled=not disabled,
            sync_enabled=True if synced else None,
            created=created_base + timedelta(days=i % 800),
            given_name=first,
            surname=last,
            mail=mail,
            job_title=None if guest else _TITLES[i % len(_TITLES)],
            department=None if guest else _DEPTS[i % len(_DEPTS)],
            usage_location=None if guest else "US",
            per_user_mfa="enforced" if not guest and pop.synced <= i < pop.synced + pop.mfa_enforced
            else "disabled",
            methods=() if guest else _METHODS[i % len(_METHODS)],
            mailbox_bytes=0 if guest else rng.randrange(50_000_000, 20_000_000_000),
            mailbox_items=0 if guest else rng.randrange(100, 60_000),
            onedrive_bytes=0 if guest else rng.randrange(0, 50_000_000_000),
            onedrive_files=0 if guest else rng.randrange(0, 20_000),
            last_activity=last_activity,
            immutable_id=f"imm{i:08d}" if synced else None,
        )
        seq += 1


def generated_spec(count: int) -> dict[str, Any]:
    """A tenant of `count` users: the closing admin plus a generated population (5% guests)."""
    if count < 1:
        raise ValueError("generated:N needs N >= 1")
    bulk = count - 1
    guests = bulk // 20
    members = bulk - guests
    domain = "generated.onmicrosoft.com"
    return {
        "tenant": {"id": "5a1e0000-0000-4000-8000-00000000000a", "displayName": f"Generated {count}",
                   "primaryDomain": domain, "createdDateTime": "2019-05-01T00:00:00Z"},
        "closingAdmin": f"admin@{domain}",
        "users": [{"upn": f"admin@{domain}", "displayName": "Closing Admin", "methods": ["microsoftAuthenticatorPush"]}],
        "population": {"members": members, "guests": guests, "disabled": members // 50, "seed": count},
        "roles": [{"role": "Global Administrator", "principal": f"admin@{domain}"}],
        # Microsoft 365 E5 (catalog SKU): P2 through a real SKU, so PIM answers as it does for E5 tenants.
        "skus": [{"skuPartNumber": "SPE_E5", "consumedUnits": members}],
        "subscriptions": [{"sku": "SPE_E5", "status": "Enabled", "licenses": members + 10,
                           "nextLifecycle": "+200d"}],
        "azureRoles": [{"principal": "closegate", "role": "Owner", "scope": "/"}],
        "compat": {"legacyCommerce": True},
    }
