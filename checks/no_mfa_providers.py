"""CG-013: no multifactor authentication provider is linked to the directory (attested).

Microsoft: MFA providers block the directory delete (graph-facts §6, S1) and no Graph or ARM API
lists or removes them (§5.5, S37), so a person must look and attest. Fixed in the portal (below).
"""

from __future__ import annotations

from closegate.facts import TenantReader
from closegate.models import Outcome, Severity, Step, attest
from closegate.registry import check
from closegate.remediation.actions import Kind, Reversibility, Scope, Target, action

__all__ = ["no_mfa_providers"]

WHERE = ("Entra admin center (https://entra.microsoft.com) as Authentication Policy Administrator > Protection > "
         "Multifactor authentication > Providers: the list must be empty")


@check(
    id="CG-013",
    title="No MFA providers are linked to the directory (attested)",
    severity=Severity.HIGH,
    blocking=True,
    step=Step.DELETE_DIRECTORY,
    attestable=True,
    doc_url="https://learn.microsoft.com/en-us/entra/identity/authentication/concept-mfa-authprovider",
    why="Entra refuses to delete a directory with an MFA provider, and no API can see providers.",
    fix=f"{WHERE}; select each provider > Delete, then `closegate attest CG-013 --by NAME --statement TEXT`.",
)
def no_mfa_providers(tenant: TenantReader) -> Outcome:
    return attest("no API lists MFA providers; a person must confirm none remains", {"where_to_look": WHERE})


@action(
    id="delete_mfa_providers",
    title="Delete every MFA provider linked to the directory (portal only)",
    fixes="CG-013",
    kind=Kind.MANUAL,
    step=Step.DELETE_DIRECTORY,
    order=40,
    reversibility=Reversibility.IRREVERSIBLE,
    requires=("CG-002",),
    portal_steps=(
        "Entra admin center as Authentication Policy Administrator > Protection > Multifactor authentication",
        "Providers > select each provider > Delete (there is no confirmation)",
        "Then `closegate attest CG-013 --by NAME --statement TEXT`; CG-013 passes on the next audit",
    ),
    portal_link="https://entra.microsoft.com/#view/Microsoft_AAD_IAM/MultifactorAuthenticationMenuBlade/~/Providers",
    undo="none: new providers can no longer be created (graph-facts §5.5)",
)
def delete_mfa_providers(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    return ()  # graph-facts §5.5: no API lists or removes MFA providers
