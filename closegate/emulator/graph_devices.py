"""Graph devices: Entra device objects, Intune managed devices, Windows Autopilot registrations and
BitLocker recovery keys (graph-facts §12.7: keys are lost with the tenant, Autopilot registrations
outlive it and make the device fail enrolment elsewhere with error 808).

- /devices (learn: graph/api/device-list): Device.Read.All and the directory permissions.
- Intune (graph-docs-contrib api-reference/v1.0/api/intune-devices-manageddevice-list.md,
  -delete.md, intune-enrollment-windowsautopilotdeviceidentity-list.md, -delete.md): "requires an
  active Intune license for the tenant". Without one the emulator answers the way callers report
  Intune's gateway refusing (403 UnknownError wrapping ErrorCode Forbidden,
  AzureAD/microsoft-authentication-library-for-js issue #7007); the exact status is unverified.
- Autopilot deregistration (MicrosoftDocs/memdocs autopilot/includes/deregister-autopilot-device.md):
  "Before a device is deregistered from Autopilot, it first has to be deleted from Intune", and the
  deregistration "might take some time". A DELETE while the Intune record exists is refused here
  (the error body is unverified); an accepted one answers 204 and the identity stays listed for
  AUTOPILOT_DEREGISTRATION.
- BitLocker (graph-docs-contrib api-reference/v1.0/api/bitlocker-list-recoverykeys.md; learn:
  graph/api/bitlockerrecoverykey-get): the list never returns `key` and does not support $top; the
  key comes only from GET one key with $select=key, which needs BitLockerKey.Read.All
  (ReadBasic.All reads the metadata) and "triggers a Microsoft Entra audit ... under the
  KeyManagement category" (graph_logs.record_key_read). A delegated caller must own the device or
  hold one of the listed roles. User-Agent is a required header.
"""

from __future__ import annotations

from typing import Any

from closegate.emulator.clock import format_time
from closegate.emulator.graph_common import Ctx, collection, entity, no_content, select_of
from closegate.emulator.graph_logs import record_key_read
from closegate.emulator.odata import GraphFault, bad_request
from closegate.emulator.records_devices import AutopilotRecord, BitLockerKeyRecord, ManagedDeviceRecord
from closegate.emulator.service_plans import INTUNE, plan_active
from closegate.emulator.shapes import EntityShape
from closegate.emulator.wire import Response

__all__ = ["ROUTES"]

