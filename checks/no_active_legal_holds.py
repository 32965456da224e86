"""CG-019: no eDiscovery (Premium) legal hold is active, or a legal sign-off accepts the ones that are.

Microsoft: a legal hold preserves content for litigation or an investigation; closing the tenant
destroys everything it preserves, and deleting a held user first turns their mailbox into an inactive
mailbox, which is lost with the tenant too (graph-facts §12.7; MicrosoftDocs/microsoft-365-docs
microsoft-365/compliance/inactive-mailboxes-in-office-365.md: "if any type of hold is applied to the
mailbox prior to deleting the Microsoft 365 account, the mailbox will be converted into an inactive
mailbox"). Holds are read through the Graph security API (learn:
graph/api/resources/security-ediscoveryholdpolicy), with the custodians each case holds.

What Graph shows depends on who asks (learn: graph/api/resources/security-ediscovery-apioverview):
app-only access sees every case but needs eDiscovery (Premium) in force, which a closure cancels
before its final audit; a signed-in user sees only the cases they are a member of, unless they are an
eDiscovery Administrator, and Graph does not say which. So: active holds FAIL, naming each case and
hold; when Graph refuses for the licence, the holds the backup recorded before (step 0) stand in, and
a hold active then still FAILs; a delegated caller seeing no active hold, or nothing visible at all,
is an ATTEST with the place to look. Fixed by the legal team releasing the holds in the Microsoft
Purview portal, or by a legal sign-off bound to the run (`closegate signoff --legal`), which the gate
counts for this check only. What Graph cannot see at all is CG-020.
"""

from __future__ import annotations

from closegate.facts import CALLER, EDISCOVERY_CASES, RECORDED_CASES, SUBSCRIBED_SKUS, TenantReader
from closegate.facts_records import EdiscoveryCase
from closegate.models import Outcome, Severity, Step, attest, bounded, failed, passed
from closegate.registry import check

__all__ = ["PURVIEW_CASES", "no_active_legal_holds"]

# Where cases and holds are managed: the Microsoft Purview portal's eDiscovery page, and Security &
# Compliance PowerShell (MicrosoftDocs/office-docs-powershell exchange/exchange-ps/exchange/Get-CaseHoldPolicy.md:
# "Get-ComplianceCase | Format-Table -Auto Name,Status,Identity"; it does not work with app-only sign-in).
# An eDiscovery Administrator "can also view and access all eDiscovery cases" (Add-eDiscoveryCaseAdmin.md).
PURVIEW_CASES = ("Microsoft Purview portal > eDiscovery > Cases > each case > Holds; or Security & Compliance "
                 "PowerShell: Get-ComplianceCase, then Get-CaseHoldPolicy -Case NAME")
_SHOWN = 20
_HELD = frozenset({"applied", "applying", "partial"})  # dataSourceHoldStatus values that still hold content


def _holds(cases: tuple[EdiscoveryCase, ...]) -> tuple[list[dict[str, object]], list[dict[str, object]],
                                                      list[dict[str, object]]]:
    active: list[dict[str, object]] = []
    released: list[dict[str, object]] = []
    custodians: list[dict[str, object]] = []
    for case in cases:
        for hold in case.holds:
            row: dict[str, object] = {
                "case": case.display_name, "case_status": case.status, "hold": hold.display_name,
                "hold_status": hold.status, "mailboxes": list(hold.users), "sites": list(hold.sites)}
            (active if hold.active else released).append(row)
        custodians += [{"case": case.display_name, "custodian": c.display_name, "email": c.email,
                        "hold_status": c.hold_status} for c in case.custodians
                       if c.status != "released" and c.hold_status in _HELD]
    return active, released, custodians


@check(
    id="CG-019",
    title="No legal hold is active, or a legal sign-off accepts the ones that are",
    severity=Severity.CRITICAL,
    blocking=True,
    step=Step.BACKUP,
    records=True,
    legal_signoff=True,
    attestable=True,
    reads=(EDISCOVERY_CASES, RECORDED_CASES, CALLER, SUBSCRIBED_SKUS),
    doc_url="https://learn.microsoft.com/en-us/graph/api/resources/security-ediscoveryholdpolicy",
    why="Closing the tenant destroys everything a legal hold preserves, including the inactive mailboxes of "
        "held users; breaking a hold can breach a litigation duty.",
    fix=f"The legal team releases each hold in the {PURVIEW_CASES}, or a person in a legal role accepts them with "
        "`closegate signoff --legal --run RUN.json --by NAME --role ROLE`; if Graph cannot show the holds, confirm "
        "there and `closegate attest CG-019 --by NAME --statement TEXT`.",
)
def no_active_legal_holds(tenant: TenantReader) -> Outcome:
    listing = tenant.read(EDISCOVERY_CASES)
    evidence: dict[str, object] = {"where_to_look": PURVIEW_CASES}
    cases = listing.items
    if listing.visible:
        delegated = tenant.read(CALLER).kind != "app"
        evidence["source"] = ("Graph, as the signed-in user: only the cases they are a member of, unless they are an "
                              "eDiscovery Administrator" if delegated else "Graph, app-only: every case")
    else:
        evidence["graph_refused"] = listing.refusal
        recorded = tenant.read(RECORDED_CASES)
        if recorded is None:
            evidence["source"] = "none: Graph refused and no verified backup of this tenant recorded the cases"
            return attest(f"the legal holds cannot be read ({listing.refusal}) and no backup recorded them: confirm in "
                          "the Purview portal that no hold is active", evidence)
        delegated = False
        cases = recorded.cases
        evidence["source"] = (f"the backup taken {recorded.taken:%Y-%m-%d %H:%M} UTC in {recorded.location}, "
                              "before Graph stopped answering")
    active, released, custodians = _holds(cases)
    evidence["cases"] = len(cases)
    for key, rows in (("active_holds", active), ("released_holds", released), ("custodians_on_hold", custodians)):
        shown, _ = bounded(rows, _SHOWN)
        evidence[key] = shown
        evidence[f"{key}_count"] = len(rows)
    if active or custodians:
        names = (", ".join(f"'{r['hold']}' (case '{r['case']}')" for r in active[:3])
                 or ", ".join(f"custodian {r['email'] or r['custodian']} (case '{r['case']}')" for r in custodians[:3]))
        more = " ..." if len(active) > 3 or (not active and len(custodians) > 3) else ""
        return failed(f"{len(active)} legal holds and {len(custodians)} custodian holds are active: {names}{more}; the "
                      "legal team releases them in Purview, or a legal sign-off accepts them", evidence)
    if not listing.visible:
        return attest(f"the backup recorded {len(cases)} eDiscovery cases and no active hold, but Graph can no longer "
                      "confirm that none was placed since: confirm in the Purview portal", evidence)
    if delegated:
        return attest(f"the signed-in user sees {len(cases)} eDiscovery cases and no active hold, but Graph shows "
                      "a user only their own cases unless they are an eDiscovery Administrator "
                      "(Get-eDiscoveryCaseAdmin lists them): confirm in the Purview portal", evidence)
    return passed(f"{len(cases)} eDiscovery (Premium) cases, no active legal hold ({len(released)} released)", evidence)
