"""CG-005: directory synchronization is off and no user is synced any more.

Microsoft: synced users cannot be deleted in the cloud while sync is on; turn sync off first
(graph-facts §2.3, S1/S2). Turning it off takes up to 72 hours and cannot be undone or cancelled
meanwhile (§3.2, S4/S6). Graph does not say when a turn-off started, so while one is running the
check reports the latest moment it can finish: 72 hours from now. Fixed by `turn_off_directory_sync`.
"""

from __future__ import annotations

from datetime import timedelta

from closegate.facts import ORGANIZATION, USERS, TenantReader
from closegate.models import Outcome, Severity, Step, failed, passed
from closegate.registry import check
from closegate.remediation.actions import EffectName, Kind, Reversibility, Scope, Target, action

__all__ = ["SYNC_OFF_TAKES", "directory_sync_disabled"]

SYNC_OFF_TAKES = timedelta(hours=72)  # §3.2, S6: "may take up to 72 hours"


@check(
    id="CG-005",
    title="Directory synchronization is turned off",
    severity=Severity.HIGH,
    blocking=True,
    step=Step.DELETE_USERS,
    reads=(ORGANIZATION, USERS),
    doc_url="https://learn.microsoft.com/en-us/microsoft-365/enterprise/turn-off-directory-synchronization",
    why="Synced users cannot be deleted in the cloud while sync is on, and the turn-off takes up to 72 hours.",
    fix="Action turn_off_directory_sync (PATCH organization onPremisesSyncEnabled=false), then wait up to 72 hours.",
)
def directory_sync_disabled(tenant: TenantReader) -> Outcome:
    org = tenant.read(ORGANIZATION)
    synced = [u for u in tenant.read(USERS) if u.on_premises_sync_enabled]
    evidence = {
        "organization_sync_enabled": org.on_premises_sync_enabled,
        "last_sync": org.on_premises_last_sync,
        "synced_users": len(synced),
        "users": [u.user_principal_name for u in synced],
    }
    last = f"{org.on_premises_last_sync:%Y-%m-%d %H:%M} UTC" if org.on_premises_last_sync else "never"
    if org.on_premises_sync_enabled:
        return failed(f"directory sync is on ({len(synced)} users synced, last sync {last}); turning it off takes "
                      "up to 72 hours", evidence)
    if synced:
        done_by = tenant.now() + SYNC_OFF_TAKES
        evidence["turn_off_completes_by"] = done_by
        return failed(
            f"directory sync is being turned off; {len(synced)} users are still synced, done by {done_by:%Y-%m-%d %H:%M} UTC",
            evidence,
            blocked_until=done_by,
            because=f"the directory sync turn-off still converts {len(synced)} synced users (up to 72 hours)",
        )
    return passed(f"directory sync is off and no user is synced (last sync {last})", evidence)


@action(
    id="turn_off_directory_sync",
    title="Turn directory synchronization off (PATCH organization onPremisesSyncEnabled=false)",
    fixes="CG-005",
    kind=Kind.AUTOMATED,
    step=Step.DELETE_USERS,
    order=10,  # first: the 72-hour turn-off gates the deletion of every synced user
    reversibility=Reversibility.IRREVERSIBLE,
    requires=("CG-002",),
    permissions=("graph:Organization.ReadWrite.All",),
    effect=EffectName.TURN_OFF_SYNC,
    undo="cannot be turned back on for 72 hours, and it clears the on-premises attributes (graph-facts §3.2)",
)
def turn_off_directory_sync(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    org = tenant.read(ORGANIZATION)
    if org.on_premises_sync_enabled is not True:
        return ()
    synced = sum(1 for u in tenant.read(USERS) if u.on_premises_sync_enabled)
    return (Target(org.id, org.display_name or org.id, {}, {"synced_users": synced,
                                                          "completes_within_hours": SYNC_OFF_TAKES.total_seconds() / 3600}),)
