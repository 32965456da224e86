"""Graph security API: eDiscovery (Premium) cases, their custodians and legal holds, and what the
holds name (graph-facts §12.7).

Who sees what (learn: graph/api/security-casesroot-list-ediscoverycases and the other case pages):
application and delegated callers need eDiscovery.Read.All or eDiscovery.ReadWrite.All; a
delegated caller must also be an eDiscovery Manager (sees the cases they are a member of) or an
eDiscovery Administrator (sees every case). A delegated caller with neither role gets an empty
list here: the docs do not say whether Graph answers 403 or an empty list, and the empty list is
the worse case for a closure (a hold that is not seen). App-only access "require[s] E5 or an
equivalent add-on subscription" (learn: graph/api/resources/security-ediscovery-apioverview); the
emulator answers 403 without the eDiscovery (Premium) service plan. That error body is not
documented (unverified; modelled on Graph's error shape).

Legal holds (ediscoveryHoldPolicy) are served on beta only: learn documents a v1.0 version, but
Graph's v1.0 metadata in ../shared/graph-metadata has no ediscoveryHoldPolicy type, so a v1.0
payload could not be checked against it. Custodians carry their hold status on v1.0 too.
"""

from __future__ import annotations

from typing import Any

from closegate.emulator.clock import format_time
from closegate.emulator.graph_common import Ctx, collection, entity, select_of
from closegate.emulator.odata import GraphFault
from closegate.emulator.records_compliance import CaseRecord, CustodianRecord, HoldPolicyRecord, SourceRecord
from closegate.emulator.service_plans import EDISCOVERY_PREMIUM, plan_active
from closegate.emulator.shapes import EntityShape
from closegate.emulator.wire import Response

__all__ = ["EDISCOVERY_R", "ROUTES", "identity_set"]

EDISCOVERY_R = ("eDiscovery.Read.All", "eDiscovery.ReadWrite.All")
NS = "microsoft.graph.security."
CASES = "security/cases/ediscoveryCases"


def identity_set(display_name: str | None, object_id: str | None = None) -> dict[str, Any]:
    """microsoft.graph.identitySet naming a user, as the case samples do."""
    return {"application": None, "user": {"id": object_id, "displayName": display_name}}


CASE = EntityShape(NS + "ediscoveryCase", {
    "id": lambda c: c.id,
    "displayName": lambda c: c.display_name,
    "description": lambda c: c.description,
    "status": lambda c: c.status,
    "externalId": lambda c: c.external_id,
    "createdDateTime": lambda c: format_time(c.created),
    "lastModifiedDateTime": lambda c: format_time(c.closed_at or c.created),
    "lastModifiedBy": lambda c: identity_set(c.closed_by or c.created_by),
    "closedDateTime": lambda c: format_time(c.closed_at),
    "closedBy": lambda c: identity_set(c.closed_by) if c.closed_by else None,
})
CUSTODIAN = EntityShape(NS + "ediscoveryCustodian", {
    "id": lambda c: c.id,
    "displayName": lambda c: c.display_name,
    "email": lambda c: c.email,
    "status": lambda c: c.status,
    "holdStatus": lambda c: c.hold_status,
    "createdDateTime": lambda c: format_time(c.created),
    "lastModifiedDateTime": lambda c: format_time(c.released_at or c.created),
    "releasedDateTime": lambda c: format_time(c.released_at),
    "acknowledgedDateTime": lambda c: None,
})
USER_SOURCE = EntityShape(NS + "userSource", {
    "id": lambda s: s.id,
    "displayName": lambda s: s.display_name,
    "email": lambda s: s.email,
    "includedSources": lambda s: s.included,
    "siteWebUrl": lambda s: s.site_url,
    "holdStatus": lambda s: s.hold_status,
    "createdDateTime": lambda s: format_time(s.created),
})
SITE_SOURCE = EntityShape(NS + "siteSource", {
    "id": lambda s: s.id,
    "displayName": lambda s: s.display_name,
    "holdStatus": lambda s: s.hold_status,
    "createdDateTime": lambda s: format_time(s.created),
})
HOLD = EntityShape(NS + "ediscoveryHoldPolicy", {
    "id": lambda h: h.id,
    "displayName": lambda h: h.display_name,
    "description": lambda h: h.description,
    "isEnabled": lambda h: h.is_enabled,
    "status": lambda h: h.status,
    "contentQuery": lambda h: h.content_query,
    "errors": lambda h: list(h.errors),
    "createdDateTime": lambda h: format_time(h.created),
    "lastModifiedDateTime": lambda h: format_time(h.created),
    "createdBy": lambda h: identity_set(h.created_by),
    "lastModifiedBy": lambda h: identity_set(h.created_by),
})


def _site_of(source: SourceRecord) -> dict[str, Any]:
    """$expand=site on a siteSource: enough of the site to say which one is held."""
    return {"id": source.id, "webUrl": source.site_url, "displayName": source.display_name}


def visible_cases(ctx: Ctx) -> list[CaseRecord]:
    records = ctx.state.records
    if ctx.principal.kind != "user":
        if not plan_active(ctx.state, EDISCOVERY_PREMIUM):
            raise GraphFault(403, "Forbidden", "App-only access to eDiscovery requires an eDiscovery "
                             "(Premium) licence (E5 or an equivalent add-on) for the tenant.")
        return list(records.cases)
    caller = ctx.principal.oid
    if caller in records.ediscovery_administrators:
        return list(records.cases)
    return [c for c in records.cases if caller in c.member_ids]


