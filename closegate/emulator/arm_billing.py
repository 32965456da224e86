"""ARM Microsoft.Billing (api-version 2024-04-01): billing accounts and their invoices.

Shapes and rules from Azure/azure-rest-api-specs specification/billing/.../stable/2024-04-01:
* `GET /providers/Microsoft.Billing/billingAccounts` (billingAccountsList.json): the accounts the
  caller holds a billing role on, each with agreementType (MicrosoftOnlineServicesProgram,
  MicrosoftCustomerAgreement, MicrosoftPartnerAgreement, EnterpriseAgreement), accountType,
  accountStatus and hasReadAccess. Billing roles are separate from Azure RBAC and Entra roles; a
  caller with none gets 200 and an empty list, as ARM does for subscriptions (worse case: the docs
  do not say, and an empty list that looks complete is the trap).
* `GET .../billingAccounts/{name}/invoices` (Invoices_ListByBillingAccount): "supported for billing
  accounts with agreement type Microsoft Partner Agreement, Microsoft Customer Agreement, or Microsoft
  Online Services Program" (invoice.json); for an Enterprise Agreement account the emulator answers
  400, the worse case of an undocumented refusal. InvoiceStatus values: Due, OverDue, Paid, Void,
  Locked, Other. An unpaid invoice is Due until its due date, then OverDue.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from closegate.emulator import arm_rbac
from closegate.emulator.arm_common import ArmCtx, arm_error
from closegate.emulator.azure_state import BillingAccount, Invoice
from closegate.emulator.clock import format_time, parse_time
from closegate.emulator.wire import Response, json_response

__all__ = ["INVOICE_AGREEMENTS", "invoice_status", "route"]

API_VERSION = "2024-04-01"
INVOICES_READ = "Microsoft.Billing/billingAccounts/invoices/read"
INVOICE_AGREEMENTS = frozenset({"MicrosoftPartnerAgreement", "MicrosoftCustomerAgreement",
                                "MicrosoftOnlineServicesProgram"})


def route(ctx: ArmCtx) -> Response | None:
    low = [p.lower() for p in ctx.parts]
    if ctx.req.method != "GET" or low[:3] != ["providers", "microsoft.billing", "billingaccounts"]:
        return None
    if ctx.params["api-version"] != API_VERSION:
        return arm_error(400, "InvalidApiVersionParameter", f"The api-version '{ctx.params['api-version']}' "
                         f"is invalid. The supported versions are '{API_VERSION}'.")
    if len(low) == 3:
        return _accounts(ctx)
    account = ctx.state.azure.billing_accounts.get(ctx.parts[3])
    if account is None or not _has_role(ctx, account):
        # ARM does not reveal whether an account the caller has no role on exists.
        return arm_rbac.authorization_failed(ctx.state, ctx.principal, INVOICES_READ,
                                             "/" + "/".join(ctx.parts[:4]))
    if low[4:] == ["invoices"]:
        return _invoices(ctx, account)
    return None


def _has_role(ctx: ArmCtx, account: BillingAccount) -> bool:
    return bool(arm_rbac.principal_ids(ctx.state, ctx.principal) & set(account.roles))


def _account_body(account: BillingAccount) -> dict[str, Any]:
    return {"id": f"/providers/Microsoft.Billing/billingAccounts/{account.name}", "name": account.name,
            "type": "Microsoft.Billing/billingAccounts",
            "properties": {"displayName": account.display_name, "agreementType": account.agreement_type,
                           "accountStatus": account.status, "accountType": account.account_type,
                           "hasReadAccess": True}}


def _accounts(ctx: ArmCtx) -> Response:
    rows = [_account_body(a) for _, a in sorted(ctx.state.azure.billing_accounts.items()) if _has_role(ctx, a)]
    return json_response(200, {"value": rows})


def invoice_status(invoice: Invoice, now: datetime) -> str:
    if invoice.status in ("Paid", "Void", "Locked", "Other"):
        return invoice.status
    return "OverDue" if now >= invoice.due_date else "Due"


def _amount(value: float, currency: str) -> dict[str, Any]:
    return {"currency": currency, "value": round(value, 2)}


def _invoice_body(account: BillingAccount, invoice: Invoice, now: datetime) -> dict[str, Any]:
    status = invoice_status(invoice, now)
    due = 0.0 if status == "Paid" else invoice.amount_due
    return {
        "id": f"/providers/Microsoft.Billing/billingAccounts/{account.name}/invoices/{invoice.name}",
        "name": invoice.name, "type": "Microsoft.Billing/billingAccounts/invoices",
        "properties": {
            "dueDate": format_time(invoice.due_date), "invoiceDate": format_time(invoice.invoice_date),
            "status": status, "amountDue": _amount(due, invoice.currency),
            "billedAmount": _amount(invoice.billed, invoice.currency),
            "totalAmount": _amount(invoice.billed, invoice.currency),
            "invoicePeriodStartDate": format_time(invoice.period_start),
            "invoicePeriodEndDate": format_time(invoice.period_end),
            "isMonthlyInvoice": True, "documentType": "Invoice",
        },
    }


def _invoices(ctx: ArmCtx, account: BillingAccount) -> Response:
    if account.agreement_type not in INVOICE_AGREEMENTS:
        return arm_error(400, "BadRequest", "The operation is supported for billing accounts with agreement type "
                         "Microsoft Partner Agreement, Microsoft Customer Agreement, or Microsoft Online Services "
                         "Program.")
    try:
        start = parse_time(ctx.params["periodStartDate"]) if "periodStartDate" in ctx.params else None
        end = parse_time(ctx.params["periodEndDate"]) if "periodEndDate" in ctx.params else None
    except ValueError:
        return arm_error(400, "InvalidDateFormat", "periodStartDate and periodEndDate must be dates.")
    rows = [_invoice_body(account, inv, ctx.now) for inv in sorted(account.invoices, key=lambda i: i.invoice_date)
            if (start is None or inv.period_end >= start) and (end is None or inv.period_start <= end)]
    return json_response(200, {"value": rows})
