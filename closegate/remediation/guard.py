"""What the executor may touch and whom it must never touch, re-derived from the tenant, never from a plan.

A plan is a proposal, the way Terraform treats a saved plan: whoever can edit the file could aim it at
the closing administrator's Global Administrator assignment, add targets, or drop the administrator
from `protected_ids` (issue 18). So the executor asks a guard, and the guard asks the tenant and the
configuration:

- `authority(item)`: is the item closegate's own action? Its effect, step, requirements and opt-in
  must be the catalog's; the executor then enforces the catalog's, never the file's.
- `planned(item)`, before the item's first write: which objects would a fresh plan from a fresh read
  of the tenant contain? Only those are written, and each request is built from the fresh target, so
  nothing from the file (an id in `params` included) reaches a request.
- `protected()`, before every destructive batch: the closing administrator (the signed-in user, else
  the one `[tenant] closing_admin` or `--closing-admin` names, else every Global Administrator), the
  caller, and closegate's own app registration and service principal, read from the tenant now. The
  batch's re-read says whom each object belongs to (a role assignment's or eligibility's principal, an
  app's appId); the executor refuses an object that is one of them or belongs to one of them.

The closing administrator's *id* is resolved once per run, live, from the configuration's UPN (a full
user read per batch would multiply the reads of a large tenant for an id that cannot change); who the
caller is, closegate's own objects and, with no administrator known, every Global Administrator are
read again before every batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from closegate.closing_admin import human_global_admin_ids
from closegate.errors import ClosegateError
from closegate.facts import APPLICATIONS, CALLER, SERVICE_PRINCIPALS, TenantReader
from closegate.remediation.actions import ActionSpec, EffectName, Kind, Target, action_catalog
from closegate.remediation.plan import PlanItem, resolve_scope

__all__ = ["PROTECTED", "RELEASE_ACTION", "Authority", "Guard", "LiveGuard", "OwnRegistrationGuard", "Protected"]

RELEASE_ACTION = "delete_closegate_registration"  # the final step's last call (closegate.closure.final_step)
PROTECTED = "protected: the closing administrator, the caller and closegate's own app are never modified"
_RELEASE_EFFECTS = (EffectName.DELETE_APPLICATION, EffectName.DELETE_SERVICE_PRINCIPAL)


@dataclass(frozen=True)
class Protected:
    """Who is protected right now: these objects, everything belonging to them, and apps of `app_id`."""

    ids: frozenset[str]
    app_id: str = ""  # closegate's own app id ("" when releasing closegate's own registration)

    def refuses(self, target: Target, current: Mapping[str, Any] | None = None) -> bool:
        current = current or {}
        owners = {target.object_id, target.principal_id, current.get("principal_id")}
        return bool(owners & self.ids) or (bool(self.app_id) and current.get("app_id") == self.app_id)


@dataclass(frozen=True)
class Authority:
    """What closegate's own action for a plan item is allowed to do (or why the item is refused)."""

    effect: EffectName | None = None
    requires: tuple[str, ...] = ()
    opt_in: str = ""
    refused: str = ""

    @classmethod
    def refuse(cls, why: str) -> Authority:
        return cls(refused=why)


class Guard(Protocol):
    def authority(self, item: PlanItem) -> Authority: ...

    def planned(self, item: PlanItem) -> Mapping[str, Target]: ...

    def protected(self) -> Protected: ...


def _own_objects(reader: TenantReader, app_id: str) -> set[str]:
    return ({a.id for a in reader.read(APPLICATIONS) if a.app_id == app_id}
            | {sp.id for sp in reader.read(SERVICE_PRINCIPALS) if sp.app_id == app_id})


def _admins(reader: TenantReader, closing_admin_id: str | None) -> set[str]:
    # With no closing administrator known, any Global Administrator may be the one: protect them all.
    return {closing_admin_id} if closing_admin_id else set(human_global_admin_ids(reader))


