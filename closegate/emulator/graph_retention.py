"""Graph records management: retention labels and event-based retention (event types and events).

Permissions (learn: graph/api/security-labelsroot-list-retentionlabel, security-retentionevent-list):
RecordsManagement.Read.All or RecordsManagement.ReadWrite.All. Retention labels document
"Application: Not supported"; callers report that app-only tokens work since 2023
(microsoftgraph/microsoft-graph-docs issue #22321, pnp/cli-microsoft365 issue #5026) while others
got UnknownError (microsoft-graph-docs issue #19376). The emulator follows the documentation, the
worse case: an app-only caller gets 403 on the labels, so a check must be able to run delegated
or say it could not read them. Events and event types accept application permissions.
"""

from __future__ import annotations

from typing import Any

from closegate.emulator.clock import format_time
from closegate.emulator.graph_common import Ctx, collection
from closegate.emulator.graph_security import identity_set
from closegate.emulator.odata import GraphFault
from closegate.emulator.records_compliance import RetentionEventTypeRecord, RetentionLabelRecord
from closegate.emulator.shapes import EntityShape
from closegate.emulator.wire import Response

__all__ = ["RECORDS_R", "ROUTES"]

RECORDS_R = ("RecordsManagement.Read.All", "RecordsManagement.ReadWrite.All")
NS = "microsoft.graph.security."


def _duration(label: RetentionLabelRecord) -> dict[str, Any]:
    if label.days is None:
        return {"@odata.type": "#microsoft.graph.security.retentionDurationForever"}
    return {"@odata.type": "#microsoft.graph.security.retentionDurationInDays", "days": label.days}


LABEL = EntityShape(NS + "retentionLabel", {
    "id": lambda lb: lb.id,
    "displayName": lambda lb: lb.display_name,
    "behaviorDuringRetentionPeriod": lambda lb: lb.behavior,
    "actionAfterRetentionPeriod": lambda lb: lb.action,
    "retentionTrigger": lambda lb: lb.trigger,
    "retentionDuration": _duration,
    "isInUse": lambda lb: lb.is_in_use,
    "descriptionForAdmins": lambda lb: lb.description_for_admins,
    "descriptionForUsers": lambda lb: "",
    "labelToBeApplied": lambda lb: None,
    "defaultRecordBehavior": lambda lb: "startLocked",
    "createdDateTime": lambda lb: format_time(lb.created),
    "lastModifiedDateTime": lambda lb: format_time(lb.created),
    "createdBy": lambda lb: identity_set("Records Manager"),
    "lastModifiedBy": lambda lb: identity_set("Records Manager"),
})
EVENT_TYPE = EntityShape(NS + "retentionEventType", {
    "id": lambda t: t.id,
    "displayName": lambda t: t.display_name,
    "description": lambda t: t.description,
    "createdDateTime": lambda t: format_time(t.created),
    "lastModifiedDateTime": lambda t: format_time(t.created),
    "createdBy": lambda t: identity_set("Records Manager"),
    "lastModifiedBy": lambda t: identity_set("Records Manager"),
})
EVENT = EntityShape(NS + "retentionEvent", {
    "id": lambda e: e.id,
    "displayName": lambda e: e.display_name,
    "description": lambda e: "",
    "eventTriggerDateTime": lambda e: format_time(e.triggered),
    "eventStatus": lambda e: {"error": None, "status": e.status},
    "createdDateTime": lambda e: format_time(e.created),
    "lastModifiedDateTime": lambda e: format_time(e.created),
    "lastStatusUpdateDateTime": lambda e: format_time(e.created),
    "createdBy": lambda e: identity_set("Records Manager"),
    "lastModifiedBy": lambda e: identity_set("Records Manager"),
})


def _expand(ctx: Ctx, type_name: str, allowed: tuple[str, ...]) -> frozenset[str]:
    """The expansions the pages' "Optional query parameters" name; any other is Graph's 400."""
    unknown = [e for e in ctx.query.expand if e not in allowed]
    if unknown:
        raise GraphFault(400, "BadRequest", "Parsing OData Select and Expand failed: Could not find a "
                         f"property named '{unknown[0]}' on type '{type_name}'.")
    return frozenset(ctx.query.expand)


def _event_type(ctx: Ctx, type_id: str | None) -> dict[str, Any] | None:
    found: RetentionEventTypeRecord | None = next(
        (t for t in ctx.state.records.retention_event_types if t.id == type_id), None)
    return EVENT_TYPE.build(found, None) if found else None


def list_labels(ctx: Ctx) -> Response:
    if ctx.principal.kind != "user":
        raise GraphFault(403, "Authorization_RequestDenied", "Application permissions are not supported "
                         "for retention labels.")
    # security-labelsroot-list-retentionlabel: $expand=retentionEventType or descriptors (the file
    # plan descriptors, which no scenario sets: expanded, they are null)
    expand = _expand(ctx, LABEL.type_name, ("retentionEventType", "descriptors"))

    def build(label: RetentionLabelRecord, select: tuple[str, ...] | None) -> dict[str, Any]:
        body = LABEL.build(label, select)
        if "retentionEventType" in expand:
            body["retentionEventType"] = _event_type(ctx, label.event_type_id)
        if "descriptors" in expand:
            body["descriptors"] = None
        return body

    return collection(ctx, name="retentionLabels", rows=ctx.state.records.retention_labels, keep=lambda r: True,
                      build=build, shape=LABEL, context="security/labels/retentionLabels")


def list_event_types(ctx: Ctx) -> Response:
    return collection(ctx, name="retentionEventTypes", rows=ctx.state.records.retention_event_types,
                      keep=lambda r: True, build=EVENT_TYPE.build, shape=EVENT_TYPE,
                      context="security/triggerTypes/retentionEventTypes")


def list_events(ctx: Ctx) -> Response:
    expand = _expand(ctx, EVENT.type_name, ("retentionEventType",))

    def build(event: Any, select: tuple[str, ...] | None) -> dict[str, Any]:
        body = EVENT.build(event, select)
        return {**body, "retentionEventType": _event_type(ctx, event.event_type_id)} if expand else body

    return collection(ctx, name="retentionEvents", rows=ctx.state.records.retention_events, keep=lambda r: True,
                      build=build, shape=EVENT, context="security/triggers/retentionEvents")


ROUTES: tuple[tuple[str, str, Any, tuple[str, ...], dict[str, Any]], ...] = (
    ("GET", "security/labels/retentionLabels", list_labels, RECORDS_R, {}),
    ("GET", "security/triggerTypes/retentionEventTypes", list_event_types, RECORDS_R, {}),
    ("GET", "security/triggers/retentionEvents", list_events, RECORDS_R, {}),
)
