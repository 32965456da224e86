"""Graph payloads of the records, holds and devices endpoints read into closegate.facts_records values.

The same functions read what a backup recorded (closegate.backup.recorded), so a hold reads the same
whether Graph answered now or the backup kept Graph's answer from before the licence lapsed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from closegate.facts_records import (
    AutopilotDevice,
    BitLockerKeyInfo,
    Custodian,
    Device,
    EdiscoveryCase,
    HoldPolicy,
    ManagedDevice,
    RetentionEvent,
    RetentionLabel,
)
from closegate.tenant_parse import as_bool, as_datetime, as_str

__all__ = [
    "autopilot_device", "bitlocker_key", "custodian", "device", "ediscovery_case", "held_site", "held_user",
    "hold_policy", "managed_device", "retention_event", "retention_label",
]


def held_user(row: Mapping[str, Any]) -> str:
    """A userSource: the mailbox (and OneDrive) of one person, named by email address."""
    return as_str(row, "email", "held user source", "") or as_str(row, "displayName", "held user source", "")


def held_site(row: Mapping[str, Any]) -> str:
    """A siteSource: its URL comes with $expand=site; without it only the display name is known."""
    site = row.get("site")
    url = site.get("webUrl") if isinstance(site, dict) else None
    if isinstance(url, str):
        return url
    return as_str(row, "displayName", "held site source", "") or as_str(row, "id", "held site source")


def hold_policy(row: Mapping[str, Any], users: Iterable[Mapping[str, Any]],
                sites: Iterable[Mapping[str, Any]]) -> HoldPolicy:
    return HoldPolicy(
        id=as_str(row, "id", "legal hold"), display_name=as_str(row, "displayName", "legal hold", ""),
        # fail closed: a hold whose isEnabled is missing is treated as holding
        enabled=as_bool(row, "isEnabled", "legal hold", True), status=as_str(row, "status", "legal hold", ""),
        users=tuple(held_user(u) for u in users), sites=tuple(held_site(s) for s in sites),
        created=as_datetime(row, "createdDateTime", "legal hold"))


def custodian(row: Mapping[str, Any]) -> Custodian:
    return Custodian(
        id=as_str(row, "id", "custodian"), display_name=as_str(row, "displayName", "custodian", ""),
        email=as_str(row, "email", "custodian", ""), status=as_str(row, "status", "custodian", ""),
        hold_status=as_str(row, "holdStatus", "custodian", ""),
        released=as_datetime(row, "releasedDateTime", "custodian"))


def ediscovery_case(row: Mapping[str, Any], holds: Iterable[HoldPolicy],
                    custodians: Iterable[Custodian]) -> EdiscoveryCase:
    return EdiscoveryCase(
        id=as_str(row, "id", "eDiscovery case"), display_name=as_str(row, "displayName", "eDiscovery case", ""),
        status=as_str(row, "status", "eDiscovery case", ""),
        external_id=as_str(row, "externalId", "eDiscovery case", ""),
        created=as_datetime(row, "createdDateTime", "eDiscovery case"),
        closed=as_datetime(row, "closedDateTime", "eDiscovery case"),
        holds=tuple(holds), custodians=tuple(custodians))


def retention_label(row: Mapping[str, Any]) -> RetentionLabel:
    duration = row.get("retentionDuration")
    days = duration.get("days") if isinstance(duration, dict) else None
    forever = isinstance(duration, dict) and str(duration.get("@odata.type", "")).endswith("retentionDurationForever")
    event_type = row.get("retentionEventType")
    return RetentionLabel(
        id=as_str(row, "id", "retention label"), display_name=as_str(row, "displayName", "retention label", ""),
        days=None if forever or not isinstance(days, int) else days,
        behavior=as_str(row, "behaviorDuringRetentionPeriod", "retention label", ""),
        action=as_str(row, "actionAfterRetentionPeriod", "retention label", ""),
        trigger=as_str(row, "retentionTrigger", "retention label", ""),
        event_type=str(event_type.get("displayName") or "") if isinstance(event_type, dict) else "",
        in_use=bool(row.get("isInUse")))


def retention_event(row: Mapping[str, Any]) -> RetentionEvent:
    event_type = row.get("retentionEventType")
    status = row.get("eventStatus")
    return RetentionEvent(
        id=as_str(row, "id", "retention event"), display_name=as_str(row, "displayName", "retention event", ""),
        event_type=str(event_type.get("displayName") or "") if isinstance(event_type, dict) else "",
        triggered=as_datetime(row, "eventTriggerDateTime", "retention event"),
        status=str(status.get("status") or "") if isinstance(status, dict) else "")


def device(row: Mapping[str, Any]) -> Device:
    return Device(
        id=as_str(row, "id", "device"), device_id=as_str(row, "deviceId", "device", ""),
        display_name=as_str(row, "displayName", "device", ""), trust_type=as_str(row, "trustType", "device", ""),
        operating_system=as_str(row, "operatingSystem", "device", ""),
        registered=as_datetime(row, "registrationDateTime", "device"),
        last_sign_in=as_datetime(row, "approximateLastSignInDateTime", "device"),
        synced=bool(row.get("onPremisesSyncEnabled")))


def managed_device(row: Mapping[str, Any]) -> ManagedDevice:
    return ManagedDevice(
        id=as_str(row, "id", "managed device"), device_name=as_str(row, "deviceName", "managed device", ""),
        operating_system=as_str(row, "operatingSystem", "managed device", ""),
        serial_number=as_str(row, "serialNumber", "managed device", ""),
        owner_type=as_str(row, "managedDeviceOwnerType", "managed device", "unknown"),
        azure_ad_device_id=row.get("azureADDeviceId") or None,
        user_principal_name=row.get("userPrincipalName") or None)


# An all-zero GUID names no object. Whether Intune sends it or null for "not enrolled" is not
# documented (the list sample shows placeholder text), so both read as "none".
_NO_ID = "00000000-0000-0000-0000-000000000000"


def _id_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value and value != _NO_ID else None


def autopilot_device(row: Mapping[str, Any]) -> AutopilotDevice:
    return AutopilotDevice(
        id=as_str(row, "id", "Autopilot device"), serial_number=as_str(row, "serialNumber", "Autopilot device", ""),
        manufacturer=as_str(row, "manufacturer", "Autopilot device", ""),
        model=as_str(row, "model", "Autopilot device", ""), group_tag=as_str(row, "groupTag", "Autopilot device", ""),
        enrollment_state=as_str(row, "enrollmentState", "Autopilot device", ""),
        managed_device_id=_id_or_none(row.get("managedDeviceId")),
        azure_ad_device_id=_id_or_none(row.get("azureActiveDirectoryDeviceId")))


def bitlocker_key(row: Mapping[str, Any]) -> BitLockerKeyInfo:
    return BitLockerKeyInfo(
        id=as_str(row, "id", "BitLocker recovery key"), device_id=as_str(row, "deviceId", "BitLocker recovery key", ""),
        created=as_datetime(row, "createdDateTime", "BitLocker recovery key"),
        volume_type=str(row.get("volumeType") or ""))
