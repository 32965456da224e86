"""CG-018 (advisory): usage reports show real user names, so the backup inventory maps data to owners.

When "display concealed user, group and site names" is on, every usage report hides user names
(graph-facts §1.1, S17), so the backup inventory (mailbox, OneDrive and SharePoint sizes per owner)
cannot say whose data it is. Fixed by `reveal_report_names` (PATCH adminReportSettings).
"""

from __future__ import annotations

from closegate.facts import REPORT_SETTINGS, TenantReader
from closegate.models import Outcome, Severity, Step, failed, passed
from closegate.registry import check
from closegate.remediation.actions import EffectName, Kind, Reversibility, Scope, Target, action

__all__ = ["usage_report_names_visible"]


@check(
    id="CG-018",
    title="Usage reports show real names for the backup inventory (advisory)",
    severity=Severity.MEDIUM,
    blocking=False,
    step=Step.BACKUP,
    reads=(REPORT_SETTINGS,),
    doc_url="https://learn.microsoft.com/en-us/graph/api/resources/adminreportsettings",
    why="With concealed names the backup inventory cannot tell whose mailbox or OneDrive holds what.",
    fix="Action reveal_report_names, or Microsoft 365 admin center (https://admin.microsoft.com) > Settings > "
    "Org settings > Reports > clear 'Display concealed user, group, and site names in all reports'.",
)
def usage_report_names_visible(tenant: TenantReader) -> Outcome:
    concealed = tenant.read(REPORT_SETTINGS).display_concealed_names
    evidence = {"display_concealed_names": concealed}
    if concealed:
        return failed("usage reports conceal user, group and site names, so 0 owners can be named in the backup "
                      "inventory", evidence)
    return passed("usage reports show real user, group and site names", evidence)


@action(
    id="reveal_report_names",
    title="Show real user, group and site names in the usage reports",
    fixes="CG-018",
    kind=Kind.AUTOMATED,
    step=Step.BACKUP,
    order=10,
    reversibility=Reversibility.REVERSIBLE,
    permissions=("graph:ReportSettings.ReadWrite.All",),
    effect=EffectName.REVEAL_REPORT_NAMES,
    undo="set displayConcealedNames back to true (PATCH /admin/reportSettings, graph-facts §1.1), or Microsoft 365 "
    "admin center > Settings > Org settings > Reports > 'Display concealed user, group, and site names'",
)
def reveal_report_names(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    if not tenant.read(REPORT_SETTINGS).display_concealed_names:
        return ()
    return (Target("adminReportSettings", "usage report settings", {}, {"display_concealed_names": True}),)
