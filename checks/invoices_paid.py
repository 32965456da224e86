"""CG-015: every outstanding invoice is paid, read from the billing APIs where they answer.

Microsoft: "All outstanding invoices and amounts due or overdue are paid" before the directory can be
deleted (graph-facts §6, S1). Graph has no billing API; ARM's Microsoft.Billing (2024-04-01) lists the
billing accounts the caller holds a billing role on and, for Microsoft Customer Agreement, Microsoft
Partner Agreement and Microsoft Online Services Program accounts, their invoices (status Due,
OverDue, Paid, Void, Locked, Other; invoice.json "Invoices - List By Billing Account"). An
outstanding invoice there FAILs. Only where no API answers (no billing account is visible to the
caller, or an account whose invoices ARM does not list, such as an Enterprise Agreement) does a
person attest. A cancelled Azure subscription still bills: Azure closes its billing cycle within
72 hours, so its last invoice comes up to 3 days after cancelling (Learn "Cancel and delete your
Azure subscription"; issue 12). ARM does not date a cancellation, so while a cancelled Azure
subscription is still listed neither "nothing due" nor an attestation counts: the check FAILs until
the last invoice can have been issued. Fixed by `settle_invoices` (portal).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from closegate.facts import AZURE_SUBSCRIPTIONS, BILLING_ACCOUNTS, BillingAccount, TenantReader
from closegate.models import Outcome, Severity, Step, attest, failed, passed
from closegate.permissions import BILLING_READER_FIX
from closegate.registry import check
from closegate.remediation.actions import Kind, Reversibility, Scope, Target, action

__all__ = ["LAST_AZURE_INVOICE_AFTER_CANCEL", "invoices_paid"]

WHERE = ("Microsoft 365 admin center (https://admin.microsoft.com) > Billing > Bills & payments (and the Azure "
         "portal > Cost Management + Billing > Invoices for Azure): no invoice due or overdue")
LAST_AZURE_INVOICE_AFTER_CANCEL = timedelta(days=3)  # "closes your current billing cycle within 72 hours"


def _account(a: BillingAccount) -> dict[str, Any]:
    return {"name": a.name, "display_name": a.display_name, "agreement_type": a.agreement_type,
            "invoices_read": a.invoices is not None, "unavailable": a.unavailable or None,
            "invoices": [{"name": i.name, "status": i.status, "amount_due": i.amount_due, "currency": i.currency,
                          "due": i.due, "issued": i.issued} for i in a.invoices or ()]}


@check(
    id="CG-015",
    title="All invoices are paid",
    severity=Severity.HIGH,
    blocking=True,
    step=Step.DELETE_DIRECTORY,
    attestable=True,
    reads=(BILLING_ACCOUNTS, AZURE_SUBSCRIPTIONS),
    doc_url="https://learn.microsoft.com/en-us/entra/identity/users/directory-delete-howto",
    why="Entra refuses to delete a directory with unpaid invoices.",
    fix=f"{WHERE}; pay what is due. Where no billing API answers, `closegate attest CG-015 --by NAME --statement TEXT "
        f"--evidence INVOICE-IDS`; to let closegate read the invoices instead: {BILLING_READER_FIX}.",
)
def invoices_paid(tenant: TenantReader) -> Outcome:
    now = tenant.now()
    accounts = tenant.read(BILLING_ACCOUNTS)
    cancelled = [s for s in tenant.read(AZURE_SUBSCRIPTIONS) if s.state == "Disabled"]
    outstanding = [(a, i) for a in accounts for i in a.invoices or () if i.outstanding]
    unread = [a for a in accounts if a.invoices is None]
    evidence: dict[str, Any] = {
        "billing_accounts": [_account(a) for a in accounts],
        "outstanding": [{"account": a.display_name, "invoice": i.name, "status": i.status, "amount_due": i.amount_due,
                         "currency": i.currency, "due": i.due} for a, i in outstanding],
        "cancelled_azure_subscriptions": [s.display_name for s in cancelled],
        "where_to_look": WHERE,
    }
    if outstanding:
        overdue = sum(1 for _, i in outstanding if i.status == "OverDue")
        names = ", ".join(f"{i.name} ({i.amount_due:,.2f} {i.currency} {i.status})" for _, i in outstanding[:5])
        return failed(f"{len(outstanding)} invoices are outstanding ({overdue} overdue): {names}", evidence)
    if cancelled:
        return failed(f"{len(cancelled)} cancelled Azure subscriptions may still be invoiced: Azure sends the last "
                      f"invoice up to {LAST_AZURE_INVOICE_AFTER_CANCEL.days} days after cancelling", evidence,
                      blocked_until=now + LAST_AZURE_INVOICE_AFTER_CANCEL,
                      because=f"the last invoice of cancelled Azure subscription {cancelled[0].display_name} comes up "
                      f"to {LAST_AZURE_INVOICE_AFTER_CANCEL.days} days after its cancellation, which ARM does not date")
    if not accounts:
        return attest("no billing account is visible to closegate (it holds no billing role), so no API shows the "
                      "invoices; a person must confirm nothing is due", evidence)
    if unread:
        kinds = ", ".join(sorted({a.agreement_type or "unknown" for a in unread}))
        return attest(f"no API lists the invoices of {len(unread)} of {len(accounts)} billing accounts ({kinds}); a "
                      "person must confirm nothing is due there", evidence)
    read = sum(len(a.invoices or ()) for a in accounts)
    return passed(f"no invoice is due or overdue on the {len(accounts)} billing accounts closegate can read "
                  f"({read} invoices)", evidence)


@action(
    id="settle_invoices",
    title="Pay every outstanding invoice (portal only)",
    fixes="CG-015",
    kind=Kind.MANUAL,
    step=Step.DELETE_DIRECTORY,
    order=42,
    reversibility=Reversibility.REVERSIBLE,
    portal_steps=(
        "Microsoft 365 admin center > Billing > Bills & payments: pay every invoice due or overdue",
        "Azure portal > Cost Management + Billing > Invoices: the same for Azure, including the last invoice of each "
        "cancelled subscription (up to 3 days after cancelling)",
        "Run `closegate audit`; where no billing API answers, `closegate attest CG-015 --by NAME --statement TEXT "
        "--evidence INVOICE-IDS` after the last invoice was issued",
    ),
    portal_link="https://admin.microsoft.com/#/billoverview",
    undo="not applicable",
)
def settle_invoices(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    return ()  # no API pays an invoice
