"""Azure Resource Manager: subscriptions seen through RBAC, cancel, and the routes of arm_resources and
arm_billing.

`GET /subscriptions` answers 200 with only the subscriptions a role of the caller applies to, an
empty list for a caller without any role (graph-facts §12.2, §4.4); reading one the caller cannot
see is ARM's 403 AuthorizationFailed. Cancel needs the Owner role on the subscription ("Who can
cancel a subscription": service administrator and subscription owner, azure-docs
articles/cost-management-billing/manage/cancel-azure-subscription.md). Deletion is a portal action
(the operator's `TenantState.delete_subscription`, rules in azure_rules).
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from closegate.emulator import arm_billing, arm_rbac, arm_resources
from closegate.emulator.arm_common import ArmCtx, arm_error
from closegate.emulator.records import AzureSubscription
from closegate.emulator.state import TenantState
from closegate.emulator.wire import Principal, Request, Response, json_response

__all__ = ["ArmService", "arm_error"]

CANCEL_API_VERSION = "2021-10-01"  # §4.4 (S33)
READ = "Microsoft.Resources/subscriptions/read"
CANCEL = "Microsoft.Subscription/cancel/action"


class ArmService:
    """`handle(req, principal)` for ARM paths; the bearer (audience ARM) is already valid."""

    def __init__(self, state: TenantState, page_size: int = 50) -> None:
        self.state = state
        self.page_size = page_size

    def handle(self, req: Request, principal: Principal) -> Response:
        params = dict(parse_qsl(req.raw_query, keep_blank_values=True))
        if not params.get("api-version"):
            return arm_error(400, "MissingApiVersionParameter", "The api-version query parameter "
                             "(?api-version=) is required for all requests.")
        parts = [p for p in req.path.split("/") if p]
        with self.state.lock:
            self.state.tick()
            ctx = ArmCtx(req=req, principal=principal, state=self.state, params=params, parts=parts,
                         now=self.state.clock.now())
            answer = self._route(ctx)
        if answer is not None:
            return answer
        return arm_error(404, "InvalidResourceType", f"The resource type could not be found for '{req.path}'.")

    def _route(self, ctx: ArmCtx) -> Response | None:
        parts, method = ctx.parts, ctx.req.method
        if parts and parts[0] == "subscriptions":
            if method == "GET" and len(parts) == 1:
                return self._list(ctx)
            if method == "GET" and len(parts) == 2:
                return self._get(ctx, parts[1])
            if method == "POST" and parts[2:] == ["providers", "Microsoft.Subscription", "cancel"]:
                return self._cancel(ctx, parts[1])
        return arm_resources.route(ctx) or arm_billing.route(ctx)

    def _body(self, sub: AzureSubscription) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{sub.subscription_id}",
            "authorizationSource": "RoleBased",
            "managedByTenants": [],
            "subscriptionId": sub.subscription_id,
            "tenantId": self.state.tenant_id,
            "displayName": sub.display_name,
            "state": sub.state,
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": sub.quota_id,
                                     "spendingLimit": sub.spending_limit},
            "tags": {},
        }

    def _list(self, ctx: ArmCtx) -> Response:
        visible = arm_rbac.visible_subscription_ids(self.state, ctx.principal)
        subs = sorted((s for s in self.state.azure_subscriptions.values() if s.subscription_id in visible),
                      key=lambda s: s.subscription_id)
        start = 0
        if "$skiptoken" in ctx.params:
            try:
                start = int(json.loads(base64.urlsafe_b64decode(ctx.params["$skiptoken"] + "==")))
            except ValueError:
                return arm_error(400, "InvalidSkipToken", "The skip token is not valid.")
        page = subs[start:start + self.page_size]
        body: dict[str, Any] = {"value": [self._body(s) for s in page]}
        if start + self.page_size < len(subs):
            token = base64.urlsafe_b64encode(json.dumps(start + self.page_size).encode()).decode().rstrip("=")
            query = urlencode({"api-version": ctx.params["api-version"], "$skiptoken": token}, quote_via=quote)
            body["nextLink"] = f"{ctx.req.base_url}/subscriptions?{query}"
        return json_response(200, body)

    def _get(self, ctx: ArmCtx, subscription_id: str) -> Response:
        sub = self.state.azure_subscriptions.get(subscription_id)
        if sub is None:
            return self._not_found(subscription_id)
        scope = f"/subscriptions/{subscription_id}"
        if not arm_rbac.can(self.state, ctx.principal, READ, scope):
            return arm_rbac.authorization_failed(self.state, ctx.principal, READ, scope)
        return json_response(200, self._body(sub))

    def _cancel(self, ctx: ArmCtx, subscription_id: str) -> Response:
        api_version = ctx.params["api-version"]
        if api_version != CANCEL_API_VERSION:
            return arm_error(400, "InvalidApiVersionParameter", f"The api-version '{api_version}' is "
                             f"invalid. The supported versions are '{CANCEL_API_VERSION}'.")
        sub = self.state.azure_subscriptions.get(subscription_id)
        if sub is None:
            return self._not_found(subscription_id)
        scope = f"/subscriptions/{subscription_id}"
        if not arm_rbac.can(self.state, ctx.principal, CANCEL, scope):
            return arm_rbac.authorization_failed(self.state, ctx.principal, CANCEL, scope)
        self.state.cancel_azure(sub)
        # Body as in the REST spec's example cancelSubscription.json (graph-facts §4.4, S33):
        # {"value": "<subscriptionId>"}; clients should rely on the 200 status, not the body.
        return json_response(200, {"value": subscription_id})

    @staticmethod
    def _not_found(subscription_id: str) -> Response:
        return arm_error(404, "SubscriptionNotFound", f"The subscription '{subscription_id}' could "
                         "not be found.")