def _not_found(kind: str, key: str) -> GraphFault:
    return GraphFault(404, "NotFound", f"The {kind} '{key}' was not found.")


def _case(ctx: Ctx) -> CaseRecord:
    case = next((c for c in visible_cases(ctx) if c.id == ctx.args[0]), None)
    if case is None:
        raise _not_found("case", ctx.args[0])
    return case


def _custodian(ctx: Ctx) -> CustodianRecord:
    found = next((c for c in _case(ctx).custodians if c.id == ctx.args[1]), None)
    if found is None:
        raise _not_found("custodian", ctx.args[1])
    return found


def _hold(ctx: Ctx) -> HoldPolicyRecord:
    found = next((h for h in _case(ctx).holds if h.id == ctx.args[1]), None)
    if found is None:
        raise _not_found("legal hold", ctx.args[1])
    return found


def _expand(ctx: Ctx, allowed: tuple[str, ...], type_name: str) -> frozenset[str]:
    unknown = [e for e in ctx.query.expand if e not in allowed]
    if unknown:
        raise GraphFault(400, "BadRequest", "Parsing OData Select and Expand failed: Could not find a "
                         f"property named '{unknown[0]}' on type '{type_name}'.")
    return frozenset(ctx.query.expand)


_CASE_FILTER = {k: CASE.props[k] for k in ("id", "displayName", "status", "externalId")}


def list_cases(ctx: Ctx) -> Response:
    return collection(ctx, name="ediscoveryCases", rows=visible_cases(ctx), keep=lambda c: True,
                      build=CASE.build, shape=CASE, filter_props=_CASE_FILTER, context=CASES)


def get_case(ctx: Ctx) -> Response:
    return entity(ctx, f"{CASES}/$entity", CASE.build(_case(ctx), select_of(ctx, CASE)))


def list_custodians(ctx: Ctx) -> Response:
    case = _case(ctx)
    return collection(ctx, name="custodians", rows=case.custodians, keep=lambda c: True,
                      build=CUSTODIAN.build, shape=CUSTODIAN,
                      filter_props={k: CUSTODIAN.props[k] for k in ("status", "holdStatus", "email")},
                      context=f"{CASES}('{case.id}')/custodians")


def _sources(ctx: Ctx, owner: str, rows: list[SourceRecord], kind: str) -> Response:
    shape = USER_SOURCE if kind == "user" else SITE_SOURCE
    expand = _expand(ctx, ("site",) if kind == "site" else (), shape.type_name)

    def build(source: SourceRecord, select: tuple[str, ...] | None) -> dict[str, Any]:
        body = shape.build(source, select)
        return {**body, "site": _site_of(source)} if "site" in expand else body

    return collection(ctx, name=f"{kind}Sources", rows=rows, keep=lambda s: True, build=build, shape=shape,
                      context=f"{CASES}('{ctx.args[0]}')/{owner}('{ctx.args[1]}')/{kind}Sources")


def custodian_user_sources(ctx: Ctx) -> Response:
    return _sources(ctx, "custodians", _custodian(ctx).user_sources, "user")


def custodian_site_sources(ctx: Ctx) -> Response:
    return _sources(ctx, "custodians", _custodian(ctx).site_sources, "site")


def list_holds(ctx: Ctx) -> Response:
    case = _case(ctx)
    return collection(ctx, name="legalHolds", rows=case.holds, keep=lambda h: True, build=HOLD.build,
                      shape=HOLD, filter_props={k: HOLD.props[k] for k in ("isEnabled", "status", "displayName")},
                      context=f"{CASES}('{case.id}')/legalHolds")


def get_hold(ctx: Ctx) -> Response:
    return entity(ctx, f"{CASES}('{ctx.args[0]}')/legalHolds/$entity", HOLD.build(_hold(ctx), select_of(ctx, HOLD)))


def hold_user_sources(ctx: Ctx) -> Response:
    return _sources(ctx, "legalHolds", _hold(ctx).user_sources, "user")


def hold_site_sources(ctx: Ctx) -> Response:
    return _sources(ctx, "legalHolds", _hold(ctx).site_sources, "site")


_ID = r"([0-9a-fA-F-]{36})"
BETA = frozenset({"beta"})
# (method, path, handler, permissions, route options): graph.py turns these into its Routes.
ROUTES: tuple[tuple[str, str, Any, tuple[str, ...], dict[str, Any]], ...] = (
    ("GET", CASES, list_cases, EDISCOVERY_R, {}),
    ("GET", rf"{CASES}/{_ID}", get_case, EDISCOVERY_R, {}),
    ("GET", rf"{CASES}/{_ID}/custodians", list_custodians, EDISCOVERY_R, {}),
    ("GET", rf"{CASES}/{_ID}/custodians/{_ID}/userSources", custodian_user_sources, EDISCOVERY_R, {}),
    ("GET", rf"{CASES}/{_ID}/custodians/{_ID}/siteSources", custodian_site_sources, EDISCOVERY_R, {}),
    ("GET", rf"{CASES}/{_ID}/legalHolds", list_holds, EDISCOVERY_R, {"versions": BETA}),
    ("GET", rf"{CASES}/{_ID}/legalHolds/{_ID}", get_hold, EDISCOVERY_R, {"versions": BETA}),
    ("GET", rf"{CASES}/{_ID}/legalHolds/{_ID}/userSources", hold_user_sources, EDISCOVERY_R, {"versions": BETA}),
    ("GET", rf"{CASES}/{_ID}/legalHolds/{_ID}/siteSources", hold_site_sources, EDISCOVERY_R, {"versions": BETA}),
)
