"""The devices a tenant holds: Entra device objects, Intune managed devices, Windows Autopilot
registrations and the BitLocker recovery keys escrowed in Entra.

Rows the Graph device endpoints shape per response (graph_devices); they live in
`TenantState.records` beside the directory objects of `records`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["AUTOPILOT_DEREGISTRATION", "AutopilotRecord", "BitLockerKeyRecord", "DeviceRecord",
           "ManagedDeviceRecord"]

# Microsoft's deregistration steps (MicrosoftDocs/memdocs autopilot/includes/deregister-autopilot-device.md
# @028b8796): "The deregistration process might take some time ... Every few minutes select Refresh
# until the device is no longer present." No duration is published; the emulator keeps a deleted
# identity listed this long so a client that deletes and immediately re-reads sees it still there
# (the worse case: it must poll rather than trust the 204).
AUTOPILOT_DEREGISTRATION = timedelta(minutes=15)


@dataclass(slots=True, eq=False)
class DeviceRecord:
    """A Microsoft Entra device object (learn: graph/api/resources/device)."""

    id: str  # object id
    device_id: str  # the device's own id (deviceId), what BitLocker keys and Intune refer to
    display_name: str
    # learn: graph/api/resources/device trustType: Workplace (registered), AzureAd (Entra joined),
    # ServerAd (hybrid joined: on-premises domain joined, synced)
    trust_type: str
    operating_system: str
    operating_system_version: str
    registered: datetime
    last_sign_in: datetime | None = None
    account_enabled: bool = True
    is_managed: bool = False
    is_compliant: bool | None = None
    owner_id: str | None = None  # registered owner (a user id)
    manufacturer: str | None = None
    model: str | None = None
    deleted_at: datetime | None = None

    @property
    def synced(self) -> bool | None:
        """Hybrid-joined devices are synced from on-premises AD (learn: graph/api/resources/device)."""
        return True if self.trust_type == "ServerAd" else None


@dataclass(slots=True, eq=False)
class ManagedDeviceRecord:
    """An Intune managed device (learn: graph/api/resources/intune-devices-manageddevice)."""

    id: str
    device_name: str
    azure_ad_device_id: str | None
    operating_system: str
    os_version: str
    serial_number: str
    user_id: str | None
    user_principal_name: str | None
    user_display_name: str | None
    enrolled: datetime
    last_sync: datetime
    compliance_state: str = "compliant"  # complianceState enum (CSDL)
    owner_type: str = "company"  # managedDeviceOwnerType: company | personal
    management_agent: str = "mdm"  # managementAgentType enum (CSDL)
    is_encrypted: bool = False
    manufacturer: str | None = None
    model: str | None = None
    deleted_at: datetime | None = None


@dataclass(slots=True, eq=False)
class AutopilotRecord:
    """A Windows Autopilot device identity (learn: graph/api/resources/intune-enrollment-windowsautopilotdeviceidentity)."""

    id: str
    serial_number: str
    manufacturer: str
    model: str
    group_tag: str = ""
    enrollment_state: str = "notContacted"  # enrollmentState enum (CSDL)
    azure_ad_device_id: str | None = None  # the Entra deviceId once the device has joined
    managed_device_id: str | None = None
    user_principal_name: str | None = None
    last_contacted: datetime | None = None
    deregistration_requested_at: datetime | None = None

    def listed(self, now: datetime) -> bool:
        """Still registered: never deregistered, or the deregistration has not completed yet."""
        requested = self.deregistration_requested_at
        return requested is None or now < requested + AUTOPILOT_DEREGISTRATION


@dataclass(slots=True, eq=False)
class BitLockerKeyRecord:
    """A BitLocker recovery key escrowed in Entra (learn: graph/api/resources/bitlockerrecoverykey)."""

    id: str  # the recovery key id (BitLocker's key protector id)
    device_id: str  # deviceId of the device the key was most recently backed up from
    created: datetime
    key: str  # the 48-digit recovery password; returned only on $select=key
    volume_type: str = "operatingSystemVolume"  # volumeType enum (CSDL)
