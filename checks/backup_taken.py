"""CG-002: a backup of this tenant was taken, verifies, is recent, covers everyone, and content is accounted for.

Microsoft's first step is "Back up any data you want to keep" (graph-facts §0, S2): deleting users
and subscriptions deletes mailboxes and OneDrive/SharePoint content for good (§1.1, S3). PASS needs
the configured backup ([backup] dir) to be of this tenant, to verify against its manifest, to be no
older than [backup] max_age_days on the tenant's clock, to hold every user, group and Entra device the
tenant has now, and, since closegate copies no content, an attestation of where the content of every user and
site whose usage report shows stored bytes was backed up. With [backup] public_key set, the manifest
must also be signed (`closegate backup --sign-key`) and its signature verify with that key. Without a
configured backup the check cannot decide (ERROR "no backup configured"). Every remediation action that deletes something
requires this check (id CG-002) to PASS first. Fixed by `closegate backup` and `closegate backup attest`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from closegate.facts import (
    BACKUP,
    DEVICES,
    GROUPS,
    ORGANIZATION,
    USAGE_MAILBOX,
    USAGE_ONEDRIVE,
    USAGE_REPORTS,
    USAGE_SHAREPOINT,
    USERS,
    Backup,
    ContentAttestation,
    TenantReader,
    UsageRow,
)
from closegate.models import Outcome, Severity, Step, bounded, failed, passed
from closegate.registry import check

__all__ = ["backup_taken"]

_REPORTS = ("mailbox", "onedrive", "sharepoint")
_SHOWN = 20  # objects named in evidence per kind; the counts are always complete
# The tenant clock comes from Graph's Date header (whole seconds) and the attestation from the
# operator's machine; an attestation a few minutes "ahead" of the tenant is skew, not the future.
_CLOCK_SKEW = timedelta(minutes=5)


@check(
    id="CG-002",
    title="A verified, recent backup of the data to keep exists",
    severity=Severity.CRITICAL,
    blocking=True,
    step=Step.BACKUP,
    reads=(BACKUP, ORGANIZATION, USERS, GROUPS, DEVICES, USAGE_MAILBOX, USAGE_ONEDRIVE, USAGE_SHAREPOINT),
    doc_url="https://learn.microsoft.com/en-us/microsoft-365/commerce/close-your-account",
    why="Deleting users and subscriptions deletes mailboxes, OneDrive and SharePoint content for good.",
    fix="Run `closegate backup` (configure [backup] dir in closegate.toml), record where content was backed "
        "up with `closegate backup attest`, then audit again.",
)
def backup_taken(tenant: TenantReader) -> Outcome:
    backup = tenant.read(BACKUP)
    if backup is None:
        return failed("no backup has been taken", {"backup": None})
    now = tenant.now()
    age = now - backup.taken
    evidence: dict[str, object] = {
        "location": backup.location, "taken": backup.taken, "age_hours": round(age.total_seconds() / 3600, 1),
        "objects": backup.items, "bytes": backup.bytes, "unavailable": list(backup.unavailable)}
    reasons: list[str] = []
    if backup.tenant_id and backup.tenant_id != tenant.read(ORGANIZATION).id:
        reasons.append(f"the backup is of tenant {backup.tenant_id}, not this one")
    if not backup.verified:
        evidence["problems"] = list(backup.problems)
        reasons.append(f"the backup taken {backup.taken:%Y-%m-%d %H:%M} UTC did not verify "
                       f"({len(backup.problems)} problems)")
    if age > backup.max_age:
        reasons.append(f"the newest backup is {age.days} days old, over the {backup.max_age.days}-day limit")
    reasons += _signature(backup, evidence)
    reasons += _coverage(tenant, backup, evidence)
    reasons += _content(tenant, backup, now, evidence)
    if reasons:
        return failed("; ".join(reasons), evidence)
    signed = ", signed" if backup.signature_key else ""
    return passed(f"a verified{signed} backup of {backup.items} objects ({backup.bytes} bytes) taken "
                  f"{backup.taken:%Y-%m-%d %H:%M} UTC covers every user, group and device, and all stored content "
                  "is attested", evidence)


def _signature(backup: Backup, evidence: dict[str, object]) -> list[str]:
    """With [backup] public_key, a backup anyone could have rewritten (unsigned, or signed by another key) fails."""
    if not backup.signature_key:
        return []
    evidence["signature"] = {"public_key": backup.signature_key, "signed": backup.signed,
                             "valid": backup.signature_valid}
    if not backup.signed:
        return [f"the backup is not signed (no manifest.json.sig), but [backup] public_key {backup.signature_key} "
                "requires a signature"]
    if not backup.signature_valid:
        return [f"the backup's signature (manifest.json.sig) does not verify with [backup] public_key "
                f"{backup.signature_key} (the manifest was edited since signing, or signed by another key)"]
    return []


def _coverage(tenant: TenantReader, backup: Backup, evidence: dict[str, object]) -> list[str]:
    """Users, groups and devices present now that the backup does not hold (added since, or a partial file)."""
    users = [{"id": u.id, "user_principal_name": u.user_principal_name, "display_name": u.display_name}
             for u in tenant.read(USERS) if u.id not in backup.user_ids]
    groups = [{"id": g.id, "display_name": g.display_name} for g in tenant.read(GROUPS) if g.id not in backup.group_ids]
    devices = [{"id": d.id, "display_name": d.display_name} for d in tenant.read(DEVICES)
               if d.id not in backup.device_ids]
    reasons = []
    for kind, missing in (("users", users), ("groups", groups), ("devices", devices)):
        if missing:
            shown, more = bounded(missing, _SHOWN)
            evidence[f"{kind}_not_in_backup"] = shown
            evidence[f"{kind}_not_in_backup_count"] = len(missing)
            names = ", ".join(m.get("user_principal_name") or m["display_name"] for m in shown[:3])
            ellipsis = " ..." if more or len(shown) > 3 else ""
            reasons.append(f"{len(missing)} {kind} are not in the backup ({names}{ellipsis})")
    return reasons


def _content(tenant: TenantReader, backup: Backup, now: datetime, evidence: dict[str, object]) -> list[str]:
    """Users and sites holding content with no attestation of where that content was backed up."""
    in_force = [a for a in backup.content_attestations
                if a.taken <= now + _CLOCK_SKEW and now - a.taken <= backup.max_age and (a.expires is None or now < a.expires)]
    uncovered: list[dict[str, object]] = []
    total = 0
    attested: dict[str, ContentAttestation] = {}
    for report in _REPORTS:
        for row in tenant.read(USAGE_REPORTS[report]):
            if row.is_deleted or row.storage_bytes <= 0:
                continue
            key = _key(row)
            match = next((a for a in in_force if a.scope in ("", report, f"{report}:{key}")), None)
            if match is None:
                uncovered.append({"report": report, "owner_or_site": key, "storage_bytes": row.storage_bytes})
                total += row.storage_bytes
            else:
                attested[match.scope or "all"] = match
    evidence["content_attestations"] = [
        {"scope": scope, "tool": a.tool, "location": a.location, "taken": a.taken, "by": a.by}
        for scope, a in sorted(attested.items())]
    if not uncovered:
        return []
    shown, _ = bounded(uncovered, _SHOWN)
    evidence["content_not_attested"] = shown
    evidence["content_not_attested_count"] = len(uncovered)
    return [f"{len(uncovered)} mailboxes, OneDrives or sites hold {total} bytes of content with no attestation "
            "of where it was backed up"]


def _key(row: UsageRow) -> str:
    # SharePoint rows are sites; mailbox and OneDrive rows are owners (graph-facts §1.1 columns).
    return (row.site_url or row.owner_principal_name) if row.report == "sharepoint" else row.owner_principal_name
