"""Azure Resource Manager for subscriptions (graph-facts §4.4): list with nextLink paging and cancel.

Deletion of a canceled subscription is a portal action after its waiting period; here it is the
operator's `TenantState.delete_subscription`.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from closegate.emulator.records import AzureSubscription
from closegate.emulator.state import TenantState
from closegate.emulator.wire import Principal, Request, Response, json_response

__all__ = ["ArmService"]

CANCEL_API_VERSION = "2021-10-01"  # §4.4 (S33)


def arm_error(status: int, code: str, message: str) -> Response:
    return json_response(status, {"error": {"code": code, "message": message}})


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
            if req.method == "GET" and parts == ["subscriptions"]:
                return self._list(req, params)
            if len(parts) == 2 and parts[0] == "subscriptions" and req.method == "GET":
                sub = self.state.azure_subscriptions.get(parts[1])
                return json_response(200, self._body(sub)) if sub else self._not_found(parts[1])
            if (req.method == "POST" and len(parts) == 5 and parts[0] == "subscriptions"
                    and parts[2:] == ["providers", "Microsoft.Subscription", "cancel"]):
                return self._cancel(parts[1], params["api-version"])
        return arm_error(404, "InvalidResourceType", f"The resource type could not be found for "
                         f"'{req.path}'.")

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

    def _list(self, req: Request, params: dict[str, str]) -> Response:
        subs = sorted(self.state.azure_subscriptions.values(), key=lambda s: s.subscription_id)
        start = 0
        if "$skiptoken" in params:
            try:
                start = int(json.loads(base64.urlsafe_b64decode(params["$skiptoken"] + "==")))
            except ValueError:
                return arm_error(400, "InvalidSkipToken", "The skip token is not valid.")
        page = subs[start:start + self.page_size]
        body: dict[str, Any] = {"value": [self._body(s) for s in page]}
        if start + self.page_size < len(subs):
            token = base64.urlsafe_b64encode(json.dumps(start + self.page_size).encode()).decode().rstrip("=")
            query = urlencode({"api-version": params["api-version"], "$skiptoken": token}, quote_via=quote)
            body["nextLink"] = f"{req.base_url}/subscriptions?{query}"
        return json_response(200, body)

    def _cancel(self, subscription_id: str, api_version: str) -> Response:
        if api_version != CANCEL_API_VERSION:
            return arm_error(400, "InvalidApiVersionParameter", f"The api-version '{api_version}' is "
                             f"invalid. The supported versions are '{CANCEL_API_VERSION}'.")
        sub = self.state.azure_subscriptions.get(subscription_id)
        if sub is None:
            return self._not_found(subscription_id)
        self.state.cancel_azure(sub)
        # Body as in the REST spec's example cancelSubscription.json (graph-facts §4.4, S33):
        # {"value": "<subscriptionId>"}; clients should rely on the 200 status, not the body.
        return json_response(200, {"value": subscription_id})

    @staticmethod
    def _not_found(subscription_id: str) -> Response:
        return arm_error(404, "SubscriptionNotFound", f"The subscription '{subscription_id}' could "
                         "not be found.")
