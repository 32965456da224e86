"""Plan and apply, as one workflow over a signed-in session: what `closegate plan` and `remediate` do.

The commands only print and map outcomes to exit codes; every decision about whether a plan may be
built or applied is made here, so the library, the demo and the tests apply plans exactly as the
command does: the run the plan comes from must be fresh, of this tenant and written here; an applied
plan must be unchanged, written here (closegate.tags), fresh, of the tenant signed in to, made for the
closing administrator the configuration names, confirmed with the tenant's primary domain, and within
what the token is allowed to do; and what may be touched and who must never be is re-derived from the
tenant and the configuration, never from the plan (closegate.remediation.guard).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from closegate import permissions as perms
from closegate.errors import ConfigError
from closegate.facts import ORGANIZATION, Caller, TenantReader
from closegate.models import RunRecord
from closegate.records import read_record
from closegate.remediation.actions import Kind, action_catalog
from closegate.remediation.executor import ExecutionOptions, Executor
from closegate.remediation.guard import LiveGuard
from closegate.remediation.journal import Journal
from closegate.remediation.outcomes import ItemReport
from closegate.remediation.pacing import WriteQuota
from closegate.remediation.plan import Plan, PlanItem, build_plan, load_plan
from closegate.remediation.requirements import live_requirements

if TYPE_CHECKING:
    from closegate.attestations import Attestation
    from closegate.session import Session

__all__ = ["JOURNAL_FILE", "Progress", "apply_plan", "fresh_run", "make_plan", "point_of_no_return", "preflight"]

JOURNAL_FILE = "journal.jsonl"
Progress = Callable[[str, int, int], None]  # (what is happening, done, total)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _no_progress(label: str, done: int, total: int) -> None:
    return None


def fresh_run(session: Session, run_path: Path | None, now: datetime,
              attestations: tuple[Attestation, ...] = ()) -> tuple[RunRecord, TenantReader, bool]:
    """The run a plan is built from: `run_path` if it is fresh enough, else a new audit of the tenant.

    Returns (record, a facade of the same session, whether the record is new and should be written).
    """
    from closegate.registry import catalog
    from closegate.runner import RunSettings, run

    reader = session.reader()
    max_age = timedelta(minutes=session.settings.audit_max_age_minutes)
    if run_path is not None:
        # Refused when edited or not written here: a plan binds to the run it names.
        record = read_record(run_path, session.record_key())
        if record.offline is not None:
            raise ConfigError(f"the run {run_path} was evaluated offline from the backup in "
                              f"{record.offline.get('backup')}: it shows the tenant as it was, and a plan changes it "
                              "as it is", "run `closegate plan` without --run (it audits the live tenant first)")
        if now - record.ended > max_age:
            minutes = int((now - record.ended).total_seconds() // 60)
            raise ConfigError(f"the run {run_path} is {minutes} minutes old, over the {max_age} limit",
                              "run `closegate audit` again (or `closegate plan` without --run)")
        return record, reader, False
    record = run(reader, catalog(), RunSettings(attestations=attestations, tenant_id=session.settings.tenant_id,
                                                cloud=session.settings.cloud.name,
                                                request_stats=session.stats.snapshot))
    return record, reader, True


def make_plan(record: RunRecord, reader: TenantReader, session: Session, now: datetime,
              closing_admin: str | None = None) -> Plan:
    """The ordered plan for the run's tenant (ConfigError when the run is of another tenant)."""
    return build_plan(record, reader, action_catalog(), now=now,
                      max_age_minutes=session.settings.audit_max_age_minutes, closing_admin_upn=closing_admin)