@dataclass(frozen=True)
class LiveGuard:
    """The guard of `remediate --apply` and of the final step's clean-up, over fresh tenant views."""

    reader: Callable[[], TenantReader]  # a fresh (uncached) view of the tenant per call
    closing_admin_upn: str | None  # --closing-admin; None: the configuration's ([tenant] closing_admin)
    closing_admin_id: str | None  # resolved live from it (`resolve`); None: none is known
    actions: Mapping[str, ActionSpec] = field(default_factory=lambda: {a.id: a for a in action_catalog()})

    @classmethod
    def resolve(cls, reader: Callable[[], TenantReader], closing_admin_upn: str | None,
                actions: Sequence[ActionSpec] | None = None) -> LiveGuard:
        """Resolve the closing administrator now (ConfigError for a named account that cannot be it)."""
        scope = resolve_scope(reader(), closing_admin_upn)
        catalog = {a.id: a for a in (actions if actions is not None else action_catalog())}
        return cls(reader, closing_admin_upn, scope.closing_admin_id, catalog)

    def authority(self, item: PlanItem) -> Authority:
        spec = self.actions.get(item.action_id)
        if spec is None or spec.kind is not Kind.AUTOMATED or spec.effect is None:
            return Authority.refuse(f"closegate has no automated action {item.action_id!r}")
        differs = [name for name, mine, theirs in (
            ("effect", spec.effect, item.effect), ("step", spec.step, item.step), ("opt-in", spec.opt_in, item.opt_in),
            ("required checks", set(spec.requires), set(item.requires))) if mine != theirs]
        if differs:
            return Authority.refuse(f"the plan's {item.action_id} differs from closegate's action "
                                    f"({', '.join(differs)})")
        return Authority(spec.effect, spec.requires, spec.opt_in)

    def planned(self, item: PlanItem) -> Mapping[str, Target]:
        spec = self.actions[item.action_id]
        reader = self.reader()
        scope = resolve_scope(reader, self.closing_admin_upn)
        if scope.closing_admin_id != self.closing_admin_id:
            raise ClosegateError("the closing administrator the tenant and configuration name changed during the run",
                                 "plan again")
        return {t.object_id: t for t in spec(reader, scope) if not scope.protects(t.object_id, t.principal_id)}

    def protected(self) -> Protected:
        reader = self.reader()
        caller = reader.read(CALLER)
        ids = {caller.object_id} | _own_objects(reader, caller.app_id) | _admins(reader, self.closing_admin_id)
        return Protected(frozenset(ids), caller.app_id)


@dataclass(frozen=True)
class OwnRegistrationGuard:
    """The guard of the final step's last call: the one write that deletes closegate's own registration.

    Everything else stays protected (the closing administrator, a signed-in caller); the only object it
    clears is the registration of the app closegate is signed in as, found in the tenant now."""

    reader: Callable[[], TenantReader]
    closing_admin_id: str | None

    def authority(self, item: PlanItem) -> Authority:
        if item.action_id != RELEASE_ACTION or item.effect not in _RELEASE_EFFECTS or item.requires or item.opt_in:
            return Authority.refuse(f"{item.action_id} is not the release of closegate's own registration")
        return Authority(item.effect)

    def planned(self, item: PlanItem) -> Mapping[str, Target]:
        reader = self.reader()
        caller = reader.read(CALLER)
        apps = [a for a in reader.read(APPLICATIONS) if a.app_id == caller.app_id]
        if apps:  # deleting the application also removes its service principal here (graph-facts §6)
            found = [(EffectName.DELETE_APPLICATION, a.id, a.display_name, a.app_id) for a in apps]
        else:
            found = [(EffectName.DELETE_SERVICE_PRINCIPAL, sp.id, sp.display_name, sp.app_id)
                     for sp in reader.read(SERVICE_PRINCIPALS) if sp.app_id == caller.app_id]
        return {oid: Target(oid, name, {"app_id": app_id, "display_name": name})
                for effect, oid, name, app_id in found if effect is item.effect}

    def protected(self) -> Protected:
        reader = self.reader()
        caller = reader.read(CALLER)
        ids = _admins(reader, self.closing_admin_id) | ({caller.object_id} if caller.kind == "user" else set())
        return Protected(frozenset(ids))
