"""A small fluent builder for tenants in tests: say what matters, get a valid scenario document.

    tenant = (ScenarioBuilder("Fabrikam").user("ann@fabrikam.onmicrosoft.com")
              .global_admin("eve@fabrikam.onmicrosoft.com", via="group").sync(enabled=True))
    state = load_scenario(tenant)

The builder only writes the scenario format that scenarios/*.json use; `load_scenario` does the rest.
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

from closegate.emulator.builder_records import RecordsBuilder
from closegate.emulator.licensing import CATALOG

__all__ = ["ScenarioBuilder"]

GA = "Global Administrator"


class ScenarioBuilder(RecordsBuilder):
    """Starts as a tenant whose only user is the closing Global Administrator.

    The records sections (holds, devices, logs, teams...) have their methods in RecordsBuilder.
    """

    def __init__(self, name: str = "Fabrikam", *, tenant_id: str | None = None,
                 now: str | None = None) -> None:
        slug = re.sub(r"[^a-z0-9]", "", name.lower()) or "tenant"
        self.domain = f"{slug}.onmicrosoft.com"
        self.admin_upn = f"admin@{self.domain}"
        self._spec: dict[str, Any] = {
            "tenant": {"id": tenant_id or str(uuid.uuid5(uuid.NAMESPACE_DNS, self.domain)),
                       "displayName": name, "primaryDomain": self.domain},
            "now": now,
            "closingAdmin": self.admin_upn,
            "users": [{"upn": self.admin_upn, "displayName": "Closing Admin",
                       "methods": ["microsoftAuthenticatorPush"]}],
            "roles": [{"role": GA, "principal": self.admin_upn}],
            "groups": [], "applications": [], "servicePrincipals": [], "skus": [], "subscriptions": [],
            "azureSubscriptions": [], "conditionalAccess": [], "mfaProviders": [], "signupProducts": [],
            # A test tenant holds P2 without a subscription (a SKU would fail every subscription check)
            # and closegate's app holds Owner at root scope; `strict()` and `licence()` take the compat
            # answers away (closegate.emulator.compat).
            "azureRoles": [{"principal": "closegate", "role": "Owner", "scope": "/"}],
            "compat": {"assumedPlans": ["AAD_PREMIUM_P2"], "legacyCommerce": True},
        }

    def upn(self, local: str) -> str:
        return local if "@" in local else f"{local}@{self.domain}"

    def _ref(self, principal: str) -> str:
        return principal if principal.startswith(("group:", "app:")) else self.upn(principal)

    def user(self, upn: str, **fields: Any) -> ScenarioBuilder:
        """Add a member user; fields use the scenario keys (enabled, synced, mfa, methods...)."""
        self._spec["users"].append({"upn": self.upn(upn), **fields})
        return self

    def guest(self, email: str, **fields: Any) -> ScenarioBuilder:
        upn = email.replace("@", "_") + f"#EXT#@{self.domain}"
        return self.user(upn, guest=True, mail=email, **fields)

    def synced_user(self, upn: str, **fields: Any) -> ScenarioBuilder:
        return self.user(upn, synced=True, **fields)

    def users(self, members: int, *, guests: int = 0, disabled: int = 0, synced: int = 0,
              seed: int = 1) -> ScenarioBuilder:
        self._spec["population"] = {"members": members, "guests": guests, "disabled": disabled,
                                    "synced": synced, "seed": seed}
        return self

    def global_admin(self, upn: str, *, via: str = "direct", group: str = "Tenant Admins",
                     **fields: Any) -> ScenarioBuilder:
        """A GA holder: via "direct", "group" (role-assignable group) or "eligible" (PIM)."""
        upn = self.upn(upn)
        if not any(u["upn"] == upn for u in self._spec["users"]):
            self.user(upn, **fields)
        if via == "group":
            grp = next((g for g in self._spec["groups"] if g["displayName"] == group), None)
            if grp is None:
                grp = {"displayName": group, "roleAssignable": True, "members": []}
                self._spec["groups"].append(grp)
                self._spec["roles"].append({"role": GA, "principal": f"group:{group}"})
            grp["members"].append(upn)
        else:
            self._spec["roles"].append({"role": GA, "principal": upn, "eligible": via == "eligible"})
        return self

    def role(self, role: str, principal: str, *, eligible: bool = False) -> ScenarioBuilder:
        ref = principal if principal.startswith(("group:", "app:")) else self.upn(principal)
        self._spec["roles"].append({"role": role, "principal": ref, "eligible": eligible})
        return self

    def group(self, name: str, members: list[str], *, role_assignable: bool = False) -> ScenarioBuilder:
        self._spec["groups"].append({"displayName": name, "roleAssignable": role_assignable,
                                     "members": [self._ref(m) for m in members]})
        return self

    def application(self, name: str, app_id: str | None = None, *, owners: tuple[str, ...] = ()) -> ScenarioBuilder:
        """An app registration (and its service principal); owners are UPNs or "app:appId"."""
        self._spec["applications"].append({"displayName": name, **({"appId": app_id} if app_id else {}),
                                           "owners": [self._ref(o) for o in owners]})
        return self

    def service_principal(self, name: str, app_id: str, *, first_party: bool = False,
                          enabled: bool = True, global_admin: bool = False,
                          owners: tuple[str, ...] = ()) -> ScenarioBuilder:
        self._spec["servicePrincipals"].append({"displayName": name, "appId": app_id,
                                                "firstParty": first_party, "enabled": enabled,
                                                "owners": [self._ref(o) for o in owners]})
        if global_admin:
            self._spec["roles"].append({"role": GA, "principal": f"app:{app_id}"})
        return self

    def subscription(self, sku: str = "SPE_E3", *, status: str = "Enabled", licenses: int = 25,
                     trial: bool = False, next_lifecycle: str = "+65d", name: str | None = None,
                     owner_tenant_id: str | None = None, billing: str = "direct", kind: str | None = None,
                     term_start: str | None = None) -> ScenarioBuilder:
        """A Microsoft 365 subscription; catalog SKUs (closegate.emulator.licensing) get their real ids
        and plans, other part numbers a made-up SKU with one plan."""
        if not any(k["skuPartNumber"] == sku for k in self._spec["skus"]):
            if sku in CATALOG:
                self._spec["skus"].append({"skuPartNumber": sku, "consumedUnits": 1})
            else:
                self._spec["skus"].append({"skuPartNumber": sku, "skuId": str(uuid.uuid5(uuid.NAMESPACE_OID, sku)),
                                           "servicePlans": [[str(uuid.uuid5(uuid.NAMESPACE_OID, sku + "plan")),
                                                             f"{sku}_PLAN"]], "consumedUnits": 1})
        entry: dict[str, Any] = {"sku": sku, "status": status, "licenses": licenses, "trial": trial,
                                 "nextLifecycle": next_lifecycle, "billing": billing,
                                 "name": name or f"{sku}-{len(self._spec['subscriptions'])}"}
        if owner_tenant_id:
            entry["ownerTenantId"] = owner_tenant_id
        if kind:
            entry["kind"] = kind
        if term_start:
            entry["termStart"] = term_start
        self._spec["subscriptions"].append(entry)
        return self

    def licence(self, tier: str) -> ScenarioBuilder:
        """Hold the SKUs of a licence tier (closegate.emulator.licensing.TIERS) instead of an assumed P2."""
        self._spec["licence"] = tier
        self._spec["compat"].pop("assumedPlans", None)
        return self

    def strict(self) -> ScenarioBuilder:
        """Only Microsoft's answers: no compat switch (closegate.emulator.compat)."""
        self._spec["compat"] = {}
        return self

    def azure_role(self, principal: str, role: str, scope: str = "/") -> ScenarioBuilder:
        """An Azure RBAC assignment; principal "closegate", a UPN, "group:..." or "app:..."; scope "/",
        "root" or "subscription:Name"."""
        ref = principal if principal == "closegate" or principal.startswith(("group:", "app:")) else self.upn(principal)
        self._spec["azureRoles"].append({"principal": ref, "role": role, "scope": scope})
        return self

    def without_azure_access(self) -> ScenarioBuilder:
        """No Azure role for anyone: ARM lists no subscription (graph-facts §12.2)."""
        self._spec["azureRoles"] = []
        return self

    def azure_resource(self, subscription: str, rtype: str, name: str, **fields: Any) -> ScenarioBuilder:
        self._spec.setdefault("azureResources", []).append(
            {"subscription": subscription, "type": rtype, "name": name, **fields})
        return self

    def billing_account(self, name: str, agreement_type: str, *, roles: dict[str, str] | None = None,
                        invoices: list[dict[str, Any]] | None = None) -> ScenarioBuilder:
        self._spec.setdefault("billingAccounts", []).append(
            {"name": name, "agreementType": agreement_type, "roles": dict(roles or {}),
             "invoices": list(invoices or [])})
        return self

    def first_party(self, population: str = "realistic", *, seed: int = 1) -> ScenarioBuilder:
        """Microsoft's own service principals as a real tenant holds them (closegate.emulator.first_party)."""
        self._spec["firstParty"] = {"population": population, "seed": seed}
        return self

    def azure_subscription(self, name: str, *, state: str = "Enabled", quota_id: str | None = None,
                           offer: str = "PayAsYouGo", canceled_at: str | None = None,
                           billing_account: str | None = None) -> ScenarioBuilder:
        """An Azure subscription of an offer (closegate.emulator.azure_rules.OFFERS), or an explicit quotaId."""
        entry: dict[str, Any] = {"displayName": name, "state": state, "offer": offer}
        if quota_id:
            entry["quotaId"] = quota_id
        if canceled_at:
            entry["canceledAt"] = canceled_at
        if billing_account:
            entry["billingAccount"] = billing_account
        self._spec["azureSubscriptions"].append(entry)
        return self

    def ca_policy(self, name: str, *, state: str = "enabled", controls: tuple[str, ...] = ("mfa",),
                  authentication_strength: str | None = None) -> ScenarioBuilder:
        entry: dict[str, Any] = {"displayName": name, "state": state, "controls": list(controls)}
        if authentication_strength:
            entry["authenticationStrength"] = authentication_strength
        self._spec["conditionalAccess"].append(entry)
        return self

    def sync(self, *, enabled: bool | None = True, last_sync: str = "-1h") -> ScenarioBuilder:
        self._spec["sync"] = {"enabled": enabled, "lastSyncDateTime": last_sync if enabled else None}
        return self

    def security_defaults(self, enabled: bool = True) -> ScenarioBuilder:
        self._spec["securityDefaults"] = enabled
        return self

    def concealed_report_names(self, concealed: bool = True) -> ScenarioBuilder:
        self._spec["reportSettings"] = {"displayConcealedNames": concealed}
        return self

    def mfa_provider(self, name: str) -> ScenarioBuilder:
        self._spec["mfaProviders"].append(name)
        return self

    def signup_product(self, name: str) -> ScenarioBuilder:
        self._spec["signupProducts"].append(name)
        return self

    def partner(self, partner_type: str = "resellerPartnerDelegatedAdmin") -> ScenarioBuilder:
        self._spec["tenant"]["partnerTenantType"] = partner_type
        return self

    def b2c(self, **collections: list[dict[str, Any]]) -> ScenarioBuilder:
        self._spec["tenant"]["tenantType"] = "AAD B2C"
        self._spec["b2c"] = collections
        return self

    def site(self, url: str, owner: str, *, storage_bytes: int, files: int = 10) -> ScenarioBuilder:
        self._spec.setdefault("sites", []).append({"url": url, "owner": self.upn(owner),
                                                   "storageBytes": storage_bytes, "files": files})
        return self

    def build(self) -> dict[str, Any]:
        return copy.deepcopy(self._spec)
