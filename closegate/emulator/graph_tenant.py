"""Graph tenant-wide endpoints: organization (sync switch), domains, licences and subscriptions,
security defaults, Conditional Access and report settings (the MFA registration report: graph_registrations).
"""

from __future__ import annotations

from typing import Any

from closegate.emulator.clock import format_time
from closegate.emulator.graph_common import (
    Ctx,
    collection,
    entity,
    no_content,
    select_of,
)
from closegate.emulator.odata import GraphFault, bad_request
from closegate.emulator.shapes import CA_POLICY, EntityShape
from closegate.emulator.state import TenantState
from closegate.emulator.wire import Response

__all__ = [
    "get_ca_policy", "get_organization", "get_report_settings",
    "get_security_defaults", "get_subscription", "list_ca_policies", "list_domains",
    "list_organization", "list_subscribed_skus", "list_subscriptions",
    "patch_ca_policy", "patch_organization", "patch_report_settings", "patch_security_defaults",
]


def _org_body(state: TenantState) -> dict[str, Any]:
    org = state.organization
    return {
        "id": state.tenant_id,
        "deletedDateTime": None,
        "businessPhones": [],
        "city": None,
        "country": None,
        "countryLetterCode": org.country_letter_code,
        "createdDateTime": format_time(org.created),
        "displayName": org.display_name,
        "marketingNotificationEmails": [],
        "onPremisesLastSyncDateTime": format_time(org.last_sync),
        "onPremisesSyncEnabled": org.sync_enabled,
        "partnerTenantType": org.partner_tenant_type,
        "postalCode": None,
        "preferredLanguage": "en",
        "securityComplianceNotificationMails": [],
        "securityComplianceNotificationPhones": [],
        "state": None,
        "street": None,
        "technicalNotificationMails": list(org.technical_notification_mails),
        "tenantType": org.tenant_type,
        "assignedPlans": [],
        "provisionedPlans": [],
        "verifiedDomains": [
            {"capabilities": d.get("capabilities", "Email, OfficeCommunicationsOnline"),
             "isDefault": d.get("isDefault", False), "isInitial": d.get("isInitial", False),
             "name": d["id"], "type": "Managed"}
            for d in state.domains if d.get("isVerified", True)
        ],
    }


def _org_shape(state: TenantState) -> EntityShape:
    body = _org_body(state)
    return EntityShape("microsoft.graph.organization", {k: (lambda key: lambda b: b[key])(k) for k in body})


def list_organization(ctx: Ctx) -> Response:
    shape = _org_shape(ctx.state)
    return collection(ctx, name="organization", rows=[_org_body(ctx.state)], keep=lambda r: True,
                      build=shape.build, shape=shape)


def get_organization(ctx: Ctx) -> Response:
    if ctx.args[0] != ctx.state.tenant_id:
        raise GraphFault(404, "Request_ResourceNotFound", f"Resource '{ctx.args[0]}' does not exist "
                         "or one of its queried reference-property objects are not present.")
    shape = _org_shape(ctx.state)
    return entity(ctx, "organization/$entity", shape.build(_org_body(ctx.state), select_of(ctx, shape)))


def patch_organization(ctx: Ctx) -> Response:
    """§3.2: onPremisesSyncEnabled=false starts a turn-off that completes after 72 h."""
    if ctx.args[0] != ctx.state.tenant_id:
        raise GraphFault(404, "Request_ResourceNotFound", f"Resource '{ctx.args[0]}' does not exist.")
    body = ctx.body()
    org = ctx.state.organization
    for key, value in body.items():
        if key == "onPremisesSyncEnabled" and isinstance(value, bool):
            continue
        if key in ("technicalNotificationMails", "marketingNotificationEmails") and isinstance(value, list):
            continue
        raise bad_request(f"Invalid value specified for property '{key}' of resource 'Organization'.")
    if "onPremisesSyncEnabled" in body:
        wanted = body["onPremisesSyncEnabled"]
        if wanted is False and org.sync_enabled is True and org.sync_off_requested_at is None:
            org.sync_off_requested_at = ctx.now
        elif wanted is True and org.sync_enabled is not True:
            if not ctx.state.lifecycle.sync_reenable_allowed(ctx.state, ctx.now):
                raise bad_request("Directory synchronization was turned off less than 72 hours ago "
                                  "and cannot be turned back on yet.")
            org.sync_enabled, org.sync_off_requested_at = True, None
        elif wanted is True and org.sync_off_requested_at is not None:
            raise bad_request("Directory synchronization is being turned off; the operation cannot "
                              "be canceled and must complete first.")  # §3.2 (S6)
    if "technicalNotificationMails" in body:
        org.technical_notification_mails = tuple(str(m) for m in body["technicalNotificationMails"])
    return no_content()


