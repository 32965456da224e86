"""CG-021: no retention label or event-based retention would have kept data that closing destroys (advisory).

Microsoft: retention labels keep content for a set time, or as a record, and event-based retention
starts that time when an event is triggered (learn: graph/api/resources/security-retentionlabel,
security-retentionevent). Closing the tenant deletes the content anyway, so what a label was meant to
keep must be exported first. Labels are documented for delegated callers only (learn:
graph/api/security-labelsroot-list-retentionlabel: "Application: Not supported"); events are readable
by an app. Advisory: a record-keeping decision, not a Microsoft blocker. ATTEST when the labels cannot
be read and no event shows retention at work.
"""

from __future__ import annotations

from closegate.facts import RETENTION_EVENTS, RETENTION_LABELS, TenantReader
from closegate.models import Outcome, Severity, Step, attest, bounded, failed, passed
from closegate.registry import check

__all__ = ["FILE_PLAN", "retention_reviewed"]

FILE_PLAN = "Microsoft Purview portal > Records management > File plan (labels) and > Events"


@check(
    id="CG-021",
    title="Retention labels and event-based retention are accounted for",
    severity=Severity.MEDIUM,
    blocking=False,
    step=Step.BACKUP,
    records=True,
    attestable=True,
    reads=(RETENTION_LABELS, RETENTION_EVENTS),
    doc_url="https://learn.microsoft.com/en-us/graph/api/resources/security-retentionlabel",
    why="Retention labels and event-based retention were set to keep content for years; closing the tenant deletes "
        "it regardless, so records that must be kept are exported first.",
    fix=f"Export what the labels keep (eDiscovery export or a records tool), review the {FILE_PLAN}; if the labels "
        "cannot be read, look there and `closegate attest CG-021 --by NAME --statement TEXT`.",
)
def retention_reviewed(tenant: TenantReader) -> Outcome:
    labels = tenant.read(RETENTION_LABELS)
    events = tenant.read(RETENTION_EVENTS)
    keeping = [lb for lb in labels.items if lb.keeps_data]
    rows = [{"label": lb.display_name, "keeps": "forever" if lb.days is None else f"{lb.days} days",
             "as": lb.behavior, "then": lb.action, "event_type": lb.event_type} for lb in keeping]
    evidence: dict[str, object] = {"where_to_look": FILE_PLAN, "labels_keeping_data": bounded(rows, 20)[0],
                                   "labels_keeping_data_count": len(rows),
                                   "events": [{"event": e.display_name, "event_type": e.event_type,
                                               "triggered": e.triggered} for e in events[:20]],
                                   "events_count": len(events)}
    if not labels.visible:
        evidence["labels_not_visible"] = labels.refusal
    if keeping or events:
        longest = max((lb.days for lb in keeping if lb.days is not None), default=0)
        forever = any(lb.days is None for lb in keeping)
        span = "forever" if forever else f"up to {longest} days"
        seen = (f"{len(keeping)} retention labels keep data ({span})" if labels.visible
                else "retention labels not visible")
        return failed(f"{seen}; {len(events)} retention events started event-based retention: export what must be "
                      "kept before closing", evidence)
    if not labels.visible:
        return attest(f"no retention event, but the retention labels cannot be read ({labels.refusal}): review the "
                      "file plan in Purview", evidence)
    return passed(f"{len(labels.items)} retention labels, none keeping data, and no retention event", evidence)