def _refusals(plan: Plan, reader: TenantReader, guard: LiveGuard, confirm: str | None, now: datetime) -> list[str]:
    reasons = []
    if plan.scope.closing_admin_id is not None and plan.scope.closing_admin_id != guard.closing_admin_id:
        now_named = f"names {guard.closing_admin_id}" if guard.closing_admin_id else "names none"
        reasons.append(f"the plan was made for closing administrator {plan.scope.closing_admin_id}, but the "
                       f"tenant and configuration now {now_named} (set [tenant] closing_admin or pass "
                       "--closing-admin as when planning)")
    org = reader.read(ORGANIZATION)
    if org.id != plan.tenant_id:
        reasons.append(f"the plan is for tenant {plan.tenant_id}, but closegate is signed in to {org.id}")
    if plan.stale(now):
        age = int((now - plan.created).total_seconds() // 60)
        reasons.append(f"the plan is {age} minutes old, over its {plan.max_age_minutes}-minute limit: "
                       "run `closegate plan` again")
    typed = (confirm or "").strip().lower()
    if typed != org.primary_domain.lower() or typed != plan.primary_domain.lower():
        reasons.append("the confirmation does not match the tenant's primary domain")
    return reasons


def _applies(item: PlanItem, step: int | None, purge: bool) -> bool:
    return (item.kind is Kind.AUTOMATED and bool(item.targets) and (step is None or int(item.step) == step)
            and (not item.opt_in or (item.opt_in == "--purge" and purge)))


def preflight(plan: Plan, caller: Caller, step: int | None, purge: bool) -> None:
    """Refuse before the confirmation prompt when the token cannot perform an action the run would take.

    Without this a read-only app would journal a 403 per object; the operator should learn it once,
    up front, with the permission to grant. ARM needs are RBAC assignments the token does not show,
    so they are left to the executor's per-object error.
    """
    declarations = [
        perms.Declaration(item.action_id, "remediate", tuple(p for p in item.permissions if p.startswith("graph:")))
        for item in plan.items if _applies(item, step, purge)
    ]
    short = perms.missing(frozenset(caller.permissions), "remediate", declarations)
    if short:
        listed = "; ".join(f"{n.permission} (for {', '.join(n.needed_by)})" for n in short)
        raise ConfigError(f"the signed-in app lacks Microsoft Graph permission(s) {listed}",
                          f"grant them to the app registration {caller.app_id} and grant admin consent "
                          "(Entra admin center > App registrations > API permissions); nothing was changed")


def point_of_no_return(plan: Plan, step: int | None) -> PlanItem | None:
    """The plan's first irreversible item, if the selected step reaches it."""
    first = next((i for i in plan.items if i.point_of_no_return), None)
    if first is not None and (step is None or int(first.step) == step):
        return first
    return None


def apply_plan(plan_path: Path, session: Session, *, confirm: str | None, options: ExecutionOptions,
               progress: Progress = _no_progress, now: datetime | None = None,
               quota: WriteQuota | None = None, closing_admin: str | None = None) -> list[ItemReport]:
    """Verify, confirm and apply a plan; raises ClosegateError when it must refuse (nothing changed).

    `closing_admin`: the UPN of `--closing-admin`, overriding [tenant] closing_admin (app sign-in)."""
    key = session.record_key()
    # Refused when edited or not written here: this is where a plan turns into writes to the tenant.
    plan = load_plan(plan_path, key)
    reader = session.reader()
    guard = LiveGuard.resolve(session.reader, closing_admin)  # None: [tenant] closing_admin, as the reader has it
    reasons = _refusals(plan, reader, guard, confirm, now or _utc_now())
    if reasons:
        raise ConfigError("refusing to apply the plan: " + "; ".join(reasons),
                          "type the tenant's primary domain exactly, for a fresh plan of this tenant")
    if quota is not None:
        options = ExecutionOptions(options.step, options.purge, options.window, quota)
    requirements = live_requirements(session.reader, plan.tenant_id)
    with Journal(plan_path.parent / JOURNAL_FILE, key) as journal:
        executor = Executor(plan, session.graph, session.arm, journal, requirements=requirements,
                            guard=guard, options=options, progress=progress)
        return executor.run()
