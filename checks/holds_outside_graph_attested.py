"""CG-020: holds that Graph cannot see were checked by a person (attested).

Microsoft Graph shows eDiscovery (Premium) holds (CG-019) but not these, each of which keeps content
that closing the tenant destroys: Litigation Hold on a mailbox (MicrosoftDocs/microsoft-365-docs
microsoft-365/compliance/ediscovery-create-a-litigation-hold.md: it "retain[s] all mailbox content");
inactive mailboxes, the mailboxes of deleted users that a hold preserved, which are lost with the
tenant (graph-facts §12.7; inactive-mailboxes-in-office-365.md); eDiscovery (Standard) cases and holds,
which the Graph eDiscovery API does not cover for every licence (learn: purview/edisc-ref-api-guide:
the Graph API supports only cases with premium features enabled; the worse reading is taken); and
retention policies under Preservation Lock, which "no one, including a global admin, can turn off"
(microsoft-365/compliance/retention-preservation-lock.md). A person looks in the places below and
attests (`closegate attest CG-020`).
"""

from __future__ import annotations

from closegate.facts import TenantReader
from closegate.models import Outcome, Severity, Step, attest
from closegate.registry import check

__all__ = ["PLACES", "holds_outside_graph_attested"]

# (what, where to look, why it matters). Commands: Get-Mailbox (Exchange Online PowerShell; FL
# LitigationHoldEnabled as in the Litigation hold page, -InactiveMailboxOnly as on the Get-EXOMailbox
# page), Get-ComplianceCase/Get-CaseHoldPolicy and Get-RetentionCompliancePolicy (Security & Compliance
# PowerShell; RestrictiveRetention is the Preservation Lock flag).
PLACES: tuple[tuple[str, str, str], ...] = (
    ("Litigation Hold", "Exchange Online PowerShell: Get-Mailbox -ResultSize Unlimited | Where-Object "
     "LitigationHoldEnabled", "keeps all of a mailbox's content; deleting the user makes it an inactive mailbox"),
    ("Inactive mailboxes", "Exchange Online PowerShell: Get-Mailbox -InactiveMailboxOnly -ResultSize Unlimited",
     "the preserved mailboxes of former employees: they are lost with the tenant"),
    ("eDiscovery (Standard) cases and holds", "Security & Compliance PowerShell: Get-ComplianceCase, then "
     "Get-CaseHoldPolicy -Case NAME (Microsoft Purview portal > eDiscovery)", "holds the Graph API may not show"),
    ("Retention policies with Preservation Lock", "Security & Compliance PowerShell: Get-RetentionCompliancePolicy | "
     "Where-Object RestrictiveRetention (Microsoft Purview portal > Data lifecycle management)",
     "a locked policy cannot be turned off by anyone; the data it keeps is destroyed with the tenant"),
)


@check(
    id="CG-020",
    title="Holds Graph cannot see were checked (attested)",
    severity=Severity.HIGH,
    blocking=True,
    step=Step.BACKUP,
    records=True,
    attestable=True,
    doc_url="https://learn.microsoft.com/en-us/purview/ediscovery-create-a-litigation-hold",
    why="Litigation Hold, inactive mailboxes, Standard eDiscovery holds and locked retention policies keep data that "
        "closing the tenant destroys, and no Graph API shows them.",
    fix="Look in each place named in the evidence, release or export what must be kept, then `closegate attest CG-020 "
        "--by NAME --statement TEXT`.",
)
def holds_outside_graph_attested(tenant: TenantReader) -> Outcome:
    return attest("Graph cannot see Litigation Hold, inactive mailboxes, Standard eDiscovery or Preservation Lock: a "
                  "person must look and attest", {
                      "where_to_look": [{"what": what, "where": where, "why": why} for what, where, why in PLACES]})
