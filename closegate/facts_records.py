"""The records, holds and devices closegate reads: what closing a tenant destroys beyond users.

Kept beside closegate.facts (which declares the `Fact`s that return these) so the directory records
and the records-management ones change on their own. Several of these endpoints answer only while a
licence is in force (graph-facts §12.1, §12.7): a `Listing` says what Graph showed, or why it showed
nothing, so a check can tell "none" from "not visible" and never read a refusal as an empty tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

__all__ = [
    "AutopilotDevice",
    "BitLockerKeyInfo",
    "Custodian",
    "Device",
    "EdiscoveryCase",
    "HoldPolicy",
    "Listing",
    "ManagedDevice",
    "RecordedCases",
    "RetentionEvent",
    "RetentionLabel",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Listing(Generic[T]):
    """Objects of one kind as Graph showed them, or the documented reason Graph showed none.

    `refusal` is set only for a refusal closegate can explain (a licence the tenant no longer has, a
    caller kind the endpoint does not support); any other failure is raised and the check is ERROR.
    """

    items: tuple[T, ...] = ()
    refusal: str = ""

    @property
    def visible(self) -> bool:
        return not self.refusal


@dataclass(frozen=True)
class HoldPolicy:
    """An eDiscovery (Premium) legal hold (learn: graph/api/resources/security-ediscoveryholdpolicy)."""

    id: str
    display_name: str
    enabled: bool
    status: str  # policyStatus: pending | error | success
    users: tuple[str, ...] = ()  # mailboxes and OneDrives held, by email address
    sites: tuple[str, ...] = ()  # SharePoint sites held, by URL (or name when Graph gives no URL)
    created: datetime | None = None

    @property
    def active(self) -> bool:
        # An enabled hold whose distribution failed or is pending may still hold content somewhere:
        # only isEnabled=false releases it.
        return self.enabled


@dataclass(frozen=True)
class Custodian:
    """A person whose data a case preserves (learn: graph/api/resources/security-ediscoverycustodian)."""

    id: str
    display_name: str
    email: str
    status: str  # active | released
    hold_status: str  # dataSourceHoldStatus: notApplied | applied | applying | removing | partial
    released: datetime | None = None


@dataclass(frozen=True)
class EdiscoveryCase:
    id: str
    display_name: str
    status: str  # caseStatus: active | closed | ...
    external_id: str = ""
    created: datetime | None = None
    closed: datetime | None = None
    holds: tuple[HoldPolicy, ...] = ()
    custodians: tuple[Custodian, ...] = ()

    @property
    def active_holds(self) -> tuple[HoldPolicy, ...]:
        return tuple(h for h in self.holds if h.active)


@dataclass(frozen=True)
class RecordedCases:
    """The eDiscovery cases a verified backup of this tenant recorded, and when it read them."""

    taken: datetime
    location: str
    cases: tuple[EdiscoveryCase, ...]


@dataclass(frozen=True)
class RetentionLabel:
    """learn: graph/api/resources/security-retentionlabel."""

    id: str
    display_name: str
    days: int | None  # None: retained forever (retentionDurationForever)
    behavior: str  # behaviorDuringRetentionPeriod: doNotRetain | retain | retainAsRecord | retainAsRegulatoryRecord
    action: str  # actionAfterRetentionPeriod: none | delete | startDispositionReview | relabel
    trigger: str  # retentionTrigger: dateLabeled | dateCreated | dateModified | dateOfEvent
    event_type: str = ""  # the retention event type's name, for event-based labels
    in_use: bool = False

    @property
    def keeps_data(self) -> bool:
        return self.behavior != "doNotRetain"


@dataclass(frozen=True)
class RetentionEvent:
    """learn: graph/api/resources/security-retentionevent: an event that starts event-based retention."""

    id: str
    display_name: str
    event_type: str
    triggered: datetime | None
    status: str = ""


@dataclass(frozen=True)
class Device:
    """An Entra device object (learn: graph/api/resources/device)."""

    id: str
    device_id: str
    display_name: str
    trust_type: str  # AzureAd (Entra joined) | ServerAd (hybrid joined) | Workplace (registered)
    operating_system: str
    registered: datetime | None = None
    last_sign_in: datetime | None = None
    synced: bool = False  # hybrid-joined devices are synced from on-premises Active Directory

    @property
    def kind(self) -> str:
        return {"AzureAd": "Entra joined", "ServerAd": "hybrid joined", "Workplace": "registered"}.get(
            self.trust_type, self.trust_type or "unknown")


@dataclass(frozen=True)
class ManagedDevice:
    """An Intune managed device (learn: graph/api/resources/intune-devices-manageddevice)."""

    id: str
    device_name: str
    operating_system: str
    serial_number: str
    owner_type: str  # company | personal | unknown
    azure_ad_device_id: str | None = None
    user_principal_name: str | None = None


@dataclass(frozen=True)
class AutopilotDevice:
    """A Windows Autopilot registration.

    learn: graph/api/resources/intune-enrollment-windowsautopilotdeviceidentity
    """

    id: str
    serial_number: str
    manufacturer: str
    model: str
    group_tag: str = ""
    enrollment_state: str = ""
    managed_device_id: str | None = None  # the Intune managed device that must be deleted first
    azure_ad_device_id: str | None = None


@dataclass(frozen=True)
class BitLockerKeyInfo:
    """A BitLocker recovery key's metadata: the key itself is never part of a fact (graph-facts §12.7)."""

    id: str
    device_id: str
    created: datetime | None = None
    volume_type: str = ""
