"""CG-023: the devices bound to the tenant are accounted for, counted by kind (advisory).

Microsoft: a device is Entra joined (trustType AzureAd), hybrid joined (ServerAd, synced from
on-premises) or registered (Workplace) (learn: graph/api/resources/device), and may be managed by
Intune (learn: graph/api/resources/intune-devices-manageddevice). Their objects are deleted with the
directory and Intune stops managing them with its licence, so each one is retired, wiped, reset or
handed over while the tenant still exists. Advisory: Microsoft does not list devices among the
deletion blockers (graph-facts §6). Intune is read only while its licence is in force; when Graph
refuses for it, the evidence says so and the Entra device list stands alone.
"""

from __future__ import annotations

from collections import Counter

from closegate.facts import DEVICES, MANAGED_DEVICES, SUBSCRIBED_SKUS, TenantReader
from closegate.models import Outcome, Severity, Step, bounded, failed, passed
from closegate.registry import check

__all__ = ["devices_inventoried"]


def _counts(values: list[str]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(Counter(values).items(), key=lambda kv: (-kv[1], kv[0])))


@check(
    id="CG-023",
    title="Devices bound to the tenant are accounted for",
    severity=Severity.LOW,
    blocking=False,
    step=Step.BACKUP,
    records=True,
    reads=(DEVICES, MANAGED_DEVICES, SUBSCRIBED_SKUS),
    doc_url="https://learn.microsoft.com/en-us/graph/api/resources/device",
    why="Joined, registered and Intune-managed devices lose their directory and their management with the tenant; "
        "decide for each (retire, wipe, reset, hand over) while it exists.",
    fix="Microsoft Intune admin center > Devices: retire or wipe each managed device; reset Entra-joined devices or "
        "give them a local administrator; then remove them from Entra (Entra admin center > Devices).",
)
def devices_inventoried(tenant: TenantReader) -> Outcome:
    devices = tenant.read(DEVICES)
    managed = tenant.read(MANAGED_DEVICES)
    evidence: dict[str, object] = {
        "by_kind": dict(Counter(d.kind for d in devices)),
        "devices": bounded([{"name": d.display_name, "kind": d.kind, "os": d.operating_system,
                             "last_sign_in": d.last_sign_in} for d in devices], 20)[0],
        "devices_count": len(devices)}
    if managed.visible:
        evidence["intune_by_ownership"] = dict(Counter(m.owner_type for m in managed.items))
        evidence["intune_count"] = len(managed.items)
        intune = f"; {len(managed.items)} managed by Intune ({_counts([m.owner_type for m in managed.items])})" \
            if managed.items else "; none managed by Intune"
    else:
        evidence["intune_not_visible"] = managed.refusal
        intune = "; Intune managed devices are not visible (its licence is no longer in force)"
    if devices or managed.items:
        kinds = _counts([d.kind for d in devices]) or "none in Entra"
        return failed(f"{len(devices)} devices are bound to the tenant ({kinds}){intune}", evidence)
    return passed(f"no device is joined, registered or hybrid joined{intune}", evidence)
