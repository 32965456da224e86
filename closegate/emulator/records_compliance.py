"""What a closure destroys beyond users and subscriptions: eDiscovery cases and their holds,
retention labels and event-based retention, the audit and sign-in logs, shared mailboxes, devices
and the multitenant organization the tenant belongs to.

`RecordsData` is the one object `TenantState.records` holds for all of it, so the directory's own
rows (`records`) stay as they were. Time-based states (a tenant leaving its multitenant
organization, an Autopilot deregistration) are stored as the time they were requested and read
against the simulated clock, so no tick rule is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from closegate.emulator.records_devices import (
    AutopilotRecord,
    BitLockerKeyRecord,
    DeviceRecord,
    ManagedDeviceRecord,
)

__all__ = ["AuditRecord", "CaseRecord", "CustodianRecord", "HoldPolicyRecord", "MTO_LEAVE",
           "MtoMemberRecord", "MtoRecord", "RecordsData", "RetentionEventRecord",
           "RetentionEventTypeRecord", "RetentionLabelRecord", "SignInRecord", "SourceRecord"]

# graph-facts §12.7, learn: graph/api/multitenantorganization-delete-tenants: "To allow for
# asynchronous processing, you must wait for up to 2 hours before removal of a tenant is
# completed." The emulator always takes the full two hours (the worse case for a closure plan).
MTO_LEAVE = timedelta(hours=2)


@dataclass(slots=True, eq=False)
class SourceRecord:
    """A userSource (mailbox and/or OneDrive) or siteSource held by a custodian or hold policy."""

    id: str
    kind: str  # "user" | "site"
    display_name: str
    created: datetime
    hold_status: str = "applied"  # dataSourceHoldStatus (CSDL)
    email: str | None = None  # userSource
    site_url: str | None = None  # siteSource (the site's webUrl) or the user's OneDrive
    included: str = "mailbox,site"  # userSource.includedSources (sourceType flags)


@dataclass(slots=True, eq=False)
class CustodianRecord:
    """learn: graph/api/resources/security-ediscoverycustodian."""

    id: str
    display_name: str
    email: str
    created: datetime
    status: str = "active"  # dataSourceContainerStatus: active | released
    hold_status: str = "applied"
    released_at: datetime | None = None
    user_sources: list[SourceRecord] = field(default_factory=list)
    site_sources: list[SourceRecord] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class HoldPolicyRecord:
    """A legal hold (learn: graph/api/resources/security-ediscoveryholdpolicy, beta in the metadata)."""

    id: str
    display_name: str
    created: datetime
    created_by: str  # display name of the user who created it
    is_enabled: bool = True
    status: str = "success"  # policyStatus: pending | error | success
    content_query: str = ""
    description: str | None = None
    errors: tuple[str, ...] = ()
    user_sources: list[SourceRecord] = field(default_factory=list)
    site_sources: list[SourceRecord] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class CaseRecord:
    """An eDiscovery (Premium) case (learn: graph/api/resources/security-ediscoverycase)."""

    id: str
    display_name: str
    created: datetime
    created_by: str
    status: str = "active"  # caseStatus (CSDL)
    description: str = ""
    external_id: str = ""
    closed_at: datetime | None = None
    closed_by: str | None = None
    member_ids: tuple[str, ...] = ()  # users who may see the case as eDiscovery Managers
    custodians: list[CustodianRecord] = field(default_factory=list)
    holds: list[HoldPolicyRecord] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class RetentionEventTypeRecord:
    id: str
    display_name: str
    created: datetime
    description: str = ""


@dataclass(slots=True, eq=False)
class RetentionLabelRecord:
    """learn: graph/api/resources/security-retentionlabel."""

    id: str
    display_name: str
    created: datetime
    behavior: str = "retain"  # behaviorDuringRetentionPeriod (CSDL)
    action: str = "delete"  # actionAfterRetentionPeriod (CSDL)
    trigger: str = "dateCreated"  # retentionTrigger: dateOfEvent for event-based retention
    days: int | None = 2555  # None: retained forever (retentionDurationForever)
    is_in_use: bool = True
    event_type_id: str | None = None
    description_for_admins: str = ""


@dataclass(slots=True, eq=False)
class RetentionEventRecord:
    """learn: graph/api/resources/security-retentionevent."""

    id: str
    display_name: str
    created: datetime
    event_type_id: str
    triggered: datetime
    status: str = "success"  # retentionEventStatus (CSDL)


@dataclass(slots=True, eq=False)
class AuditRecord:
    """A directoryAudit entry (learn: graph/api/resources/directoryaudit)."""

    id: str
    at: datetime
    activity: str
    category: str
    service: str = "Core Directory"
    result: str = "success"
    operation_type: str = "Update"
    initiator_user: tuple[str, str | None, str | None] | None = None  # (id, displayName, userPrincipalName)
    initiator_app: tuple[str, str | None, str | None] | None = None  # (appId, displayName, servicePrincipalId)
    targets: tuple[tuple[str, str, str], ...] = ()  # (id, displayName, type)
    details: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True, eq=False)
class SignInRecord:
    """An interactive user sign-in (learn: graph/api/resources/signin)."""

    id: str
    at: datetime
    user_id: str
    user_principal_name: str
    user_display_name: str
    app_id: str
    app_display_name: str
    ip_address: str
    error_code: int = 0
    failure_reason: str | None = None
    client_app: str = "Browser"
    operating_system: str = "Windows 10"


@dataclass(slots=True, eq=False)
class MtoMemberRecord:
    """A tenant of a multitenant organization (learn: graph/api/resources/multitenantorganizationmember)."""

    tenant_id: str
    display_name: str
    role: str  # owner | member
    added: datetime
    added_by: str
    state: str = "active"  # pending | active; "removed" is derived from removal_requested_at
    joined: datetime | None = None
    removal_requested_at: datetime | None = None

    def removed(self, now: datetime) -> bool:
        """The removal was asked for and its two hours are over: the tenant is no longer listed."""
        requested = self.removal_requested_at
        return requested is not None and now >= requested + MTO_LEAVE

    def leaving(self, now: datetime) -> bool:
        return self.removal_requested_at is not None and not self.removed(now)


@dataclass(slots=True, eq=False)
class MtoRecord:
    id: str
    display_name: str
    created: datetime
    description: str = ""
    members: list[MtoMemberRecord] = field(default_factory=list)


@dataclass(slots=True)
class RecordsData:
    """Everything above for one tenant; empty by default (a scenario without these sections)."""

    cases: list[CaseRecord] = field(default_factory=list)
    ediscovery_administrators: set[str] = field(default_factory=set)  # user ids who see every case
    retention_labels: list[RetentionLabelRecord] = field(default_factory=list)
    retention_event_types: list[RetentionEventTypeRecord] = field(default_factory=list)
    retention_events: list[RetentionEventRecord] = field(default_factory=list)
    devices: list[DeviceRecord] = field(default_factory=list)
    managed_devices: list[ManagedDeviceRecord] = field(default_factory=list)
    autopilot: list[AutopilotRecord] = field(default_factory=list)
    bitlocker_keys: list[BitLockerKeyRecord] = field(default_factory=list)
    audits: list[AuditRecord] = field(default_factory=list)  # oldest first
    sign_ins: list[SignInRecord] = field(default_factory=list)  # oldest first
    mailbox_purposes: dict[str, str] = field(default_factory=dict)  # user id -> userPurpose
    mto: MtoRecord | None = None

    def release_hold(self, hold_id: str) -> HoldPolicyRecord:
        """What a legal team does in the Purview portal: turn a legal hold off, freeing its sources.

        closegate never releases a hold itself; tests and the demo use this through the operator
        surface to play the legal team.
        """
        for case in self.cases:
            for hold in case.holds:
                if hold.id == hold_id:
                    hold.is_enabled = False
                    for source in (*hold.user_sources, *hold.site_sources):
                        source.hold_status = "notApplied"
                    return hold
        raise LookupError(f"no legal hold {hold_id!r}")
