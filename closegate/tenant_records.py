"""The facade's readers for records, holds and devices (closegate.facts_records), mixed into Tenant.

Several of these endpoints answer only while the tenant holds a licence (graph-facts §12.1, §12.7),
and a closure cancels every subscription before its final audit. A 403 is read as a licence refusal
only when the tenant's subscribed SKUs confirm that no plan in force carries the licence; otherwise
it is raised like any other refusal (the check is ERROR). A refusal becomes a `Listing` naming it,
so the check states what Graph did not show and why, instead of reading it as "none".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from closegate import facts as f
from closegate import tenant_parse_records as parse
from closegate.backup.recorded import recorded_cases
from closegate.errors import PermissionDenied
from closegate.facts_records import (
    AutopilotDevice,
    BitLockerKeyInfo,
    Device,
    EdiscoveryCase,
    Listing,
    ManagedDevice,
    RecordedCases,
    RetentionEvent,
    RetentionLabel,
)
from closegate.graph import GraphClient, run_concurrently
from closegate.tenant_marks import reads

__all__ = ["RecordsReaders"]

T = TypeVar("T")
_CASES = "/security/cases/ediscoveryCases"
# learn: graph/api/resources/security-ediscovery-apioverview: "App-only authentication and premium
# operations require E5 or an equivalent add-on subscription."
_EDISCOVERY_NEEDS = "app-only eDiscovery access needs eDiscovery (Premium) (E5 or E5 Compliance)"
# Every Intune API page: "The Microsoft Graph API for Intune requires an active Intune license for the
# tenant" (graph-docs-contrib api-reference/v1.0/api/intune-devices-manageddevice-list.md).
_INTUNE_NEEDS = "the Intune API needs an active Intune licence"


class RecordsReaders:
    """Readers of Tenant (closegate.tenant); they use its Graph client, cache and backup settings."""

    graph: GraphClient
    workers: int
    backup_dir: Path | None
    read: Callable[..., Any]
    _list: Callable[..., list[dict[str, Any]]]

    def _licence_refusal(self, exc: PermissionDenied, plans: frozenset[str], needs: str) -> str:
        """Why Graph refused, when no usable SKU carries `plans`; re-raises any other refusal."""
        skus = self.read(f.SUBSCRIBED_SKUS)
        if any(s.usable and plans & set(s.service_plans) for s in skus):
            raise exc
        return (f"Graph answered {exc.status} {exc.code}".rstrip() + f": {needs}, and no subscription in force "
                f"carries the service plan {' or '.join(sorted(plans))}")

    def _listing(self, rows: Callable[[], Iterable[T]], plans: frozenset[str], needs: str) -> Listing[T]:
        try:
            return Listing(tuple(rows()))
        except PermissionDenied as exc:
            return Listing(refusal=self._licence_refusal(exc, plans, needs))

    # -- eDiscovery ---------------------------------------------------------------------------

    @reads(f.EDISCOVERY_CASES)
    def _ediscovery_cases(self) -> Listing[EdiscoveryCase]:
        try:
            rows = self._list(f"/v1.0{_CASES}", "id,displayName,status,externalId,createdDateTime,closedDateTime")
        except PermissionDenied as exc:
            if self.read(f.CALLER).kind != "app":
                raise  # a delegated caller without a role is answered with an empty list, not a 403
            return Listing(refusal=self._licence_refusal(exc, f.EDISCOVERY_PREMIUM_PLANS, _EDISCOVERY_NEEDS))
        return Listing(tuple(run_concurrently(self._case, rows, self.workers)))

    def _case(self, row: dict[str, Any]) -> EdiscoveryCase:
        case_id = str(row.get("id") or "")
        base = f"{_CASES}/{case_id}"
        # Legal holds (ediscoveryHoldPolicy) exist only in Graph's beta metadata; custodians in v1.0.
        holds = self._list(f"/beta{base}/legalHolds", "id,displayName,isEnabled,status,createdDateTime")
        custodians = self._list(f"/v1.0{base}/custodians", "id,displayName,email,status,holdStatus,releasedDateTime")
        policies = [parse.hold_policy(h, self._list(f"/beta{base}/legalHolds/{h.get('id')}/userSources", "id,email"),
                                      # $expand=site carries the held site's URL (security-sitesource)
                                      self.graph.get_all(f"/beta{base}/legalHolds/{h.get('id')}/siteSources",
                                                         params={"$expand": "site"}))
                    for h in holds]
        return parse.ediscovery_case(row, policies, (parse.custodian(c) for c in custodians))

    @reads(f.RECORDED_CASES)
    def _recorded_cases(self) -> RecordedCases | None:
        if self.backup_dir is None:
            return None
        return recorded_cases(self.backup_dir, self.read(f.ORGANIZATION).id)

    # -- retention ----------------------------------------------------------------------------

    @reads(f.RETENTION_LABELS)
    def _retention_labels(self) -> Listing[RetentionLabel]:
        try:
            rows = self.graph.get_all("/v1.0/security/labels/retentionLabels", params={"$expand": "retentionEventType"})
        except PermissionDenied as exc:
            if self.read(f.CALLER).kind != "app":
                raise
            # learn: graph/api/security-labelsroot-list-retentionlabel, permissions: "Application: Not
            # supported" (some tenants report app tokens working; a refusal is what the page promises)
            return Listing(refusal=f"Graph answered {exc.status} {exc.code}: retention labels are documented for "
                                   "delegated callers only (Application: Not supported)")
        return Listing(tuple(parse.retention_label(r) for r in rows))

    @reads(f.RETENTION_EVENTS)
    def _retention_events(self) -> tuple[RetentionEvent, ...]:
        rows = self.graph.get_all("/v1.0/security/triggers/retentionEvents", params={"$expand": "retentionEventType"})
        return tuple(parse.retention_event(r) for r in rows)

    # -- devices ------------------------------------------------------------------------------

    @reads(f.DEVICES)
    def _devices(self) -> tuple[Device, ...]:
        return tuple(parse.device(d) for d in self._list(
            "/v1.0/devices", "id,deviceId,displayName,trustType,operatingSystem,registrationDateTime,"
            "approximateLastSignInDateTime,onPremisesSyncEnabled"))

    @reads(f.MANAGED_DEVICES)
    def _managed_devices(self) -> Listing[ManagedDevice]:
        return self._listing(lambda: (parse.managed_device(m) for m in self._list(
            "/v1.0/deviceManagement/managedDevices", "id,deviceName,operatingSystem,serialNumber,"
            "managedDeviceOwnerType,azureADDeviceId,userPrincipalName")), f.INTUNE_PLANS, _INTUNE_NEEDS)

    @reads(f.AUTOPILOT_DEVICES)
    def _autopilot_devices(self) -> Listing[AutopilotDevice]:
        return self._listing(lambda: (parse.autopilot_device(a) for a in self._list(
            "/v1.0/deviceManagement/windowsAutopilotDeviceIdentities", "id,serialNumber,manufacturer,model,groupTag,"
            "enrollmentState,managedDeviceId,azureActiveDirectoryDeviceId")), f.INTUNE_PLANS, _INTUNE_NEEDS)

    @reads(f.BITLOCKER_KEYS)
    def _bitlocker_keys(self) -> tuple[BitLockerKeyInfo, ...]:
        # Never $select=key here: the key is read only by an opted-in backup (each read is audited),
        # and the list refuses $top (graph-docs-contrib api-reference/v1.0/api/bitlocker-list-recoverykeys.md).
        return tuple(parse.bitlocker_key(k) for k in self._list(
            "/v1.0/informationProtection/bitlocker/recoveryKeys", "id,deviceId,createdDateTime,volumeType"))
