"""Operator-surface operations for what a person does in the admin portals beyond the basics.

Azure RBAC (assign or remove a role at a scope, "elevate access" for a Global Administrator), the
Microsoft 365 admin center's subscription actions (turn recurring billing off, reduce licences), paying
an invoice, and the closing administrator's portal sign-in (closegate.emulator.portal). `TenantOperations`
is mixed into OperatorSurface, `OperatorClientOperations` into OperatorClient; the routes are listed in
operator.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from closegate.emulator import arm_rbac, commerce, portal
from closegate.emulator.state import GLOBAL_ADMIN, Refused

__all__ = ["OPERATION_ROUTES", "OperatorClientOperations", "TenantOperations"]

OPERATION_ROUTES: list[tuple[str, str, str]] = [
    ("POST", "/azure/roles", "assign_azure_role"),
    ("DELETE", "/azure/roles", "remove_azure_role"),
    ("POST", "/azure/elevate", "elevate_access"),
    ("POST", "/subscriptions/(?P<id>[^/]+)/recurring-billing-off", "recurring_billing_off"),
    ("POST", "/subscriptions/(?P<id>[^/]+)/licenses", "reduce_licenses"),
    ("POST", "/billing/(?P<account>[^/]+)/invoices/(?P<name>[^/]+)/pay", "pay_invoice"),
    ("POST", "/portal/sign-in", "portal_sign_in"),
    ("GET", "/throttle", "throttle"),
]


def _required(body: dict[str, Any], key: str) -> str:
    if key not in body:
        raise ValueError(f"say which {key}")
    return str(body[key])


class TenantOperations:
    state: Any
    throttle_stats: Callable[[], dict[str, int]]

    def _op_throttle(self, body: dict[str, Any]) -> dict[str, int]:
        """What Graph charged: requests, resource units (throttled ones included, §12.8) and 429s."""
        return self.throttle_stats()

    def _principal(self, ref: str) -> tuple[str, str]:
        """An object id, a UPN, or "app:<appId>" -> (object id, ARM principalType)."""
        st = self.state
        if ref.startswith("app:"):
            return st.service_principal_id(ref[4:]), "ServicePrincipal"
        user = st.user_record(ref)
        if user is not None and user.deleted_at is None:
            return user.id, "User"
        if ref in st.groups:
            return ref, "Group"
        if ref in st.service_principals:
            return ref, "ServicePrincipal"
        raise LookupError(f"no principal {ref!r} in the tenant")

    def _scope(self, ref: str) -> str:
        """"/", "root" (the tenant root management group) or "/subscriptions/{id}"."""
        if ref == "/":
            return ref
        if ref == "root":
            return self.state.azure.root_management_group
        parts = ref.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "subscriptions" and parts[1] in self.state.azure_subscriptions:
            return ref
        raise LookupError(f"no Azure scope {ref!r} in the tenant")

    def _op_assign_azure_role(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            pid, kind = self._principal(_required(body, "principal"))
            role = arm_rbac.role_by_name(_required(body, "role"))
            ra = self.state.azure.assign(self._scope(str(body.get("scope", "/"))), role.id, pid, kind,
                                         self.state.clock.now())
            return {"name": ra.name, "scope": ra.scope, "role": role.name, "principalId": pid}

    def _op_remove_azure_role(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            pid, _ = self._principal(_required(body, "principal"))
            role = arm_rbac.role_by_name(_required(body, "role"))
            if not self.state.azure.unassign(self._scope(str(body.get("scope", "/"))), role.id, pid):
                raise LookupError("no such role assignment")
            return {"removed": True}

    def _op_elevate_access(self, body: dict[str, Any]) -> dict[str, Any]:
        """Entra admin center > Properties > Access management for Azure resources = Yes (§12.2)."""
        with self.state.lock:
            upn = str(body.get("user") or self.state.closing_admin_upn)
            pid, _ = self._principal(upn)
            if GLOBAL_ADMIN not in self.state.active_role_template_ids(pid):
                raise Refused(f"{upn} is not an active Global Administrator: the toggle is not offered")
            self.state.azure.assign("/", arm_rbac.USER_ACCESS_ADMINISTRATOR, pid, "User", self.state.clock.now(),
                                    elevated=True)
            return {"user": upn, "role": "User Access Administrator", "scope": "/"}

    def _op_recurring_billing_off(self, body: dict[str, Any], id: str) -> dict[str, Any]:  # noqa: A002
        with self.state.lock:
            sub = self.state._subscription(id)
            commerce.turn_off_recurring_billing(self.state, sub)
            return {"id": sub.id, "auto_renew": sub.auto_renew}

    def _op_reduce_licenses(self, body: dict[str, Any], id: str) -> dict[str, Any]:  # noqa: A002
        with self.state.lock:
            sub = self.state._subscription(id)
            commerce.reduce_licenses(self.state, sub, int(_required(body, "licenses")))
            return {"id": sub.id, "licenses": sub.total_licenses}

    def _op_pay_invoice(self, body: dict[str, Any], account: str, name: str) -> dict[str, Any]:
        with self.state.lock:
            acct = self.state.azure.billing_accounts.get(account)
            invoice = next((i for i in acct.invoices if i.name == name), None) if acct else None
            if invoice is None:
                raise LookupError(f"no invoice {name!r} in billing account {account!r}")
            invoice.status = "Paid"
            return {"invoice": name, "status": "Paid"}

    def _op_portal_sign_in(self, body: dict[str, Any]) -> dict[str, Any]:
        done = portal.sign_in(self.state, str(body.get("user") or self.state.closing_admin_upn),
                              str(body.get("portal", "entra")))
        return {"portal": done.portal, "user": done.user_principal_name, "signed_in": True}


class OperatorClientOperations:
    _call: Callable[..., Any]  # OperatorClient's HTTPS call

    def assign_azure_role(self, principal: str, role: str, scope: str = "/") -> dict[str, Any]:
        return self._call("POST", "/azure/roles", {"principal": principal, "role": role, "scope": scope})

    def remove_azure_role(self, principal: str, role: str, scope: str = "/") -> dict[str, Any]:
        return self._call("DELETE", "/azure/roles", {"principal": principal, "role": role, "scope": scope})

    def elevate_access(self, user: str | None = None) -> dict[str, Any]:
        return self._call("POST", "/azure/elevate", {"user": user} if user else {})

    def turn_off_recurring_billing(self, subscription_id: str) -> dict[str, Any]:
        return self._call("POST", f"/subscriptions/{quote(subscription_id, safe='')}/recurring-billing-off", {})

    def reduce_licenses(self, subscription_id: str, licenses: int) -> dict[str, Any]:
        return self._call("POST", f"/subscriptions/{quote(subscription_id, safe='')}/licenses",
                          {"licenses": licenses})

    def pay_invoice(self, account: str, invoice: str) -> dict[str, Any]:
        return self._call("POST", f"/billing/{quote(account, safe='')}/invoices/{quote(invoice, safe='')}/pay", {})

    def throttle_stats(self) -> dict[str, int]:
        return self._call("GET", "/throttle")

    def portal_sign_in(self, user: str | None = None, portal: str = "entra") -> dict[str, Any]:
        return self._call("POST", "/portal/sign-in", {"portal": portal, **({"user": user} if user else {})})
