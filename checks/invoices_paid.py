"""CG-015: every outstanding invoice is paid (attested).

Microsoft: "All outstanding invoices and amounts due or overdue are paid" before the directory can be
deleted (graph-facts §6, S1). Graph has no billing API for this, so a person must look and attest.
"""

from __future__ import annotations

from closegate.facts import TenantReader
from closegate.models import Outcome, Severity, Step, attest
from closegate.registry import check
from closegate.remediation.actions import Kind, Reversibility, Scope, Target, action

__all__ = ["invoices_paid"]

WHERE = ("Microsoft 365 admin center (https://admin.microsoft.com) > Billing > Bills & payments (and the Azure "
         "portal > Cost Management + Billing > Invoices for Azure): no invoice due or overdue")


@check(
    id="CG-015",
    title="All invoices are paid (attested)",
    severity=Severity.HIGH,
    blocking=True,
    step=Step.DELETE_DIRECTORY,
    attestable=True,
    doc_url="https://learn.microsoft.com/en-us/entra/identity/users/directory-delete-howto",
    why="Entra refuses to delete a directory with unpaid invoices, and Graph cannot see invoices.",
    fix=f"{WHERE}; pay what is due, then `closegate attest CG-015 --by NAME --statement TEXT --evidence INVOICE-IDS`.",
)
def invoices_paid(tenant: TenantReader) -> Outcome:
    return attest("no Graph API shows invoices; a person must confirm nothing is due", {"where_to_look": WHERE})


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
        "Azure portal > Cost Management + Billing > Invoices: the same for Azure",
        "Then `closegate attest CG-015 --by NAME --statement TEXT --evidence INVOICE-IDS`",
    ),
    portal_link="https://admin.microsoft.com/#/billoverview",
    undo="not applicable",
)
def settle_invoices(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    return ()  # graph-facts §6: Graph has no billing API for invoices
