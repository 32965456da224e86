"""Scenarios are data: a tenant described in JSON (or by a ScenarioBuilder) becomes a TenantState.

`load_scenario` accepts a built-in name ("demo", "ready", "hybrid", "partner", "hostile",
"b2c", "small-business", "enterprise"), "generated:N", a path to a scenario JSON file, or a `ScenarioBuilder`. Object ids are
derived from names (uuid5 under the tenant id), so files stay readable and loads are repeatable.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.clock import SimClock, parse_time
from closegate.emulator.compat import Compat
from closegate.emulator.first_party import FirstPartyPopulation, populate
from closegate.emulator.generator import Population, generated_spec, population_users
from closegate.emulator.graph_roles import ROLE_NAMES
from closegate.emulator.records import (
    AppRecord,
    CaPolicy,
    Eligibility,
    GroupRecord,
    ServicePrincipalRecord,
    SiteRecord,
    UserRecord,
)
from closegate.emulator.scenario_azure import load_azure
from closegate.emulator.scenario_commerce import load_commerce
from closegate.emulator.scenario_records import Refs, load_records
from closegate.emulator.state import Organization, StateError, TenantState, assignment_id

__all__ = ["BUILT_IN", "ScenarioBuilder", "build_state", "load_scenario"]

BUILT_IN = ("demo", "ready", "hybrid", "partner", "hostile", "b2c", "small-business", "enterprise")
MICROSOFT_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"  # graph-facts §6 (community convention)
_ROLE_BY_NAME = {name.lower(): tid for tid, name in ROLE_NAMES.items()}


def load_scenario(spec: str | Path | ScenarioBuilder) -> TenantState:
    if isinstance(spec, ScenarioBuilder):
        return build_state(spec.build())
    if isinstance(spec, Path):
        return build_state(json.loads(spec.read_text(encoding="utf-8")))
    if spec.startswith("generated:"):
        return build_state(generated_spec(int(spec.split(":", 1)[1])))
    if spec in BUILT_IN:
        text = resources.files("closegate.emulator").joinpath("scenarios", f"{spec}.json").read_text("utf-8")
        return build_state(json.loads(text))
    raise StateError(f"unknown scenario {spec!r}: use one of {', '.join(BUILT_IN)}, generated:N, "
                     "or a path to a scenario JSON file")


def _when(value: str | None, now: datetime) -> datetime | None:
    """ISO time, or a time relative to the scenario's "now" ("+30d", "-12h")."""
    if value is None:
        return None
    m = re.fullmatch(r"([+-])(\d+)([dh])", value)
    if m:
        delta = timedelta(days=int(m[2])) if m[3] == "d" else timedelta(hours=int(m[2]))
        return now + delta if m[1] == "+" else now - delta
    return parse_time(value)


def _scenario_now(value: str | None) -> datetime:
    """The scenario's "now": a fixed ISO time when a test pins one, else the wall clock.

    Built-in scenarios describe their history relative to "now", so the tenant's clock agrees with
    the operator's: an attestation made today is not in the emulated tenant's future.
    """
    if value is not None:
        return parse_time(value)
    return datetime.now(timezone.utc).replace(microsecond=0)


