"""The remediation plan: every change closegate would make, in Microsoft's order, in one hashed file.

A plan is built from a fresh audit and the live tenant, then approved by a person (typed confirmation)
before anything is applied. It lists each action with the exact objects it touches and the fields
re-checked before the write, so `remediate --apply` can refuse to act on anything the operator did not
see. Its SHA-256 over canonical JSON (like RunRecord.run_id) identifies it; the journal's operation ids
derive from it; the keyed tag of the installation that wrote it (closegate.tags) names a plan edited
and re-hashed as edited. The closing Global Administrator and the caller are excluded here, centrally,
whatever an action's planner returns; the executor never takes that from the plan: it re-derives them
from the tenant and acts only on what a fresh plan would also contain (closegate.remediation.guard).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from closegate import __version__
from closegate.closing_admin import closing_admin, human_global_admin_ids
from closegate.errors import ClosegateError, ConfigError, IntegrityError
from closegate.facts import APPLICATIONS, CALLER, ORGANIZATION, SERVICE_PRINCIPALS, TenantReader
from closegate.files import write_atomic
from closegate.models import RunRecord, Status, Step, iso, jsonable, parse_time
from closegate.remediation.actions import ActionSpec, EffectName, Kind, Reversibility, Scope, Target
from closegate.tags import FIELD, RecordKey, installation_key

__all__ = ["PLAN_FILE", "PLAN_SCHEMA", "Plan", "PlanItem", "build_plan", "load_plan", "resolve_scope", "write_plan"]

PLAN_SCHEMA = 1
PLAN_FILE = "plan.json"
TAG_KIND = "remediation-plan"
NOT_RUN = "NOT_RUN"  # fix_status of an action whose check the bound run did not run


@dataclass(frozen=True)
class PlanItem:
    action_id: str
    title: str
    fixes: str
    fix_status: Status | None  # the fixed check's status in the bound run; None: it was not run
    kind: Kind
    step: Step
    reversibility: Reversibility
    point_of_no_return: bool  # the first irreversible change of the plan
    requires: tuple[str, ...]
    permissions: tuple[str, ...]
    effect: EffectName | None
    opt_in: str
    undo: str
    portal_steps: tuple[str, ...]
    portal_link: str
    targets: tuple[Target, ...]
    planning_error: str = ""  # the planner could not read what it needs: nothing of it is applied

    def to_json(self) -> dict[str, Any]:
        return {
            "action_id": self.action_id, "title": self.title, "fixes": self.fixes, "fix_status": self.fix_status.value if self.fix_status else NOT_RUN,
            "kind": self.kind.value, "step": int(self.step), "reversibility": self.reversibility.value,
            "point_of_no_return": self.point_of_no_return, "requires": list(self.requires),
            "permissions": list(self.permissions), "effect": self.effect.value if self.effect else "", "opt_in": self.opt_in, "undo": self.undo,
            "portal_steps": list(self.portal_steps), "portal_link": self.portal_link,
            "count": len(self.targets), "targets": [jsonable(t.to_json()) for t in self.targets],
            "planning_error": self.planning_error,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> PlanItem:
        fix_status = None if d["fix_status"] == NOT_RUN else Status(d["fix_status"])
        effect = EffectName(d["effect"]) if d["effect"] else None
        return cls(d["action_id"], d["title"], d["fixes"], fix_status, Kind(d["kind"]), Step(d["step"]),
                   Reversibility(d["reversibility"]), d["point_of_no_return"], tuple(d["requires"]),
                   tuple(d["permissions"]), effect, d["opt_in"], d["undo"], tuple(d["portal_steps"]),
                   d["portal_link"], tuple(Target.from_json(t) for t in d["targets"]), d["planning_error"])


@dataclass(frozen=True)
class Plan:
    tenant_id: str
    primary_domain: str
    run_id: str
    created: datetime
    max_age_minutes: int
    scope: Scope
    items: tuple[PlanItem, ...]
    tool_version: str = __version__
    schema_version: int = PLAN_SCHEMA

    def body(self) -> dict[str, Any]:
        s = self.scope
        return {
            "schema_version": self.schema_version, "tool_version": self.tool_version, "tenant_id": self.tenant_id,
            "primary_domain": self.primary_domain, "run_id": self.run_id, "created": iso(self.created),
            "max_age_minutes": self.max_age_minutes,
            "scope": {"closing_admin_id": s.closing_admin_id, "caller_object_id": s.caller_object_id,
                      "caller_app_id": s.caller_app_id, "protected_ids": sorted(s.protected_ids), "note": s.note},
            "summary": {i.action_id: len(i.targets) for i in self.items},
            "items": [i.to_json() for i in self.items],
        }

    @cached_property
    def plan_hash(self) -> str:
        # Cached: operation ids derive from it once per object, and the plan is immutable.
        return hashlib.sha256(_canonical(self.body())).hexdigest()

    def to_json(self, key: RecordKey | None = None) -> dict[str, Any]:
        """The plan as written: its body, its hash and this installation's tag (none without a key)."""
        return (key or installation_key()).sealed(TAG_KIND, {**self.body(), "plan_hash": self.plan_hash})

    def dumps(self, key: RecordKey | None = None) -> str:
        return json.dumps(self.to_json(key), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def stale(self, now: datetime) -> bool:
        return now - self.created > timedelta(minutes=self.max_age_minutes)

    def item(self, action_id: str) -> PlanItem | None:
        return next((i for i in self.items if i.action_id == action_id), None)


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def load_plan(path: Path, key: RecordKey | None = None, *, warn: Callable[[str], None] | None = None) -> Plan:
    """Read a plan back; refuses one whose content no longer matches its hash or its tag, and one this
    installation did not write unless `warn` is given (then told why: a dry run only shows a plan)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the plan {path}", "run `closegate plan` to write one") from exc
    if not isinstance(data, dict) or data.get("schema_version") != PLAN_SCHEMA:
        raise IntegrityError(f"{path} is not a closegate plan of schema {PLAN_SCHEMA}", "run `closegate plan` again")
    body = {k: v for k, v in data.items() if k not in ("plan_hash", FIELD)}
    if hashlib.sha256(_canonical(body)).hexdigest() != data.get("plan_hash"):
        raise IntegrityError(f"the plan {path} was changed after it was written (its hash does not match)",
                             "run `closegate plan` again and review the new plan")
    s = data["scope"]
    plan = Plan(tenant_id=data["tenant_id"], primary_domain=data["primary_domain"], run_id=data["run_id"],
                created=parse_time(data["created"]), max_age_minutes=data["max_age_minutes"],
                scope=Scope(s["closing_admin_id"], s["caller_object_id"], s["caller_app_id"],
                            frozenset(s["protected_ids"]), s["note"]),
                items=tuple(PlanItem.from_json(i) for i in data["items"]), tool_version=data["tool_version"])
    if plan.plan_hash != data["plan_hash"]:
        raise IntegrityError(f"the plan {path} does not read back to the content it was hashed from",
                             "run `closegate plan` again with this version of closegate")
    provenance = (key or installation_key()).provenance(TAG_KIND, data, path)
    if warn is None:
        provenance.require(path, "run `closegate plan` with this closegate and review the new plan")
    elif not provenance.here:
        warn(provenance.warning(path))
    return plan


def write_plan(plan: Plan, out_dir: Path, key: RecordKey | None = None, *, name: str = PLAN_FILE) -> Path:
    """DIR/plan.json, tagged and written atomically so an approver never reads half a plan."""
    return write_atomic(out_dir / name, plan.dumps(key))


def resolve_scope(tenant: TenantReader, closing_admin_upn: str | None = None) -> Scope:
    """Who must never be touched: the closing administrator, the caller, and closegate's own app.

    A signed-in user is the closing administrator. An app is told who it is by `closing_admin_upn`
    (`plan --closing-admin`), else by closegate.toml's `[tenant] closing_admin`; the named user must
    hold an active Global Administrator assignment, and a plan is refused rather than built around
    someone else. With no name the checks' rule applies, and when it finds none, every Global
    Administrator is protected so no possible closing admin is removed.
    """
    caller = tenant.read(CALLER)
    found = closing_admin(tenant, caller, named=closing_admin_upn)
    if found.user is None and found.named_upn:
        raise ConfigError(found.how, "name a user holding an active Global Administrator assignment in "
                          "closegate.toml ([tenant] closing_admin) or with --closing-admin, or assign them the role")
    admin_id = found.user.id if found.user else None
    note = f"closing administrator: {found.how}"
    protected = {caller.object_id}
    protected |= {a.id for a in tenant.read(APPLICATIONS) if a.app_id == caller.app_id}
    protected |= {sp.id for sp in tenant.read(SERVICE_PRINCIPALS) if sp.app_id == caller.app_id}
    if admin_id is None:
        holders = set(human_global_admin_ids(tenant))  # eligible ones too: read only when they matter
        protected |= holders
        note += f"; none is known, so all {len(holders)} Global Administrators are protected " \
                "(sign in as the closing admin, or name them in closegate.toml's [tenant] closing_admin)"
    else:
        protected.add(admin_id)
    return Scope(admin_id, caller.object_id, caller.app_id, frozenset(protected), note)


def build_plan(record: RunRecord, tenant: TenantReader, actions: Sequence[ActionSpec], *, now: datetime,
               max_age_minutes: int, closing_admin_upn: str | None = None) -> Plan:
    """The ordered plan for the tenant the run describes. Raises when the run is of another tenant."""
    org = tenant.read(ORGANIZATION)
    if record.tenant.id and record.tenant.id != org.id:
        raise ConfigError(f"the run is of tenant {record.tenant.id}, but closegate is signed in to {org.id}",
                          "plan from a run of this tenant (`closegate audit`)")
    scope = resolve_scope(tenant, closing_admin_upn)
    items: list[PlanItem] = []
    for spec in actions:
        result = record.result(spec.fixes)
        status = result.status if result else None
        if result is not None and result.status in (Status.PASS, Status.NOT_APPLICABLE) and not spec.opt_in:
            continue  # nothing to fix; an opt-in purge still covers what this plan is about to delete
        targets: tuple[Target, ...] = ()
        error = ""
        if spec.kind is Kind.AUTOMATED:
            try:
                targets = tuple(t for t in spec(tenant, scope) if not scope.protects(t.object_id, t.principal_id))
            except ClosegateError as exc:
                error = exc.one_line()
            if not targets and not error:
                continue
        items.append(PlanItem(
            action_id=spec.id, title=spec.title, fixes=spec.fixes, fix_status=status, kind=spec.kind,
            step=spec.step, reversibility=spec.reversibility, point_of_no_return=False, requires=spec.requires,
            permissions=spec.permissions, effect=spec.effect, opt_in=spec.opt_in, undo=spec.undo,
            portal_steps=spec.portal_steps, portal_link=spec.portal_link, targets=targets, planning_error=error))
    first = next((n for n, i in enumerate(items) if i.kind is Kind.AUTOMATED and i.targets
                  and i.reversibility is Reversibility.IRREVERSIBLE and not i.opt_in), None)
    if first is not None:
        items[first] = PlanItem(**{**items[first].__dict__, "point_of_no_return": True})
    return Plan(tenant_id=org.id, primary_domain=org.primary_domain, run_id=record.run_id, created=now,
                max_age_minutes=max_age_minutes, scope=scope, items=tuple(items))

