"""The MFA registration report (graph-facts §5.4): one row per enabled user, built from user records.

Live Graph refuses it without a premium licence and refuses $select on it (§12.1); see
`_registration_query`.
"""

from __future__ import annotations

from typing import Any

from closegate.emulator import licensing
from closegate.emulator.clock import format_time
from closegate.emulator.graph_common import Ctx, collection, entity, select_of
from closegate.emulator.odata import GraphFault
from closegate.emulator.shapes import EntityShape
from closegate.emulator.state import TenantState
from closegate.emulator.wire import Response

__all__ = ["get_registration", "list_registrations"]


# -- §5.4 registration report: "doesn't work for disabled users"
def _registration(state: TenantState, user: Any) -> dict[str, Any]:
    methods = list(user.methods)
    mfa_methods = [m for m in methods if m not in ("email", "securityQuestion")]
    admin_roles = state.active_role_template_ids(user.id)
    return {
        "id": user.id, "userPrincipalName": user.user_principal_name,
        "userDisplayName": user.display_name,
        "userType": "guest" if user.user_type == "Guest" else "member",
        "isAdmin": bool(admin_roles), "isMfaRegistered": bool(mfa_methods),
        "isMfaCapable": bool(mfa_methods), "isPasswordlessCapable": "fido2" in methods,
        "isSsprCapable": bool(methods), "isSsprEnabled": True, "isSsprRegistered": bool(methods),
        "isSystemPreferredAuthenticationMethodEnabled": False,
        "lastUpdatedDateTime": format_time(user.created), "methodsRegistered": methods,
        "systemPreferredAuthenticationMethods": [],
        "userPreferredMethodForSecondaryAuthentication": "push" if "microsoftAuthenticatorPush" in methods
        else ("sms" if "mobilePhone" in methods else "none"),
    }


_REG_KEYS = ("id", "userPrincipalName", "userDisplayName", "userType", "isAdmin", "isMfaRegistered",
             "isMfaCapable", "isPasswordlessCapable", "isSsprCapable", "isSsprEnabled", "isSsprRegistered",
             "isSystemPreferredAuthenticationMethodEnabled", "lastUpdatedDateTime", "methodsRegistered",
             "systemPreferredAuthenticationMethods", "userPreferredMethodForSecondaryAuthentication")
_REG_SHAPE = EntityShape("microsoft.graph.userRegistrationDetails",
                         {k: (lambda key: lambda r: r[key])(k) for k in _REG_KEYS})
_REG_FILTERABLE = ("id", "userPrincipalName", "userType", "isAdmin", "isMfaRegistered", "isMfaCapable")


def _registration_query(ctx: Ctx) -> None:
    """§12.1: the report supports $filter and $orderby only, and needs a premium licence. The query is
    judged first (OData validation precedes the workload); the 400's wording is the OData library's,
    as Graph does not document it (worse case: a plain 400 a client cannot mistake for a 403)."""
    if ctx.query.select is not None:
        raise GraphFault(400, "BadRequest", "The query specified in the URI is not valid. Query option "
                         "'Select' is not allowed. To allow it, set the 'AllowedQueryOptions' property on "
                         "EnableQueryAttribute or QueryValidationSettings.")
    licensing.require_premium(ctx.state)


def list_registrations(ctx: Ctx) -> Response:
    _registration_query(ctx)
    state, now = ctx.state, ctx.now
    # built per page from user records: generated:100000 must not build 100,000 dicts per call
    filter_props = {k: (lambda key: lambda u: _registration(state, u)[key])(k) for k in _REG_FILTERABLE}
    return collection(ctx, name="userRegistrationDetails", rows=state.user_list,
                      keep=lambda u: u.account_enabled and state.listed(u.deleted_at, now),
                      build=lambda u, s: _REG_SHAPE.build(_registration(state, u), s),
                      shape=_REG_SHAPE, filter_props=filter_props, position=lambda u: u.seq,
                      resource_label="userRegistrationDetails",
                      context="reports/authenticationMethods/userRegistrationDetails")


def get_registration(ctx: Ctx) -> Response:
    _registration_query(ctx)
    user = ctx.state.user_record(ctx.args[0])
    if user is None or user.deleted_at is not None or not user.account_enabled:
        raise GraphFault(404, "Request_ResourceNotFound", f"Resource '{ctx.args[0]}' does not exist.")
    return entity(ctx, "reports/authenticationMethods/userRegistrationDetails/$entity",
                  _REG_SHAPE.build(_registration(ctx.state, user), select_of(ctx, _REG_SHAPE)))

