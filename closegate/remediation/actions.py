"""The `@action` mark: how a fix is declared beside the check it fixes, and how actions are collected.

Like `@check`, the decorator only attaches an `ActionSpec` to the function; nothing registers on
import. Collection walks the same explicit module list as the check catalog (`checks.BUILTIN_MODULES`),
with the same collector (closegate.marks), so every action is visible, ordered and next to its check.

An AUTOMATED action is a pure planner: given the read-only tenant facade and the `Scope` (who must
never be touched), it returns the `Target`s it would change. It never writes; the executor performs
the action's `effect` (closegate.remediation.effects) on the approved targets only. A MANUAL action
has no planner result to apply: it carries the exact portal steps, the link and the check that
confirms the step afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import ModuleType
from typing import Any

from closegate.facts import RoleAssignment, TenantReader
from closegate.marks import ACTION_MARK, collect_marks, mark_of
from closegate.models import Step
from closegate.remediation.outcomes import EffectName

__all__ = [
    "ActionSpec",
    "EffectName",
    "Kind",
    "Planner",
    "Reversibility",
    "Scope",
    "Target",
    "action",
    "action_catalog",
    "action_of",
    "collect_actions",
]

_ID = re.compile(r"^[a-z][a-z0-9_]{2,63}$")
_CHECK_ID = re.compile(r"^CG-\d{3}$|^[A-Z][A-Z0-9]{1,9}-\d{3,}$")
_PERMISSION = re.compile(r"^(graph|arm):\S+$")
BACKUP_CHECK = "CG-002"  # every deleting action waits for a verified backup (DESIGN "Action")


class Kind(Enum):
    AUTOMATED = "AUTOMATED"  # an API call the executor makes
    MANUAL = "MANUAL"  # no API exists (graph-facts §11): portal steps, then a check confirms


class Reversibility(Enum):
    REVERSIBLE = "reversible"
    SOFT_DELETED_30_DAYS = "soft-deleted for 30 days"  # restorable from the recycle bin (§2.3)
    IRREVERSIBLE = "irreversible"

    @property
    def deletes(self) -> bool:
        return self is not Reversibility.REVERSIBLE


@dataclass(frozen=True)
class Scope:
    """Who the plan protects. Every id here is excluded from every action, whatever a planner returns."""

    closing_admin_id: str | None
    caller_object_id: str
    caller_app_id: str
    protected_ids: frozenset[str]  # closing admin, caller, and (when no admin is known) every GA holder
    note: str = ""

    def protects(self, *object_ids: str | None) -> bool:
        return any(i is not None and i in self.protected_ids for i in object_ids)


@dataclass(frozen=True)
class Target:
    """One object an action touches.

    `fields` are re-read and compared right before the write: any difference means the object changed
    since the plan was approved and it is skipped. `params` are what the effect needs to build its
    request (never compared); `principal_id` names the user or app an object belongs to, so a role
    assignment of a protected principal is refused like the principal itself.
    """

    object_id: str
    label: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    principal_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"object_id": self.object_id, "label": self.label, "fields": dict(self.fields),
                "params": dict(self.params), "principal_id": self.principal_id}

    @classmethod
    def for_role_assignment(cls, a: RoleAssignment) -> Target:
        """A directory role assignment, re-checked by principal and role before it is removed."""
        return cls(a.id, f"{a.principal_display_name or a.principal_id} ({a.principal_type})",
                   {"principal_id": a.principal_id, "role_definition_id": a.role_definition_id},
                   {"principal_id": a.principal_id, "role_definition_id": a.role_definition_id,
                    "directory_scope_id": a.directory_scope_id, "principal_type": a.principal_type},
                   principal_id=a.principal_id)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Target:
        return cls(data["object_id"], data["label"], dict(data["fields"]), dict(data["params"]),
                   data.get("principal_id"))


Planner = Callable[[TenantReader, Scope], Iterable[Target]]


@dataclass(frozen=True)
class ActionSpec:
    id: str
    title: str
    fixes: str  # the check id whose FAIL this action resolves
    kind: Kind
    step: Step
    reversibility: Reversibility
    requires: tuple[str, ...]  # checks that must PASS right before it runs
    permissions: tuple[str, ...]
    function: Planner
    effect: EffectName | None = None  # AUTOMATED: the write the executor makes (remediation.effects)
    order: int = 50  # position inside its step (lower first); ties keep catalog order
    undo: str = ""  # how to reverse it, or why it cannot be
    portal_steps: tuple[str, ...] = ()  # MANUAL only
    portal_link: str = ""  # MANUAL only
    opt_in: str = ""  # a flag the operator must pass for it to run (e.g. "--purge")
    conditional_permissions: tuple[tuple[str, str], ...] = ()

    @property
    def purpose(self) -> str:
        return "remediate"

    def __call__(self, tenant: TenantReader, scope: Scope) -> Iterable[Target]:
        return self.function(tenant, scope)


def action(
    *,
    id: str,  # noqa: A002 - the issue's vocabulary
    title: str,
    fixes: str,
    kind: Kind,
    step: Step,
    reversibility: Reversibility,
    requires: tuple[str, ...] = (),
    permissions: tuple[str, ...] = (),
    effect: EffectName | None = None,
    order: int = 50,
    undo: str = "",
    portal_steps: tuple[str, ...] = (),
    portal_link: str = "",
    opt_in: str = "",
) -> Callable[[Planner], Planner]:
    """Mark a function as the action that fixes `fixes`. Returns the function unchanged."""
    if not _ID.match(id):
        raise ValueError(f"action id {id!r} must be a lower_snake_case name")
    for check_id in (fixes, *requires):
        if not _CHECK_ID.match(check_id):
            raise ValueError(f"{id}: {check_id!r} is not a check id")
    for permission in permissions:
        if not _PERMISSION.match(permission):
            raise ValueError(f"{id}: permission {permission!r} must be 'graph:<name>' or 'arm:<action>'")
    if reversibility.deletes and BACKUP_CHECK not in requires:
        raise ValueError(f"{id} deletes data, so it must require the backup check {BACKUP_CHECK}")
    if kind is Kind.AUTOMATED and effect is None:
        raise ValueError(f"{id}: an AUTOMATED action names the effect the executor performs")
    if kind is Kind.MANUAL and (not portal_steps or not portal_link):
        raise ValueError(f"{id}: a MANUAL action gives the exact portal steps and the link")

    def mark(function: Planner) -> Planner:
        spec = ActionSpec(id=id, title=title, fixes=fixes, kind=kind, step=step, reversibility=reversibility,
                          requires=tuple(requires), permissions=tuple(permissions), function=function,
                          effect=effect, order=order, undo=undo, portal_steps=tuple(portal_steps),
                          portal_link=portal_link, opt_in=opt_in)
        setattr(function, ACTION_MARK, spec)
        return function

    return mark


def action_of(function: Any) -> ActionSpec | None:
    return mark_of(function, ACTION_MARK, ActionSpec)


def collect_actions(modules: Iterable[ModuleType]) -> tuple[ActionSpec, ...]:
    """Every action marked in `modules`, in Microsoft's order: step, then `order`, then catalog order."""
    found = list(collect_marks(modules, ACTION_MARK, ActionSpec))
    ids = [s.id for s in found]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"two actions share the id {', '.join(duplicates)}")
    position = {s.id: n for n, s in enumerate(found)}
    return tuple(sorted(found, key=lambda s: (s.step, s.order, position[s.id])))


def action_catalog() -> tuple[ActionSpec, ...]:
    """The built-in actions, collected from the check modules."""
    from closegate.registry import builtin_modules

    return collect_actions(builtin_modules())


def by_id(actions: Iterable[ActionSpec]) -> Mapping[str, ActionSpec]:
    return {a.id: a for a in actions}