DEVICES_R = ("Device.Read.All", "Device.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
MANAGED_R = ("DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.ReadWrite.All")
MANAGED_W = ("DeviceManagementManagedDevices.ReadWrite.All",)
AUTOPILOT_R = ("DeviceManagementServiceConfig.Read.All", "DeviceManagementServiceConfig.ReadWrite.All")
AUTOPILOT_W = ("DeviceManagementServiceConfig.ReadWrite.All",)
BITLOCKER_R = ("BitLockerKey.ReadBasic.All", "BitLockerKey.Read.All")
BITLOCKER_KEY = "BitLockerKey.Read.All"
# bitlocker-list-recoverykeys.md: the roles that may read every key on a user's behalf
BITLOCKER_ROLES = frozenset({
    "62e90394-69f5-4237-9190-012177145e10",  # Global Administrator
    "7698a772-787b-4ac8-901f-60d6b08affd2",  # Cloud Device Administrator
    "729827e3-9c14-49f7-bb1b-9608f156bbb8",  # Helpdesk Administrator
    "3a2c62db-5318-420d-8d74-23affee5d9d5",  # Intune Administrator
    "194ae4cb-b126-40b2-bd5b-6091b380977d",  # Security Administrator
    "5d6b6bb7-de71-4623-b4af-96380a352509",  # Security Reader
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451",  # Global Reader
})

DEVICE = EntityShape("microsoft.graph.device", {
    "id": lambda d: d.id,
    "deviceId": lambda d: d.device_id,
    "displayName": lambda d: d.display_name,
    "trustType": lambda d: d.trust_type,
    "operatingSystem": lambda d: d.operating_system,
    "operatingSystemVersion": lambda d: d.operating_system_version,
    "accountEnabled": lambda d: d.account_enabled,
    "approximateLastSignInDateTime": lambda d: format_time(d.last_sign_in),
    "registrationDateTime": lambda d: format_time(d.registered),
    "isManaged": lambda d: d.is_managed,
    "isCompliant": lambda d: d.is_compliant,
    "manufacturer": lambda d: d.manufacturer,
    "model": lambda d: d.model,
    "onPremisesSyncEnabled": lambda d: d.synced,
    "deletedDateTime": lambda d: format_time(d.deleted_at),
})
MANAGED = EntityShape("microsoft.graph.managedDevice", {
    "id": lambda m: m.id,
    "deviceName": lambda m: m.device_name,
    "managedDeviceName": lambda m: m.device_name,
    "azureADDeviceId": lambda m: m.azure_ad_device_id,
    "azureADRegistered": lambda m: m.azure_ad_device_id is not None,
    "operatingSystem": lambda m: m.operating_system,
    "osVersion": lambda m: m.os_version,
    "serialNumber": lambda m: m.serial_number,
    "userId": lambda m: m.user_id,
    "userPrincipalName": lambda m: m.user_principal_name,
    "userDisplayName": lambda m: m.user_display_name,
    "emailAddress": lambda m: m.user_principal_name,
    "enrolledDateTime": lambda m: format_time(m.enrolled),
    "lastSyncDateTime": lambda m: format_time(m.last_sync),
    "complianceState": lambda m: m.compliance_state,
    "managedDeviceOwnerType": lambda m: m.owner_type,
    "managementAgent": lambda m: m.management_agent,
    "isEncrypted": lambda m: m.is_encrypted,
    "manufacturer": lambda m: m.manufacturer,
    "model": lambda m: m.model,
})
AUTOPILOT = EntityShape("microsoft.graph.windowsAutopilotDeviceIdentity", {
    "id": lambda a: a.id,
    "serialNumber": lambda a: a.serial_number,
    "manufacturer": lambda a: a.manufacturer,
    "model": lambda a: a.model,
    "groupTag": lambda a: a.group_tag,
    "enrollmentState": lambda a: a.enrollment_state,
    "azureActiveDirectoryDeviceId": lambda a: a.azure_ad_device_id,
    "managedDeviceId": lambda a: a.managed_device_id,
    "userPrincipalName": lambda a: a.user_principal_name,
    "lastContactedDateTime": lambda a: format_time(a.last_contacted),
    "purchaseOrderIdentifier": lambda a: "",
    "productKey": lambda a: "",
    "addressableUserName": lambda a: "",
    "resourceName": lambda a: "",
    "skuNumber": lambda a: "",
    "systemFamily": lambda a: "",
    "displayName": lambda a: "",
})
KEY = EntityShape("microsoft.graph.bitlockerRecoveryKey", {
    "id": lambda k: k.id,
    "createdDateTime": lambda k: format_time(k.created),
    "volumeType": lambda k: k.volume_type,
    "deviceId": lambda k: k.device_id,
    "key": lambda k: k.key,
}, ("id", "createdDateTime", "volumeType", "deviceId"))

_DEVICE_FILTER = {k: DEVICE.props[k] for k in ("id", "deviceId", "displayName", "trustType", "operatingSystem",
                                              "accountEnabled", "isManaged")}


def list_devices(ctx: Ctx) -> Response:
    return collection(ctx, name="devices", rows=ctx.state.records.devices, keep=lambda d: d.deleted_at is None,
                      build=DEVICE.build, shape=DEVICE, filter_props=_DEVICE_FILTER, resource_label="Device")


def _require_intune(ctx: Ctx) -> None:
    if not plan_active(ctx.state, INTUNE):
        raise GraphFault(403, "UnknownError", '{"ErrorCode":"Forbidden","Message":"{\\r\\n  \\"_version\\": 3,'
                         '\\r\\n  \\"Message\\": \\"An error has occurred - the tenant has no active Intune '
                         'license.\\"\\r\\n}","Target":null,"Details":null,"InnerError":null}')


def _managed(ctx: Ctx) -> ManagedDeviceRecord:
    found = next((m for m in ctx.state.records.managed_devices
                  if m.id == ctx.args[0] and m.deleted_at is None), None)
    if found is None:
        raise GraphFault(404, "ResourceNotFound", f"The managed device '{ctx.args[0]}' was not found.")
    return found


def list_managed(ctx: Ctx) -> Response:
    _require_intune(ctx)
    return collection(ctx, name="managedDevices", rows=ctx.state.records.managed_devices,
                      keep=lambda m: m.deleted_at is None, build=MANAGED.build, shape=MANAGED,
                      filter_props={k: MANAGED.props[k] for k in ("operatingSystem", "complianceState",
                                                                    "serialNumber", "managedDeviceOwnerType")},
                      context="deviceManagement/managedDevices")


def get_managed(ctx: Ctx) -> Response:
    _require_intune(ctx)
    return entity(ctx, "deviceManagement/managedDevices/$entity", MANAGED.build(_managed(ctx), select_of(ctx, MANAGED)))


def delete_managed(ctx: Ctx) -> Response:
    _require_intune(ctx)
    _managed(ctx).deleted_at = ctx.now
    return no_content()


def _autopilot(ctx: Ctx) -> AutopilotRecord:
    found = next((a for a in ctx.state.records.autopilot if a.id == ctx.args[0] and a.listed(ctx.now)), None)
    if found is None:
        raise GraphFault(404, "ResourceNotFound", f"The Autopilot device '{ctx.args[0]}' was not found.")
    return found


def list_autopilot(ctx: Ctx) -> Response:
    _require_intune(ctx)
    now = ctx.now
    return collection(ctx, name="windowsAutopilotDeviceIdentities", rows=ctx.state.records.autopilot,
                      keep=lambda a: a.listed(now), build=AUTOPILOT.build, shape=AUTOPILOT,
                      filter_props={k: AUTOPILOT.props[k] for k in ("serialNumber", "enrollmentState", "groupTag")},
                      context="deviceManagement/windowsAutopilotDeviceIdentities")


def get_autopilot(ctx: Ctx) -> Response:
    _require_intune(ctx)
    return entity(ctx, "deviceManagement/windowsAutopilotDeviceIdentities/$entity",
                  AUTOPILOT.build(_autopilot(ctx), select_of(ctx, AUTOPILOT)))


def delete_autopilot(ctx: Ctx) -> Response:
    _require_intune(ctx)
    identity = _autopilot(ctx)
    enrolled = identity.managed_device_id and any(
        m.id == identity.managed_device_id and m.deleted_at is None for m in ctx.state.records.managed_devices)
    if enrolled:
        raise bad_request(f"The device {identity.serial_number} is still enrolled in Intune (managed device "
                          f"{identity.managed_device_id}): delete the managed device before deregistering it.",
                          "BadRequest")
    if identity.deregistration_requested_at is None:
        identity.deregistration_requested_at = ctx.now
    return no_content()


def _require_user_agent(ctx: Ctx) -> None:
    if not ctx.req.header("user-agent"):
        raise bad_request("The User-Agent header is required.", "BadRequest")


def _readable_keys(ctx: Ctx) -> list[BitLockerKeyRecord]:
    """Every key for an app or a privileged role; a delegated user otherwise sees their own devices'."""
    keys = ctx.state.records.bitlocker_keys
    if ctx.principal.kind != "user" or ctx.principal.wids & BITLOCKER_ROLES:
        return list(keys)
    owned = {d.device_id for d in ctx.state.records.devices if d.owner_id == ctx.principal.oid}
    return [k for k in keys if k.device_id in owned]


def list_keys(ctx: Ctx) -> Response:
    _require_user_agent(ctx)
    if ctx.query.top is not None:
        raise GraphFault(400, "Request_UnsupportedQuery", "$top is not supported on recoveryKeys.")
    select = select_of(ctx, KEY)
    listed = tuple(n for n in select if n != "key") if select else None  # the list never returns key
    return collection(ctx, name="recoveryKeys", rows=_readable_keys(ctx), keep=lambda k: True,
                      build=lambda k, _s: KEY.build(k, listed), shape=KEY,
                      filter_props={"deviceId": KEY.props["deviceId"]},
                      context="informationProtection/bitlocker/recoveryKeys")


def get_key(ctx: Ctx) -> Response:
    _require_user_agent(ctx)
    found = next((k for k in ctx.state.records.bitlocker_keys if k.id == ctx.args[0]), None)
    if found is None:
        raise GraphFault(404, "Request_ResourceNotFound", f"Resource '{ctx.args[0]}' does not exist.")
    if found not in _readable_keys(ctx):
        raise GraphFault(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    select = select_of(ctx, KEY)
    if select and "key" in select:
        if BITLOCKER_KEY not in ctx.principal.permissions:
            raise GraphFault(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        record_key_read(ctx, found)
    return entity(ctx, "informationProtection/bitlocker/recoveryKeys/$entity", KEY.build(found, select))


_GUID = r"([0-9a-fA-F-]{36})"
_KEY_ID = r"([^/()]+)"
ROUTES: tuple[tuple[str, str, Any, tuple[str, ...], dict[str, Any]], ...] = (
    ("GET", "devices", list_devices, DEVICES_R, {}),
    ("GET", "deviceManagement/managedDevices", list_managed, MANAGED_R, {}),
    ("GET", rf"deviceManagement/managedDevices/{_GUID}", get_managed, MANAGED_R, {}),
    ("DELETE", rf"deviceManagement/managedDevices/{_GUID}", delete_managed, MANAGED_W, {}),
    ("GET", "deviceManagement/windowsAutopilotDeviceIdentities", list_autopilot, AUTOPILOT_R, {}),
    ("GET", rf"deviceManagement/windowsAutopilotDeviceIdentities/{_GUID}", get_autopilot, AUTOPILOT_R, {}),
    ("DELETE", rf"deviceManagement/windowsAutopilotDeviceIdentities/{_GUID}", delete_autopilot, AUTOPILOT_W, {}),
    ("GET", "informationProtection/bitlocker/recoveryKeys", list_keys, BITLOCKER_R, {}),
    ("GET", rf"informationProtection/bitlocker/recoveryKeys/{_KEY_ID}", get_key, BITLOCKER_R, {}),
)
