"""The final step once the gate is open: do what the API allows, then hand the delete to a person.

No public API deletes a workforce tenant (DESIGN "Final step"), so the default closer purges the
recycle bin and disables the Microsoft first-party service principals that cannot be deleted, through
the remediation executor (planned, re-read before writing, journaled, and guarded like any plan: only
what a fresh plan of the tenant contains, never the closing administrator, the caller or closegate's
own app; closegate.remediation.guard), and then deletes closegate's
own app registration as its very last API call: Entra refuses to delete a directory that still holds
an application added by an administrator, and after that call closegate can no longer sign in, which
is why nothing else may follow it. The portal delete is returned as exact steps for the Global
Administrator. `Closer` is the seam: an API-based closer returns `tenant_deleted=True` and no steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from closegate.facts import APPLICATIONS, CALLER, DELETED, ORGANIZATION, SERVICE_PRINCIPALS, USERS, TenantReader
from closegate.graph import GraphClient
from closegate.models import RunRecord, Status, Step
from closegate.remediation.actions import (
    ActionSpec,
    EffectName,
    Kind,
    Reversibility,
    Scope,
    Target,
    action_catalog,
)
from closegate.remediation.executor import ExecutionOptions, Executor
from closegate.remediation.guard import RELEASE_ACTION, Guard, LiveGuard, OwnRegistrationGuard
from closegate.remediation.journal import Journal, verify
from closegate.remediation.outcomes import ItemReport
from closegate.remediation.pacing import DOCUMENTED_WRITE_QUOTA, WriteQuota
from closegate.remediation.plan import Plan, PlanItem, resolve_scope, write_plan
from closegate.remediation.requirements import Requirements
from closegate.tags import RecordKey

__all__ = [
    "JOURNAL_FILE",
    "PORTAL_LINK",
    "PORTAL_PATH",
    "ActionSummary",
    "ClosureContext",
    "Closer",
    "FinalStep",
    "PortalHandoffCloser",
]

JOURNAL_FILE = "closure-journal.jsonl"
PLAN_FILES = ("closure-plan.json", "release-plan.json")
PORTAL_LINK = "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/DirectoriesManagement.ReactView"
PORTAL_PATH = "Microsoft Entra admin center > Identity > Overview > Manage tenants > select the tenant > Delete"
_RECYCLED_KINDS = ("user", "application", "servicePrincipal")
_RELEASE_ID = RELEASE_ACTION
# The final step's plans are executed the moment they are made; the age limit only matters to readers.
_PLAN_MAX_AGE_MINUTES = 15


@dataclass(frozen=True)
class ActionSummary:
    """What one final-step action did, as the GO certificate states it."""

    action_id: str
    title: str
    planned: int
    changed: int
    already_done: int
    skipped: int
    failed: int
    notes: tuple[str, ...] = ()
    refused: int = 0  # of `skipped`: objects closegate would not touch (protected, not in a fresh plan)

    @classmethod
    def of(cls, report: ItemReport, title: str) -> ActionSummary:
        notes = ([report.note] if report.note else []) + [f"{n} x {why}" for why, n in sorted(report.reasons.items())]
        return cls(report.action_id, title, report.planned, report.changed, report.already_done, report.skipped,
                   report.failed, tuple(notes), report.refused)

    @property
    def incomplete(self) -> bool:
        # A note without any outcome means the executor did not apply the item at all (a requirement unmet).
        # A refusal means the tenant no longer matches the plan made a moment ago: no certificate on that.
        return (self.failed > 0 or self.refused > 0
                or (self.planned > 0 and self.changed + self.already_done + self.skipped == 0))


@dataclass(frozen=True)
class FinalStep:
    """What a closer did and what is left for a person. `tenant_deleted` only from an API-based closer."""

    closer: str
    actions: tuple[ActionSummary, ...]
    journal: str
    journal_head: str
    plan_hashes: tuple[str, ...]
    own_app: str  # one sentence: what happened to closegate's own registration
    own_app_deleted: bool
    handoff: tuple[str, ...]  # the exact portal steps, in order; () when the closer deleted the tenant
    link: str = PORTAL_LINK
    tenant_deleted: bool = False

    @property
    def complete(self) -> bool:
        return not any(a.incomplete for a in self.actions if a.action_id != _RELEASE_ID)

    def to_json(self) -> dict[str, Any]:
        return {
            "closer": self.closer, "journal": self.journal, "journal_head": self.journal_head,
            "plan_hashes": list(self.plan_hashes), "own_app": self.own_app, "own_app_deleted": self.own_app_deleted,
            "handoff": list(self.handoff), "link": self.link, "tenant_deleted": self.tenant_deleted,
            "actions": [{"action_id": a.action_id, "title": a.title, "planned": a.planned, "changed": a.changed,
                         "already_done": a.already_done, "skipped": a.skipped, "failed": a.failed,
                         "notes": list(a.notes)} for a in self.actions],
        }


@dataclass(frozen=True)
class ClosureContext:
    """Everything a closer may use. The gate has already opened for `record` when a closer sees this."""

    record: RunRecord
    graph: GraphClient
    reader: Callable[[], TenantReader]  # a fresh (uncached) view of the tenant per call
    requirements: Requirements  # check ids -> status on a fresh run, for actions that require checks
    out_dir: Path
    now: datetime
    key: RecordKey | None = None  # tags the final step's plans and journal (None: the installation's key)


class Closer(Protocol):
    """Carries out the final step for an open gate. Raises ClosegateError only when it could not start."""

    name: str

    def close(self, context: ClosureContext) -> FinalStep: ...


@dataclass(frozen=True)
class PortalHandoffCloser:
    """The closer for today's Microsoft Entra: API clean-up, own registration last, then the portal delete."""

    delete_own_app: bool = True
    quota: WriteQuota = DOCUMENTED_WRITE_QUOTA
    name: str = field(default="portal-handoff", init=False)

    def close(self, context: ClosureContext) -> FinalStep:
        reader = context.reader()
        org = reader.read(ORGANIZATION)
        scope = resolve_scope(reader)
        specs = {s.id: s for s in action_catalog()}
        purge, disable = specs["purge_recycle_bin"], specs["disable_undeletable_service_principals"]
        recycled = tuple(Target(d.id, d.user_principal_name or d.display_name, {"display_name": d.display_name})
                         for kind in _RECYCLED_KINDS for d in reader.read(DELETED[kind]) if not scope.protects(d.id))
        items = tuple(i for i in (_item(context.record, purge, recycled),
                                  _item(context.record, disable, tuple(disable(reader, scope)))) if i.targets)
        cleanup = Plan(org.id, org.primary_domain, context.record.run_id, context.now, _PLAN_MAX_AGE_MINUTES, scope, items)
        summaries: list[ActionSummary] = []
        plans = [cleanup]
        journal_path = context.out_dir / JOURNAL_FILE
        guard = LiveGuard.resolve(context.reader, None)  # the closing admin the configuration names
        with Journal(journal_path, context.key) as journal:
            reports = self._execute(cleanup, guard, context, journal)
            summaries += [ActionSummary.of(r, _title(cleanup, r.action_id)) for r in reports]
            own_app, deleted = "closegate's own registration was kept: the API clean-up is incomplete", False
            if not any(s.incomplete for s in summaries):
                release, label = self._release_plan(reader, scope, context, org.id, org.primary_domain)
                if release is None:
                    own_app = label
                elif not self.delete_own_app:
                    own_app = f"closegate's own registration {label} was kept (--keep-own-app): delete it first"
                else:
                    plans.append(release)
                    release_guard = OwnRegistrationGuard(context.reader, guard.closing_admin_id)
                    (report,) = self._execute(release, release_guard, context, journal)
                    summary = ActionSummary.of(report, _title(release, report.action_id))
                    summaries.append(summary)
                    deleted = summary.changed + summary.already_done > 0 and not summary.failed
                    own_app = (f"closegate deleted its own registration {label} as its last API call: it cannot "
                               "sign in to this tenant any more" if deleted else
                               f"closegate could not delete its own registration {label}: delete it first")
        for plan, name in zip(plans, PLAN_FILES, strict=False):
            write_plan(plan, context.out_dir, context.key, name=name)
        admin = next((u.user_principal_name for u in reader.read(USERS) if u.id == scope.closing_admin_id), "")
        return FinalStep(
            closer=self.name, actions=tuple(summaries), journal=str(journal_path),
            journal_head=verify(journal_path, context.key).last_hash, plan_hashes=tuple(p.plan_hash for p in plans),
            own_app=own_app, own_app_deleted=deleted,
            handoff=_handoff(org.display_name, org.primary_domain, org.id, admin, None if deleted else own_app))

    def _execute(self, plan: Plan, guard: Guard, context: ClosureContext, journal: Journal) -> list[ItemReport]:
        # purge=True: emptying the recycle bin is part of the final step itself, not an opt-in any more.
        options = ExecutionOptions(purge=True, quota=self.quota)
        return Executor(plan, context.graph, None, journal, requirements=context.requirements, guard=guard,
                        options=options).run()

    def _release_plan(self, reader: TenantReader, scope: Scope, context: ClosureContext, tenant_id: str,
                      domain: str) -> tuple[Plan | None, str]:
        """The deletion of closegate's own registration, the one object the clean-up protects.

        Deleting the application also removes its service principal in its home tenant; a registration
        from another tenant has only its service principal here.
        """
        caller = reader.read(CALLER)
        apps = [a for a in reader.read(APPLICATIONS) if a.app_id == caller.app_id]
        sps = [sp for sp in reader.read(SERVICE_PRINCIPALS) if sp.app_id == caller.app_id]
        own_ids = {a.id for a in apps} | {sp.id for sp in sps}
        release_scope = Scope(scope.closing_admin_id, caller.object_id, caller.app_id,
                              scope.protected_ids - own_ids, "closegate's own registration is released last")
        if apps:
            target = Target(apps[0].id, apps[0].display_name, {"app_id": apps[0].app_id,
                                                               "display_name": apps[0].display_name})
            effect, kind = EffectName.DELETE_APPLICATION, "app registration"
        elif sps:
            target = Target(sps[0].id, sps[0].display_name, {"app_id": sps[0].app_id,
                                                             "display_name": sps[0].display_name})
            effect, kind = EffectName.DELETE_SERVICE_PRINCIPAL, "service principal"
        else:
            return None, "closegate's app has no registration in this tenant: nothing to delete"
        label = f"{kind} {target.label!r} (app id {caller.app_id})"
        item = PlanItem(
            action_id=_RELEASE_ID, title=f"Delete closegate's own {kind} (its last API call)", fixes="CG-010",
            fix_status=Status.PASS, kind=Kind.AUTOMATED, step=Step.DELETE_DIRECTORY,
            reversibility=Reversibility.SOFT_DELETED_30_DAYS, point_of_no_return=False, requires=(),
            permissions=("graph:Application.ReadWrite.All",), effect=effect, opt_in="",
            undo="restore within 30 days from the recycle bin (deleted applications)", portal_steps=(),
            portal_link="", targets=(target,))
        plan = Plan(tenant_id, domain, context.record.run_id, context.now, _PLAN_MAX_AGE_MINUTES, release_scope, (item,))
        return plan, label


