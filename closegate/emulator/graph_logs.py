"""Graph activity logs: directory audits and sign-ins, kept only for Entra's retention period.

- Retention (MicrosoftDocs/entra-docs docs/identity/monitoring-health/reference-reports-data-retention.md
  @1572fe18): audit logs seven days on Microsoft Entra ID Free and 30 days on P1/P2; sign-ins 30
  days with P1/P2. Older entries are not returned.
- Sign-ins need Entra ID P1 (graph-facts §12.1). Without it Graph answers 403
  Authentication_RequestFromNonPremiumTenantOrB2CTenant, "Neither tenant is B2C or tenant doesn't
  have premium license" (the error Microsoft's reporting prerequisites page quotes,
  learn: entra/identity/monitoring-health/howto-configure-prerequisites-for-reporting-api).
- List pages (graph-docs-contrib api-reference/v1.0/api/directoryaudit-list.md @05296ab3,
  signin-list.md @00e146a9): AuditLog.Read.All; delegated callers also need a reports role (the
  sign-ins page lists them; the emulator applies the same list to audits). directoryAudits supports
  $filter (eq, ge, le, startswith), $top, $orderby; signIns "maximum and default page size is
  1,000", newest first. The audits page names no default order; the emulator also lists newest
  first.
- Reading a BitLocker key with $select=key is audited under the KeyManagement category
  (learn: graph/api/bitlockerrecoverykey-get); the activity is "Read BitLocker key", which is what
  Microsoft's own hunting queries look for (Azure/Azure-Sentinel Hunting Queries/AuditLogs/
  BitLockerKeyRetrieval.yaml: the key id is targetResources[0].displayName).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from closegate.emulator.clock import format_time
from closegate.emulator.graph_common import Ctx, collection, entity
from closegate.emulator.odata import GraphFault, bad_request
from closegate.emulator.records_compliance import AuditRecord, SignInRecord
from closegate.emulator.records_devices import BitLockerKeyRecord
from closegate.emulator.service_plans import ENTRA_P1, plan_active
from closegate.emulator.shapes import EntityShape
from closegate.emulator.wire import Response

__all__ = ["ROUTES", "audit_retention", "record_key_read"]

AUDIT_R = ("AuditLog.Read.All",)
REPORT_ROLES = frozenset({
    "62e90394-69f5-4237-9190-012177145e10",  # Global Administrator
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451",  # Global Reader
    "4a5d8f65-41da-4de4-8968-e035b65339cf",  # Reports Reader
    "194ae4cb-b126-40b2-bd5b-6091b380977d",  # Security Administrator
    "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f",  # Security Operator
    "5d6b6bb7-de71-4623-b4af-96380a352509",  # Security Reader
})
FREE_RETENTION = timedelta(days=7)
PREMIUM_RETENTION = timedelta(days=30)
SIGN_IN_PAGE = 1000


def audit_retention(state: Any) -> timedelta:
    return PREMIUM_RETENTION if plan_active(state, ENTRA_P1) else FREE_RETENTION


def _initiator(rec: AuditRecord) -> dict[str, Any]:
    user = app = None
    if rec.initiator_user:
        uid, name, upn = rec.initiator_user
        user = {"id": uid, "displayName": name, "userPrincipalName": upn, "ipAddress": "127.0.0.1"}
    if rec.initiator_app:
        app_id, name, sp_id = rec.initiator_app
        app = {"appId": app_id, "displayName": name, "servicePrincipalId": sp_id, "servicePrincipalName": None}
    return {"user": user, "app": app}


AUDIT = EntityShape("microsoft.graph.directoryAudit", {
    "id": lambda r: r.id,
    "activityDateTime": lambda r: format_time(r.at),
    "activityDisplayName": lambda r: r.activity,
    "category": lambda r: r.category,
    "correlationId": lambda r: str(uuid.uuid5(uuid.NAMESPACE_URL, r.id)),
    "loggedByService": lambda r: r.service,
    "operationType": lambda r: r.operation_type,
    "result": lambda r: r.result,
    "resultReason": lambda r: "",
    "initiatedBy": _initiator,
    "targetResources": lambda r: [{"id": i, "displayName": n, "type": t, "userPrincipalName": None,
                                   "groupType": None, "modifiedProperties": []} for i, n, t in r.targets],
    "additionalDetails": lambda r: [{"key": k, "value": v} for k, v in r.details],
})
SIGN_IN = EntityShape("microsoft.graph.signIn", {
    "id": lambda s: s.id,
    "createdDateTime": lambda s: format_time(s.at),
    "userId": lambda s: s.user_id,
    "userPrincipalName": lambda s: s.user_principal_name,
    "userDisplayName": lambda s: s.user_display_name,
    "appId": lambda s: s.app_id,
    "appDisplayName": lambda s: s.app_display_name,
    "ipAddress": lambda s: s.ip_address,
    "clientAppUsed": lambda s: s.client_app,
    "correlationId": lambda s: str(uuid.uuid5(uuid.NAMESPACE_URL, s.id)),
    "conditionalAccessStatus": lambda s: "notApplied",
    "isInteractive": lambda s: True,
    "riskDetail": lambda s: "none",
    "riskLevelAggregated": lambda s: "none",
    "riskLevelDuringSignIn": lambda s: "none",
    "riskState": lambda s: "none",
    "riskEventTypes": lambda s: [],
    "resourceDisplayName": lambda s: "Microsoft Graph",
    "resourceId": lambda s: "00000003-0000-0000-c000-000000000000",
    "status": lambda s: {"errorCode": s.error_code, "failureReason": s.failure_reason, "additionalDetails": None},
    "deviceDetail": lambda s: {"deviceId": "", "displayName": None, "operatingSystem": s.operating_system,
                               "browser": None, "isCompliant": None, "isManaged": None, "trustType": None},
    "location": lambda s: {"city": None, "state": None, "countryOrRegion": "US", "geoCoordinates": None},
    "appliedConditionalAccessPolicies": lambda s: [],
})

_AUDIT_FILTER = {
    "activityDateTime": lambda r: r.at,
    "activityDisplayName": AUDIT.props["activityDisplayName"],
    "category": AUDIT.props["category"],
    "loggedByService": AUDIT.props["loggedByService"],
    "result": AUDIT.props["result"],
    "initiatedBy/user/id": lambda r: r.initiator_user[0] if r.initiator_user else None,
    "initiatedBy/user/userPrincipalName": lambda r: r.initiator_user[2] if r.initiator_user else None,
    "initiatedBy/app/appId": lambda r: r.initiator_app[0] if r.initiator_app else None,
}
_SIGN_IN_FILTER = {
    "createdDateTime": lambda s: s.at,
    "userId": SIGN_IN.props["userId"],
    "userPrincipalName": SIGN_IN.props["userPrincipalName"],
    "appId": SIGN_IN.props["appId"],
    "appDisplayName": SIGN_IN.props["appDisplayName"],
    "status/errorCode": lambda s: s.error_code,
}


def _retained(rows: list[Any], since: datetime, newest_first: bool) -> list[Any]:
    kept = [r for r in rows if r.at >= since]
    return kept[::-1] if newest_first else kept


def list_audits(ctx: Ctx) -> Response:
    order = (ctx.query.orderby or "activityDateTime desc").strip()
    if order not in ("activityDateTime desc", "activityDateTime asc", "activityDateTime"):
        raise bad_request(f"Invalid $orderby: '{order}'.", "Request_UnsupportedQuery")
    rows = _retained(ctx.state.records.audits, ctx.now - audit_retention(ctx.state), order.endswith("desc"))
    return collection(ctx, name="directoryAudits", rows=rows, keep=lambda r: True, build=AUDIT.build, shape=AUDIT,
                      filter_props=_AUDIT_FILTER, ordered=("activityDateTime",), resource_label="directoryAudit",
                      context="auditLogs/directoryAudits")


def get_audit(ctx: Ctx) -> Response:
    since = ctx.now - audit_retention(ctx.state)
    found = next((r for r in ctx.state.records.audits if r.id == ctx.args[0] and r.at >= since), None)
    if found is None:
        raise GraphFault(404, "Request_ResourceNotFound", f"Resource '{ctx.args[0]}' does not exist.")
    return entity(ctx, "auditLogs/directoryAudits/$entity", AUDIT.build(found, None))


def list_sign_ins(ctx: Ctx) -> Response:
    if not plan_active(ctx.state, ENTRA_P1):
        raise GraphFault(403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                         "Neither tenant is B2C or tenant doesn't have premium license")
    rows: list[SignInRecord] = _retained(ctx.state.records.sign_ins, ctx.now - PREMIUM_RETENTION, True)
    return collection(ctx, name="signIns", rows=rows, keep=lambda r: True, build=SIGN_IN.build, shape=SIGN_IN,
                      filter_props=_SIGN_IN_FILTER, ordered=("createdDateTime",), resource_label="signIn",
                      default_top=SIGN_IN_PAGE, max_top=SIGN_IN_PAGE, context="auditLogs/signIns")


def record_key_read(ctx: Ctx, key: BitLockerKeyRecord) -> None:
    """The audit entry Entra writes when a recovery key is read (learn: graph/api/bitlockerrecoverykey-get)."""
    state = ctx.state
    user = app = None
    if ctx.principal.kind == "user":
        rec = state.user_record(ctx.principal.oid)
        user = (ctx.principal.oid, rec.display_name if rec else None, rec.user_principal_name if rec else None)
    else:
        sp = state.service_principals.get(ctx.principal.oid)
        app = (ctx.principal.app_id, sp.display_name if sp else None, ctx.principal.oid)
    device = next((d for d in state.records.devices if d.device_id == key.device_id), None)
    state.records.audits.append(AuditRecord(
        id=f"Directory_{uuid.uuid4()}", at=ctx.now, activity="Read BitLocker key", category="KeyManagement",
        operation_type="Read", initiator_user=user, initiator_app=app,
        targets=((device.id if device else key.device_id, key.id, "Device"),),
        details=(("RecoveryKeyId", key.id), ("DeviceId", key.device_id))))


ROUTES: tuple[tuple[str, str, Any, tuple[str, ...], dict[str, Any]], ...] = (
    ("GET", "auditLogs/directoryAudits", list_audits, AUDIT_R, {"delegated_roles": REPORT_ROLES}),
    ("GET", r"auditLogs/directoryAudits/([^/()]+)", get_audit, AUDIT_R, {"delegated_roles": REPORT_ROLES}),
    ("GET", "auditLogs/signIns", list_sign_ins, AUDIT_R,
     {"delegated_roles": REPORT_ROLES, "max_page_size": SIGN_IN_PAGE}),
)
