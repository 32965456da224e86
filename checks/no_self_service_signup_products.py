"""CG-014: no self-service sign-up product remains (attested).

Microsoft: self-service sign-up products (Power BI, Azure RMS, Power Apps, Dynamics 365...) "block
directory deletions until the products are fully deleted" (graph-facts §6, S1); only the portal
lists and deletes them (§11), so a person must look and attest.
"""

from __future__ import annotations

from closegate.facts import TenantReader
from closegate.models import Outcome, Severity, Step, attest
from closegate.registry import check
from closegate.remediation.actions import Kind, Reversibility, Scope, Target, action

__all__ = ["no_self_service_signup_products"]

WHERE = ("Entra admin center (https://entra.microsoft.com) > Identity > Billing > Licenses > Self-service sign-up "
         "products: the list must be empty")


@check(
    id="CG-014",
    title="No self-service sign-up products remain (attested)",
    severity=Severity.HIGH,
    blocking=True,
    step=Step.DELETE_DIRECTORY,
    attestable=True,
    doc_url="https://learn.microsoft.com/en-us/entra/identity/users/directory-delete-howto",
    why="Self-service sign-up products block the directory delete until fully deleted; no API lists them.",
    fix=f"{WHERE}; select each product > Delete (immediate and irrevocable), then `closegate attest CG-014`.",
)
def no_self_service_signup_products(tenant: TenantReader) -> Outcome:
    return attest("no API lists self-service sign-up products; a person must confirm none remains",
                  {"where_to_look": WHERE})


@action(
    id="delete_signup_products",
    title="Delete every self-service sign-up product (portal only)",
    fixes="CG-014",
    kind=Kind.MANUAL,
    step=Step.DELETE_DIRECTORY,
    order=41,
    reversibility=Reversibility.IRREVERSIBLE,
    requires=("CG-002",),
    portal_steps=(
        "Entra admin center > Identity > Billing > Licenses > Self-service sign-up products",
        "Select each product > Delete (immediate and irrevocable)",
        "Then `closegate attest CG-014 --by NAME --statement TEXT`; CG-014 passes on the next audit",
    ),
    portal_link="https://entra.microsoft.com/#view/Microsoft_AAD_IAM/LicensesMenuBlade/~/SelfServiceSignupProducts",
    undo="none: the deletion is immediate and irrevocable (graph-facts §6, S1)",
)
def delete_signup_products(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    return ()  # graph-facts §11: only the portal lists and deletes them