def _domain_shape(state: TenantState) -> EntityShape:
    keys = ("id", "authenticationType", "availabilityStatus", "isAdminManaged", "isDefault",
            "isInitial", "isRoot", "isVerified", "supportedServices", "passwordValidityPeriodInDays",
            "passwordNotificationWindowInDays", "state")
    return EntityShape("microsoft.graph.domain", {k: (lambda key: lambda d: d.get(key))(k) for k in keys})


def list_domains(ctx: Ctx) -> Response:
    shape = _domain_shape(ctx.state)
    return collection(ctx, name="domains", rows=ctx.state.domains, keep=lambda d: True,
                      build=shape.build, shape=shape)


# -- licences (§4.1): units per SKU follow the state of the subscriptions behind it
_UNIT_BUCKET = {"Enabled": "enabled", "Warning": "warning", "Suspended": "suspended",
                "LockedOut": "lockedOut", "Deleted": "lockedOut"}


def _sku_rows(state: TenantState) -> list[dict[str, Any]]:
    rows = []
    for sku in state.skus.values():
        subs = [s for s in state.subscriptions.values() if s.sku_id == sku.sku_id]
        if not subs:
            continue
        units = {"enabled": 0, "lockedOut": 0, "suspended": 0, "warning": 0}
        for sub in subs:
            units[_UNIT_BUCKET[sub.status]] += sub.total_licenses
        status = next((name for name, bucket in (("Enabled", "enabled"), ("Warning", "warning"),
                                                 ("Suspended", "suspended")) if units[bucket]),
                      "LockedOut")
        rows.append({
            "id": f"{state.tenant_id}_{sku.sku_id}", "accountId": state.tenant_id,
            "accountName": state.display_name, "appliesTo": sku.applies_to,
            "capabilityStatus": status, "consumedUnits": sku.consumed_units, "prepaidUnits": units,
            "servicePlans": [{"servicePlanId": pid, "servicePlanName": name,
                              "provisioningStatus": "Success" if status == "Enabled" else "Disabled",
                              "appliesTo": sku.applies_to} for pid, name in sku.service_plans],
            "skuId": sku.sku_id, "skuPartNumber": sku.sku_part_number,
            "subscriptionIds": [s.commerce_subscription_id for s in subs],
        })
    return rows


_SKU_SHAPE = EntityShape("microsoft.graph.subscribedSku", {k: (lambda key: lambda r: r[key])(k) for k in (
    "id", "accountId", "accountName", "appliesTo", "capabilityStatus", "consumedUnits", "prepaidUnits",
    "servicePlans", "skuId", "skuPartNumber", "subscriptionIds")})


def list_subscribed_skus(ctx: Ctx) -> Response:
    if ctx.query.filter or ctx.query.top is not None:  # §4.1 (S8): supports only $select
        raise GraphFault(400, "Request_UnsupportedQuery", "The query specified in the URI is not valid.")
    return collection(ctx, name="subscribedSkus", rows=_sku_rows(ctx.state), keep=lambda r: True,
                      build=_SKU_SHAPE.build, shape=_SKU_SHAPE, pageable=False)


def _sub_body(state: TenantState, sub: Any) -> dict[str, Any]:
    sku = state.skus.get(sub.sku_id)
    return {
        "id": sub.id, "commerceSubscriptionId": sub.commerce_subscription_id,
        "createdDateTime": format_time(sub.created), "isTrial": sub.is_trial,
        "nextLifecycleDateTime": format_time(sub.next_lifecycle), "ownerId": None,
        "ownerTenantId": sub.owner_tenant_id, "ownerType": None,
        "serviceStatus": [{"appliesTo": sku.applies_to if sku else "User",
                           "provisioningStatus": "Success" if sub.status == "Enabled" else "Disabled",
                           "servicePlanId": pid, "servicePlanName": name}
                          for pid, name in (sku.service_plans if sku else ())],
        "skuId": sub.sku_id, "skuPartNumber": sku.sku_part_number if sku else None,
        "status": sub.status, "totalLicenses": sub.total_licenses,
    }