def _item(record: RunRecord, spec: ActionSpec, targets: tuple[Target, ...]) -> PlanItem:
    result = record.result(spec.fixes)
    return PlanItem(
        action_id=spec.id, title=spec.title, fixes=spec.fixes, fix_status=result.status if result else None,
        kind=Kind.AUTOMATED, step=spec.step, reversibility=spec.reversibility, point_of_no_return=False,
        requires=spec.requires, permissions=spec.permissions, effect=spec.effect, opt_in=spec.opt_in, undo=spec.undo,
        portal_steps=(), portal_link="", targets=targets)


def _title(plan: Plan, action_id: str) -> str:
    item = plan.item(action_id)
    return item.title if item is not None else action_id


def _handoff(name: str, domain: str, tenant_id: str, admin: str, keep: str | None) -> tuple[str, ...]:
    steps = []
    if keep is not None:
        steps.append(f"{keep}: Microsoft Entra admin center > Identity > Applications > App registrations > "
                     "All applications > select closegate's registration > Delete (and, if it is listed, "
                     "Enterprise applications > select it > Properties > Delete)")
    who = f" as {admin}" if admin else ""
    steps += [
        f"Sign in to the Microsoft Entra admin center{who}, the Global Administrator who closes the tenant: {PORTAL_LINK}",
        PORTAL_PATH.replace("select the tenant", f"select {name} ({domain}, tenant id {tenant_id})"),
        "On the Delete tenant page every required action must show as done (closegate verified each one); "
        "confirm Delete",
    ]
    return tuple(steps)

