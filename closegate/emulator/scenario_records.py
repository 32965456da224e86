"""Scenario data for what a closure destroys beyond the directory: eDiscovery cases and holds,
retention, devices, Autopilot, BitLocker keys, logs, shared mailboxes, team owners and the
multitenant organization. The sections and their keys are listed in docs/internals.md.

Ids are derived from names under the tenant id, like the rest of a scenario, so files stay
readable and loads are repeatable.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from closegate.emulator.records_compliance import (
    AuditRecord,
    CaseRecord,
    CustodianRecord,
    HoldPolicyRecord,
    MtoMemberRecord,
    MtoRecord,
    RetentionEventRecord,
    RetentionEventTypeRecord,
    RetentionLabelRecord,
    SignInRecord,
    SourceRecord,
)
from closegate.emulator.records_devices import AutopilotRecord, BitLockerKeyRecord, DeviceRecord, ManagedDeviceRecord
from closegate.emulator.state import StateError, TenantState

__all__ = ["Refs", "load_records"]


@dataclass(frozen=True)
class Refs:
    """How the scenario loader names things: ids from names, times from "+30d"/"-12h", users from UPNs."""

    oid: Callable[[str, str], str]
    when: Callable[[str | None], datetime | None]
    now: datetime


def load_records(spec: dict[str, Any], state: TenantState, refs: Refs) -> None:
    loader = _Records(spec, state, refs)
    loader.groups()
    loader.ediscovery()
    loader.retention()
    loader.devices()
    loader.logs()
    loader.mailboxes()
    loader.mto()


def recovery_password(seed: str) -> str:
    """A BitLocker recovery password's shape: eight groups of six digits (a scenario's, not a real key)."""
    digits = str(uuid.uuid5(uuid.NAMESPACE_OID, seed).int).zfill(48)[:48]
    return "-".join(digits[i:i + 6] for i in range(0, 48, 6))


class _Records:
    def __init__(self, spec: dict[str, Any], state: TenantState, refs: Refs) -> None:
        self.spec, self.state, self.refs, self.data = spec, state, refs, state.records

    def at(self, value: str | None, default: timedelta) -> datetime:
        return self.refs.when(value) or self.refs.now - default

    def user(self, upn: str) -> Any:
        rec = self.state.user_record(upn)
        if rec is None:
            raise StateError(f"scenario refers to unknown user {upn!r}")
        return rec

    def groups(self) -> None:
        for g in self.spec.get("groups", []):
            rec = self.state.groups[self.refs.oid("group", g["displayName"])]
            rec.owner_ids = [self.user(upn).id for upn in g.get("owners", [])]
            if g.get("team"):
                rec.provisioning_options = ("Team",)

    def source(self, kind: str, ref: str, created: datetime, hold: str) -> SourceRecord:
        if kind == "user":
            user = self.user(ref)
            return SourceRecord(self.refs.oid("usersource", f"{created.isoformat()}:{ref}"), "user",
                                user.display_name, created, hold, email=user.mail or user.user_principal_name)
        name = ref.rstrip("/").rsplit("/", 1)[-1]
        return SourceRecord(self.refs.oid("sitesource", f"{created.isoformat()}:{ref}"), "site", name, created,
                            hold, site_url=ref)

    def ediscovery(self) -> None:
        section = self.spec.get("ediscovery", {})
        self.data.ediscovery_administrators = {self.user(u).id for u in section.get("administrators", [])}
        for c in section.get("cases", []):
            created = self.at(c.get("created"), timedelta(days=200))
            case = CaseRecord(self.refs.oid("case", c["displayName"]), c["displayName"], created,
                              self.user(c["createdBy"]).display_name, status=c.get("status", "active"),
                              description=c.get("description", ""), external_id=c.get("externalId", ""),
                              closed_at=self.refs.when(c.get("closed")),
                              closed_by=self.user(c["closedBy"]).display_name if c.get("closedBy") else None,
                              member_ids=tuple(self.user(u).id for u in c.get("members", [])))
            for cu in c.get("custodians", []):
                user = self.user(cu["user"])
                released = cu.get("status") == "released"
                hold = cu.get("holdStatus", "notApplied" if released else "applied")
                custodian = CustodianRecord(self.refs.oid("custodian", f"{case.id}:{cu['user']}"), user.display_name,
                                            user.mail or user.user_principal_name, created,
                                            status="released" if released else "active", hold_status=hold,
                                            released_at=self.refs.when(cu.get("released")) if released else None)
                custodian.user_sources.append(self.source("user", cu["user"], created, hold))
                custodian.site_sources += [self.source("site", url, created, hold) for url in cu.get("sites", [])]
                case.custodians.append(custodian)
            for h in c.get("legalHolds", []):
                enabled = bool(h.get("enabled", True))
                hold = "applied" if enabled else "notApplied"
                policy = HoldPolicyRecord(self.refs.oid("hold", f"{case.id}:{h['displayName']}"), h["displayName"],
                                          created, case.created_by, is_enabled=enabled,
                                          status=h.get("status", "success"), content_query=h.get("query", ""),
                                          description=h.get("description"))
                policy.user_sources += [self.source("user", u, created, hold) for u in h.get("users", [])]
                policy.site_sources += [self.source("site", s, created, hold) for s in h.get("sites", [])]
                case.holds.append(policy)
            self.data.cases.append(case)

    def retention(self) -> None:
        section = self.spec.get("retention", {})
        types = {}
        for t in section.get("eventTypes", []):
            rec = RetentionEventTypeRecord(self.refs.oid("eventtype", t["displayName"]), t["displayName"],
                                           self.at(t.get("created"), timedelta(days=300)), t.get("description", ""))
            types[rec.display_name] = rec.id
            self.data.retention_event_types.append(rec)
        for lb in section.get("labels", []):
            event_type = types[lb["eventType"]] if lb.get("eventType") else None
            self.data.retention_labels.append(RetentionLabelRecord(
                self.refs.oid("label", lb["displayName"]), lb["displayName"],
                self.at(lb.get("created"), timedelta(days=300)), behavior=lb.get("behavior", "retain"),
                action=lb.get("action", "delete"), trigger="dateOfEvent" if event_type else lb.get("trigger", "dateCreated"),
                days=lb.get("days", 2555), is_in_use=bool(lb.get("inUse", True)), event_type_id=event_type,
                description_for_admins=lb.get("description", "")))
        for e in section.get("events", []):
            self.data.retention_events.append(RetentionEventRecord(
                self.refs.oid("retentionevent", e["displayName"]), e["displayName"],
                self.at(e.get("created"), timedelta(days=10)), types[e["eventType"]],
                self.at(e.get("triggered"), timedelta(days=10)), e.get("status", "success")))

    def devices(self) -> None:
        for d in self.spec.get("devices", []):
            name = d["displayName"]
            owner = self.user(d["owner"]) if d.get("owner") else None
            intune = d.get("intune")
            device = DeviceRecord(self.refs.oid("device", name), self.refs.oid("deviceid", name), name,
                                  d.get("trustType", "AzureAd"), d.get("os", "Windows"), d.get("osVersion", "10.0.22631"),
                                  self.at(d.get("registered"), timedelta(days=400)),
                                  self.refs.when(d.get("lastSignIn", "-1d")), bool(d.get("enabled", True)),
                                  is_managed=intune is not None,
                                  is_compliant=None if intune is None else intune.get("compliance", "compliant") == "compliant",
                                  owner_id=owner.id if owner else None, manufacturer=d.get("manufacturer"),
                                  model=d.get("model"))
            self.data.devices.append(device)
            managed = None
            if intune is not None:
                managed = ManagedDeviceRecord(
                    self.refs.oid("manageddevice", name), name, device.device_id, device.operating_system,
                    device.operating_system_version, intune.get("serial", ""), owner.id if owner else None,
                    owner.user_principal_name if owner else None, owner.display_name if owner else None,
                    device.registered, self.at(intune.get("lastSync"), timedelta(hours=6)),
                    compliance_state=intune.get("compliance", "compliant"), owner_type=intune.get("ownership", "company"),
                    is_encrypted=bool(intune.get("encrypted", False)), manufacturer=d.get("manufacturer"),
                    model=d.get("model"))
                self.data.managed_devices.append(managed)
            if d.get("autopilot"):
                self.autopilot(d["autopilot"], device, managed, owner)
            for i in range(int(d.get("bitlockerKeys", 0))):
                key_id = self.refs.oid("bitlocker", f"{name}:{i}")
                self.data.bitlocker_keys.append(BitLockerKeyRecord(
                    key_id, device.device_id, device.registered + timedelta(days=i), recovery_password(key_id),
                    "operatingSystemVolume" if i == 0 else "fixedDataVolume"))
        for a in self.spec.get("autopilot", []):
            self.autopilot(a, None, None, None)

    def autopilot(self, a: dict[str, Any], device: DeviceRecord | None, managed: ManagedDeviceRecord | None,
                  owner: Any) -> None:
        self.data.autopilot.append(AutopilotRecord(
            self.refs.oid("autopilot", a["serial"]), a["serial"], a.get("manufacturer", "Contoso Devices"),
            a.get("model", "Laptop 5"), group_tag=a.get("groupTag", ""),
            enrollment_state="enrolled" if managed else ("notContacted" if device is None else "unknown"),
            azure_ad_device_id=device.device_id if device else None, managed_device_id=managed.id if managed else None,
            user_principal_name=owner.user_principal_name if owner else None,
            last_contacted=self.refs.when(a.get("lastContacted")) or (device.last_sign_in if device else None)))

    def logs(self) -> None:
        for i, e in enumerate(self.spec.get("auditLogs", [])):
            by = e.get("by")
            user = app = None
            if by and by.startswith("app:"):
                sp = next((s for s in self.state.service_principals.values() if s.app_id == by[4:]), None)
                app = (by[4:], sp.display_name if sp else by[4:], sp.id if sp else None)
            elif by:
                rec = self.user(by)
                user = (rec.id, rec.display_name, rec.user_principal_name)
            target = e.get("target")
            found = self.state.user_record(target) if target else None
            target_id = found.id if found else self.refs.oid("user", target or "")
            targets = ((target_id, target, e.get("targetType", "User")),) if target else ()
            self.data.audits.append(AuditRecord(
                f"Directory_{self.refs.oid('audit', str(i))}", self.at(e.get("at"), timedelta(days=1)), e["activity"],
                e.get("category", "UserManagement"), service=e.get("service", "Core Directory"),
                result=e.get("result", "success"), operation_type=e.get("operationType", "Update"),
                initiator_user=user, initiator_app=app, targets=targets))
        self.data.audits.sort(key=lambda r: r.at)
        for i, s in enumerate(self.spec.get("signIns", [])):
            user = self.user(s["user"])
            self.data.sign_ins.append(SignInRecord(
                self.refs.oid("signin", str(i)), self.at(s.get("at"), timedelta(days=1)), user.id,
                user.user_principal_name, user.display_name, s.get("appId", "00000006-0000-0ff1-ce00-000000000000"),
                s.get("app", "Microsoft 365 admin center"), s.get("ip", "203.0.113.10"),
                error_code=int(s.get("errorCode", 0)), failure_reason=s.get("failureReason")))
        self.data.sign_ins.sort(key=lambda r: r.at)

    def mailboxes(self) -> None:
        for m in self.spec.get("mailboxes", []):
            self.data.mailbox_purposes[self.user(m["user"]).id] = m.get("purpose", "shared")

    def mto(self) -> None:
        section = self.spec.get("multiTenantOrganization")
        if not section:
            return
        created = self.at(section.get("created"), timedelta(days=300))
        role = section.get("role", "member")
        others = section.get("tenants", [])
        owner = next((t["tenantId"] for t in others if t.get("role") == "owner"), self.state.tenant_id)
        members = [MtoMemberRecord(self.state.tenant_id, self.state.display_name, role, created, owner,
                                   "active", created)]
        members += [MtoMemberRecord(t["tenantId"], t["displayName"], t.get("role", "member"), created, owner,
                                    t.get("state", "active"), created if t.get("state", "active") == "active" else None)
                    for t in others]
        self.data.mto = MtoRecord(self.refs.oid("mto", section["displayName"]), section["displayName"], created,
                                  section.get("description", ""), members)
