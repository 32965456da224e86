"""ScenarioBuilder's methods for the records sections of a scenario (scenario_records): holds,
retention, devices, logs, shared mailboxes, teams and the multitenant organization.

Kept apart from builder.py so the directory and commerce builders change on their own; every
method writes the same keys scenarios/*.json use.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

__all__ = ["RecordsBuilder"]


class RecordsBuilder:
    """Mixed into ScenarioBuilder, which provides these three."""

    _spec: dict[str, Any]
    upn: Callable[[str], str]
    subscription: Callable[..., Any]

    def _case(self, name: str) -> dict[str, Any]:
        cases = self._spec.setdefault("ediscovery", {}).setdefault("cases", [])
        found = next((c for c in cases if c["displayName"] == name), None)
        if found is None:
            found = {"displayName": name, "createdBy": self.upn("admin"), "members": [], "custodians": [],
                     "legalHolds": []}
            cases.append(found)
        return found

    def ediscovery_case(self, name: str, *, status: str = "active", members: tuple[str, ...] = ()) -> Any:
        case = self._case(name)
        case["status"] = status
        case["members"] += [self.upn(m) for m in members]
        return self

    def ediscovery_admin(self, upn: str) -> Any:
        self._spec.setdefault("ediscovery", {}).setdefault("administrators", []).append(self.upn(upn))
        return self

    def custodian(self, case: str, upn: str, *, released: bool = False, sites: tuple[str, ...] = ()) -> Any:
        self._case(case)["custodians"].append({"user": self.upn(upn), "sites": list(sites),
                                               **({"status": "released", "released": "-1d"} if released else {})})
        return self

    def legal_hold(self, case: str, name: str, *, users: tuple[str, ...] = (), sites: tuple[str, ...] = (),
                   enabled: bool = True) -> Any:
        self._case(case)["legalHolds"].append({"displayName": name, "enabled": enabled,
                                               "users": [self.upn(u) for u in users], "sites": list(sites)})
        return self

    def licensed(self, *plans: str, sku: str = "SPE_E5", status: str = "Enabled") -> Any:
        """A subscription whose SKU carries these service plans (AAD_PREMIUM, INTUNE_A, EQUIVIO_ANALYTICS)."""
        self.subscription(sku, status=status)
        entry = next(k for k in self._spec["skus"] if k["skuPartNumber"] == sku)
        # exactly these plans, even for a catalog SKU (whose entry would otherwise take the catalog's plans)
        entry.setdefault("servicePlans", [])
        entry["servicePlans"] += [[str(uuid.uuid5(uuid.NAMESPACE_OID, p)), p] for p in plans]
        return self

    def retention_label(self, name: str, *, days: int | None = 2555, event_type: str | None = None) -> Any:
        section = self._spec.setdefault("retention", {})
        if event_type and not any(t["displayName"] == event_type for t in section.get("eventTypes", [])):
            section.setdefault("eventTypes", []).append({"displayName": event_type})
        section.setdefault("labels", []).append({"displayName": name, "days": days,
                                                 **({"eventType": event_type} if event_type else {})})
        return self

    def device(self, name: str, trust_type: str = "AzureAd", *, owner: str | None = None, os: str = "Windows",
               intune: bool = False, autopilot_serial: str | None = None, bitlocker_keys: int = 0) -> Any:
        entry: dict[str, Any] = {"displayName": name, "trustType": trust_type, "os": os,
                                 "bitlockerKeys": bitlocker_keys}
        if owner:
            entry["owner"] = self.upn(owner)
        if intune:
            entry["intune"] = {"serial": autopilot_serial or f"SN-{name}"}
        if autopilot_serial:
            entry["autopilot"] = {"serial": autopilot_serial}
        self._spec.setdefault("devices", []).append(entry)
        return self

    def autopilot(self, serial: str) -> Any:
        self._spec.setdefault("autopilot", []).append({"serial": serial})
        return self

    def audit(self, activity: str, at: str, *, by: str | None = None, category: str = "UserManagement") -> Any:
        self._spec.setdefault("auditLogs", []).append({"activity": activity, "at": at, "category": category,
                                                       **({"by": self.upn(by)} if by else {})})
        return self

    def sign_in(self, user: str, at: str, *, app: str = "Microsoft 365 admin center", error_code: int = 0) -> Any:
        self._spec.setdefault("signIns", []).append({"user": self.upn(user), "at": at, "app": app,
                                                     "errorCode": error_code})
        return self

    def mailbox(self, user: str, purpose: str = "shared") -> Any:
        self._spec.setdefault("mailboxes", []).append({"user": self.upn(user), "purpose": purpose})
        return self

    def team(self, name: str, *, owners: tuple[str, ...] = (), members: tuple[str, ...] = (),
             team: bool = True, synced: bool = False) -> Any:
        """A Microsoft 365 group (mail-enabled, Unified), with a team unless team=False."""
        self._spec["groups"].append({"displayName": name, "mailEnabled": True, "team": team, "synced": synced,
                                     "owners": [self.upn(o) for o in owners],
                                     "members": [self.upn(m) for m in members]})
        return self

    def multitenant_org(self, name: str = "Contoso Group", *, role: str = "member",
                        tenants: tuple[tuple[str, str, str], ...] = ()) -> Any:
        """This tenant in a multitenant organization with other tenants (tenantId, displayName, role)."""
        self._spec["multiTenantOrganization"] = {
            "displayName": name, "role": role,
            "tenants": [{"tenantId": t, "displayName": n, "role": r} for t, n, r in tenants]}
        return self