class _Loader:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        t = spec["tenant"]
        self.ns = uuid.UUID(t["id"])
        self.now = _scenario_now(spec.get("now"))
        self.follow_wall_clock = spec.get("now") is None
        sync = spec.get("sync", {})
        org = Organization(
            display_name=t["displayName"], tenant_type=t.get("tenantType", "AAD"),
            partner_tenant_type=t.get("partnerTenantType"),
            country_letter_code=t.get("countryLetterCode", "US"),
            created=_when(t.get("createdDateTime"), self.now) or self.now - timedelta(days=1000),
            sync_enabled=sync.get("enabled"), last_sync=_when(sync.get("lastSyncDateTime"), self.now))
        self.state = TenantState(tenant_id=t["id"], primary_domain=t["primaryDomain"], organization=org,
                                 clock=SimClock(self.now, follow_wall_clock=self.follow_wall_clock),
                                 closing_admin_upn=spec["closingAdmin"])

    def oid(self, kind: str, key: str) -> str:
        return str(uuid.uuid5(self.ns, f"{kind}:{key.lower()}"))

    def load(self) -> TenantState:
        s, spec = self.state, self.spec
        self._domains()
        for u in spec.get("users", []):
            s.add_user(self._user(u))
        if "population" in spec:
            for rec in population_users(Population.from_spec(spec["population"]), tenant_id=s.tenant_id,
                                        domain=s.primary_domain, start_seq=s.next_user_seq(), now=self.now):
                s.add_user(rec)
        for g in spec.get("groups", []):
            gid = self.oid("group", g["displayName"])
            s.groups[gid] = GroupRecord(
                id=gid, display_name=g["displayName"], created=self.now - timedelta(days=200),
                is_assignable_to_role=bool(g.get("roleAssignable", False)),
                security_enabled=True, mail_enabled=bool(g.get("mailEnabled", False)),
                group_types=("Unified",) if g.get("mailEnabled") else (),
                mail_nickname=re.sub(r"[^A-Za-z0-9]", "", g["displayName"])[:64] or "group",
                description=g.get("description"), sync_enabled=True if g.get("synced") else None,
                member_ids=[self.principal(m) for m in g.get("members", [])])
        for a in spec.get("applications", []):
            app_id = a.get("appId") or self.oid("appid", a["displayName"])
            aid = self.oid("application", app_id)
            s.applications[aid] = AppRecord(aid, app_id, a["displayName"], self.now - timedelta(days=90),
                                            publisher_domain=s.primary_domain,
                                            owner_ids=self._owners(a))
            if a.get("servicePrincipal", True):
                spid = self.oid("sp", app_id)
                s.service_principals[spid] = ServicePrincipalRecord(
                    spid, app_id, a["displayName"], app_owner_organization_id=s.tenant_id,
                    owner_ids=tuple(self.principal(o) for o in a.get("servicePrincipalOwners", [])))
        for p in spec.get("servicePrincipals", []):
            spid = self.oid("sp", p["appId"])
            first_party = bool(p.get("firstParty", False))
            s.service_principals[spid] = ServicePrincipalRecord(
                spid, p["appId"], p["displayName"], account_enabled=bool(p.get("enabled", True)),
                app_owner_organization_id=MICROSOFT_TENANT if first_party else p.get("ownerTenantId"),
                deletable=bool(p.get("deletable", not first_party)), owner_ids=self._owners(p))
        self._roles()
        self._commerce()
        self._policies()
        load_records(spec, s, Refs(oid=self.oid, when=lambda v: _when(v, self.now), now=self.now))
        if "firstParty" in spec:
            try:
                populate(s, FirstPartyPopulation.from_spec(spec["firstParty"]))
            except ValueError as exc:
                raise StateError(f"scenario: {exc}") from None
        return s

    def _domains(self) -> None:
        s = self.state
        s.domains.append({"id": s.primary_domain, "authenticationType": "Managed", "isAdminManaged": True,
                          "isDefault": not any(d.get("isDefault") for d in self.spec.get("domains", [])),
                          "isInitial": True, "isRoot": True, "isVerified": True,
                          "supportedServices": ["Email", "OfficeCommunicationsOnline"],
                          "passwordValidityPeriodInDays": 2147483647, "passwordNotificationWindowInDays": 14})
        for d in self.spec.get("domains", []):
            s.domains.append({"id": d["id"], "authenticationType": d.get("authenticationType", "Managed"),
                              "isAdminManaged": True, "isDefault": bool(d.get("isDefault")),
                              "isInitial": False, "isRoot": True, "isVerified": bool(d.get("isVerified", True)),
                              "supportedServices": d.get("supportedServices", ["Email"]),
                              "passwordValidityPeriodInDays": 2147483647,
                              "passwordNotificationWindowInDays": 14})

    def _user(self, u: dict[str, Any]) -> UserRecord:
        upn = u["upn"]
        guest = bool(u.get("guest", False))
        name = u.get("displayName", upn.split("@")[0])
        return UserRecord(
            seq=self.state.next_user_seq(), id=u.get("id") or self.oid("user", upn),
            user_principal_name=upn, display_name=name, user_type="Guest" if guest else "Member",
            account_enabled=bool(u.get("enabled", True)),
            sync_enabled=True if u.get("synced") else None,
            created=_when(u.get("createdDateTime"), self.now) or self.now - timedelta(days=400),
            given_name=u.get("givenName", name.split(" ")[0] if " " in name else None),
            surname=u.get("surname", name.split(" ")[-1] if " " in name else None),
            mail=u.get("mail", None if guest and "mail" not in u else upn),
            job_title=u.get("jobTitle"), department=u.get("department"),
            usage_location=u.get("usageLocation", None if guest else "US"),
            per_user_mfa=u.get("mfa", "disabled"), methods=tuple(u.get("methods", ())),
            mailbox_bytes=int(u.get("mailboxBytes", 0)), mailbox_items=int(u.get("mailboxItems", 0)),
            onedrive_bytes=int(u.get("oneDriveBytes", 0)), onedrive_files=int(u.get("oneDriveFiles", 0)),
            last_activity=self.now - timedelta(days=2),
            immutable_id=u.get("immutableId") or (f"imm-{upn.split('@')[0]}" if u.get("synced") else None))

    def _owners(self, entry: dict[str, Any]) -> tuple[str, ...]:
        """An object's owners: user UPNs or "app:appId" service principals (both may own apps)."""
        return tuple(self.principal(o) for o in entry.get("owners", []))

    def principal(self, ref: str) -> str:
        """A principal reference: a UPN, "group:Display Name" or "app:appId"."""
        if ref.startswith("group:"):
            return self.oid("group", ref[6:])
        if ref.startswith("app:"):
            return self.oid("sp", ref[4:])
        rec = self.state.user_record(ref)
        if rec is None:
            raise StateError(f"scenario refers to unknown user {ref!r}")
        return rec.id

    def _roles(self) -> None:
        s = self.state
        for r in self.spec.get("roles", []):
            role = _ROLE_BY_NAME.get(r["role"].lower(), r["role"])
            pid = self.principal(r["principal"])
            if r.get("eligible"):
                eid = assignment_id(role, pid)
                s.eligibilities[eid] = Eligibility(eid, role, pid, self.now - timedelta(days=30),
                                                   _when(r.get("until"), self.now))
            else:
                s.add_role_assignment(pid, role)

    def _commerce(self) -> None:
        s, spec = self.state, self.spec
        when = lambda value: _when(value, self.now)  # noqa: E731
        load_commerce(self, when)
        load_azure(self, when)
        for site in spec.get("sites", []):
            owner = s.user_record(site["owner"])
            s.sites.append(SiteRecord(self.oid("site", site["url"]), site["url"],
                                      owner.display_name if owner else site["owner"],
                                      owner.user_principal_name if owner else site["owner"],
                                      int(site.get("storageBytes", 0)), int(site.get("files", 0)),
                                      site.get("template", "Team Site")))

    def _policies(self) -> None:
        s, spec = self.state, self.spec
        try:
            s.compat = Compat.from_spec(spec.get("compat"))
        except ValueError as exc:
            raise StateError(f"scenario: {exc}") from None
        s.security_defaults_enabled = bool(spec.get("securityDefaults", False))
        s.display_concealed_names = bool(spec.get("reportSettings", {}).get("displayConcealedNames", False))
        s.mfa_providers = list(spec.get("mfaProviders", []))
        s.signup_products = list(spec.get("signupProducts", []))
        for p in spec.get("conditionalAccess", []):
            pid = self.oid("ca", p["displayName"])
            strength = None
            if p.get("authenticationStrength"):
                strength = {"id": "00000000-0000-0000-0000-000000000002",
                            "displayName": p["authenticationStrength"], "policyType": "builtIn",
                            "requirementsSatisfied": "mfa", "allowedCombinations": []}
            s.ca_policies[pid] = CaPolicy(
                pid, p["displayName"], p.get("state", "enabled"), self.now - timedelta(days=100), None,
                tuple(p.get("controls", ())), strength,
                exclude_users=tuple(self.principal(x) for x in p.get("excludeUsers", [])),
                include_roles=tuple(p.get("includeRoles", ())))
        b2c = spec.get("b2c", {})
        s.b2c.user_flows = [dict(x) for x in b2c.get("userFlows", [])]
        s.b2c.identity_providers = [dict(x) for x in b2c.get("identityProviders", [])]
        s.b2c.policies = [dict(x) for x in b2c.get("policies", [])]
        s.b2c.key_sets = [dict(x) for x in b2c.get("keySets", [])]


def build_state(spec: dict[str, Any]) -> TenantState:
    """Build a live tenant from a scenario document (the format of scenarios/*.json)."""
    try:
        return _Loader(spec).load()
    except KeyError as exc:
        raise StateError(f"scenario is missing required field {exc.args[0]!r}") from None