_SUB_SHAPE = EntityShape("microsoft.graph.companySubscription", {k: (lambda key: lambda r: r[key])(k) for k in (
    "id", "commerceSubscriptionId", "createdDateTime", "isTrial", "nextLifecycleDateTime", "ownerId",
    "ownerTenantId", "ownerType", "serviceStatus", "skuId", "skuPartNumber", "status", "totalLicenses")})
_SUB_FILTER = {k: _SUB_SHAPE.props[k] for k in ("id", "status", "skuId", "isTrial", "commerceSubscriptionId")}


def list_subscriptions(ctx: Ctx) -> Response:
    rows = [_sub_body(ctx.state, s) for s in ctx.state.subscriptions.values()]
    return collection(ctx, name="subscriptions", rows=rows, keep=lambda r: True, build=_SUB_SHAPE.build,
                      shape=_SUB_SHAPE, filter_props=_SUB_FILTER, context="directory/subscriptions")


def get_subscription(ctx: Ctx) -> Response:
    key = ctx.args[0]
    by_commerce = ctx.resource.startswith("directory/subscriptions(")
    for sub in ctx.state.subscriptions.values():
        if (sub.commerce_subscription_id if by_commerce else sub.id) == key:
            return entity(ctx, "directory/subscriptions/$entity",
                          _SUB_SHAPE.build(_sub_body(ctx.state, sub), select_of(ctx, _SUB_SHAPE)))
    raise GraphFault(404, "Request_ResourceNotFound", f"Resource '{key}' does not exist or one of its "
                     "queried reference-property objects are not present.")


# -- policies (§5.2, §5.3)
def get_security_defaults(ctx: Ctx) -> Response:
    return entity(ctx, "policies/identitySecurityDefaultsEnforcementPolicy/$entity", {
        "id": "00000000-0000-0000-0000-000000000005",
        "displayName": "Security Defaults",
        "description": "Security defaults is a set of basic identity security mechanisms "
                       "recommended by Microsoft.",
        "isEnabled": ctx.state.security_defaults_enabled,
    })


def patch_security_defaults(ctx: Ctx) -> Response:
    body = ctx.body()
    if set(body) != {"isEnabled"} or not isinstance(body["isEnabled"], bool):
        raise bad_request("Only isEnabled (Boolean) can be updated on this policy.")
    ctx.state.security_defaults_enabled = body["isEnabled"]
    return no_content()


_CA_FILTER = {k: CA_POLICY.props[k] for k in ("id", "displayName", "state")}


def list_ca_policies(ctx: Ctx) -> Response:
    return collection(ctx, name="policies", rows=list(ctx.state.ca_policies.values()), keep=lambda p: True,
                      build=CA_POLICY.build, shape=CA_POLICY, filter_props=_CA_FILTER,
                      context="identity/conditionalAccess/policies")


def _ca(ctx: Ctx) -> Any:
    policy = ctx.state.ca_policies.get(ctx.args[0])
    if policy is None:
        raise GraphFault(404, "ResourceNotFound", f"Resource '{ctx.args[0]}' does not exist.")
    return policy


def get_ca_policy(ctx: Ctx) -> Response:
    return entity(ctx, "identity/conditionalAccess/policies/$entity",
                  CA_POLICY.build(_ca(ctx), select_of(ctx, CA_POLICY)))


def patch_ca_policy(ctx: Ctx) -> Response:
    policy = _ca(ctx)
    body = ctx.body()
    allowed = ("enabled", "disabled", "enabledForReportingButNotEnforced")
    if set(body) - {"state", "displayName"} or body.get("state", policy.state) not in allowed:
        raise bad_request("Only state and displayName can be updated by this emulator; state must "
                          "be one of " + ", ".join(allowed) + ".", "BadRequest")
    policy.state = body.get("state", policy.state)
    policy.display_name = body.get("displayName", policy.display_name)
    policy.modified = ctx.now
    return no_content()


def get_report_settings(ctx: Ctx) -> Response:
    return entity(ctx, "admin/reportSettings/$entity",
                  {"displayConcealedNames": ctx.state.display_concealed_names})


def patch_report_settings(ctx: Ctx) -> Response:
    body = ctx.body()
    if set(body) != {"displayConcealedNames"} or not isinstance(body["displayConcealedNames"], bool):
        raise bad_request("Only displayConcealedNames (Boolean) can be updated.")
    ctx.state.display_concealed_names = body["displayConcealedNames"]
    return no_content()
