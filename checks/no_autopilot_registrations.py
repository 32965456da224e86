"""CG-022: no Windows Autopilot registration outlives the tenant.

Microsoft: "Whenever a device permanently leaves an organization, the device should always be
deregistered from Autopilot" (MicrosoftDocs/memdocs autopilot/includes/deregister-autopilot-device.md
@028b8796); a registration left behind outlives the tenant and the device then fails enrolment in
any other tenant with error 808 ZtdDeviceAssignedToOtherTenant (graph-facts §12.7). Blocking: once the
tenant is gone nobody can deregister it here. Autopilot is read through Intune's Graph API, which
answers only while an Intune licence is in force; when it refuses for the licence (after the
subscriptions are cancelled) the check is ATTEST, with where to look.

Fixed by `delete_autopilot_managed_devices` then `deregister_autopilot_devices`: Microsoft's order is
to delete the device from Intune first, then deregister it, and the deregistration "might take some
time" (the identity stays listed until it completes, so an audit right after still sees it).
"""

from __future__ import annotations

from closegate.facts import AUTOPILOT_DEVICES, MANAGED_DEVICES, SUBSCRIBED_SKUS, TenantReader
from closegate.models import Outcome, Severity, Step, attest, bounded, failed, passed
from closegate.registry import check
from closegate.remediation.actions import EffectName, Kind, Reversibility, Scope, Target, action

__all__ = ["WHERE", "delete_autopilot_managed_devices", "deregister_autopilot_devices", "no_autopilot_registrations"]

# memdocs deregister-autopilot-device.md: Intune admin center > Devices > Windows > Windows enrollment >
# Devices, or Microsoft 365 admin center > Devices > Autopilot.
WHERE = ("Microsoft Intune admin center > Devices > Windows > Windows enrollment > Devices (Windows Autopilot "
         "Deployment Program), or Microsoft 365 admin center > Devices > Autopilot")


@check(
    id="CG-022",
    title="No Windows Autopilot registration outlives the tenant",
    severity=Severity.HIGH,
    blocking=True,
    step=Step.BACKUP,
    records=True,
    attestable=True,
    reads=(AUTOPILOT_DEVICES, SUBSCRIBED_SKUS),
    doc_url="https://learn.microsoft.com/en-us/autopilot/registration-overview",
    why="An Autopilot registration outlives the tenant: the device then fails enrolment anywhere else (error 808) "
        "and nobody can deregister it once the tenant is gone.",
    fix="Actions delete_autopilot_managed_devices then deregister_autopilot_devices (before the Intune licence is "
        f"cancelled); if Graph can no longer show them, confirm in {WHERE} and `closegate attest CG-022`.",
)
def no_autopilot_registrations(tenant: TenantReader) -> Outcome:
    listing = tenant.read(AUTOPILOT_DEVICES)
    evidence: dict[str, object] = {"where_to_look": WHERE}
    if not listing.visible:
        evidence["graph_refused"] = listing.refusal
        return attest(f"Autopilot registrations cannot be read ({listing.refusal}): confirm none remains", evidence)
    rows = [{"serial_number": a.serial_number, "manufacturer": a.manufacturer, "model": a.model,
             "group_tag": a.group_tag, "enrolled_in_intune": a.managed_device_id is not None} for a in listing.items]
    evidence["registrations"] = bounded(rows, 20)[0]
    evidence["registrations_count"] = len(rows)
    if rows:
        serials = ", ".join(str(r["serial_number"]) for r in rows[:3]) + (" ..." if len(rows) > 3 else "")
        return failed(f"{len(rows)} Windows Autopilot registrations remain ({serials}); a deregistration Graph "
                      "accepted can take some minutes to disappear", evidence)
    return passed("no Windows Autopilot registration remains", evidence)


@action(
    id="delete_autopilot_managed_devices",
    title="Delete the Intune managed device of each Autopilot-registered device (Intune first, as Microsoft orders)",
    fixes="CG-022",
    kind=Kind.AUTOMATED,
    step=Step.BACKUP,
    order=60,
    reversibility=Reversibility.IRREVERSIBLE,
    requires=("CG-002",),
    permissions=("graph:DeviceManagementManagedDevices.ReadWrite.All",),
    effect=EffectName.DELETE_MANAGED_DEVICE,
    undo="the device must enrol in Intune again (it is no longer managed)",
)
def delete_autopilot_managed_devices(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    registrations = tenant.read(AUTOPILOT_DEVICES)
    managed = {m.id: m for m in tenant.read(MANAGED_DEVICES).items}
    return tuple(Target(m.id, f"{m.device_name} ({m.serial_number})", {"serial_number": m.serial_number})
                 for a in registrations.items if a.managed_device_id and (m := managed.get(a.managed_device_id)))


@action(
    id="deregister_autopilot_devices",
    title="Deregister every Windows Autopilot device (DELETE windowsAutopilotDeviceIdentities)",
    fixes="CG-022",
    kind=Kind.AUTOMATED,
    step=Step.BACKUP,
    order=61,  # after delete_autopilot_managed_devices: Intune refuses while the device is enrolled
    reversibility=Reversibility.IRREVERSIBLE,
    requires=("CG-002",),
    permissions=("graph:DeviceManagementServiceConfig.ReadWrite.All",),
    effect=EffectName.DELETE_AUTOPILOT_DEVICE,
    undo="the device's hardware hash must be registered again (by the OEM, reseller or an administrator)",
)
def deregister_autopilot_devices(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    return tuple(Target(a.id, f"{a.serial_number} ({a.manufacturer} {a.model})".strip(),
                        {"serial_number": a.serial_number}) for a in tenant.read(AUTOPILOT_DEVICES).items)
