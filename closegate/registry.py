"""The `@check` mark and the collection of marked checks into a catalog.

As in pluggy/pytest, the decorator only attaches a `CheckSpec` to the function; importing a module
registers nothing, so a check stays a plain function a test can call. Collection is a separate,
explicit step: the built-in modules listed in `checks.BUILTIN_MODULES`, then whatever third parties
publish under the entry-point group "closegate.checks" (a module, or a single marked function).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

from closegate.facts import Fact, TenantReader
from closegate.marks import CHECK_MARK, collect_marks, mark_of
from closegate.models import Outcome, Severity, Step

__all__ = [
    "ENTRY_POINT_GROUP",
    "Catalog",
    "CheckFunction",
    "CheckSpec",
    "builtin_modules",
    "catalog",
    "check",
    "collect",
    "spec_of",
]

ENTRY_POINT_GROUP = "closegate.checks"
_ID = re.compile(r"^CG-\d{3}$|^[A-Z][A-Z0-9]{1,9}-\d{3,}$")  # third parties use their own prefix
_PERMISSION = re.compile(r"^(graph|arm):\S+$")

CheckFunction = Callable[[TenantReader], Outcome]


@dataclass(frozen=True)
class CheckSpec:
    """Everything the runner, the gate, the doctor and the reports need to know about one check."""

    id: str
    title: str
    severity: Severity
    blocking: bool
    step: Step
    permissions: tuple[str, ...]  # its own and its facts': "graph:User.Read.All", "arm:Microsoft.Resources/..."
    doc_url: str
    why: str
    fix: str  # an automated action's name, or exact portal steps with the portal link
    function: CheckFunction
    version: str = "1"
    attestable: bool = False  # only a human can confirm it (no API); `closegate attest` accepts it
    conditional_permissions: tuple[tuple[str, str], ...] = ()  # (permission, when it is needed)
    reads: tuple[Fact[Any], ...] = ()  # the facts it reads: the runner prefetches them
    records: bool = False  # in the "Records and legal" section: what closing destroys beyond Microsoft's list
    legal_signoff: bool = False  # the gate accepts its FAIL when a legal sign-off is bound to the run

    def __call__(self, tenant: TenantReader) -> Outcome:
        return self.function(tenant)

    @property
    def purpose(self) -> str:
        return "audit"


def check(
    *,
    id: str,  # noqa: A002 - the issue's vocabulary: a check has an id
    title: str,
    severity: Severity,
    blocking: bool,
    step: Step,
    doc_url: str,
    why: str,
    fix: str,
    version: str = "1",
    attestable: bool = False,
    reads: tuple[Fact[Any], ...] = (),
    permissions: tuple[str, ...] = (),
    conditional_permissions: tuple[tuple[str, str], ...] = (),
    records: bool = False,
    legal_signoff: bool = False,
) -> Callable[[CheckFunction], CheckFunction]:
    """Mark a function as a check. Returns the function unchanged (no registration happens).

    A check needs the permissions of the facts it reads; `permissions` adds any it needs beyond them.
    """
    if not _ID.match(id):
        raise ValueError(f"check id {id!r} is not of the form CG-NNN")
    for permission in (*permissions, *(p for p, _ in conditional_permissions)):
        if not _PERMISSION.match(permission):
            raise ValueError(f"{id}: permission {permission!r} must be 'graph:<name>' or 'arm:<action>'")

    if not all(isinstance(fact, Fact) for fact in reads):
        raise ValueError(f"{id}: reads= names closegate.facts Fact constants")
    needs = tuple(dict.fromkeys((*(p for fact in reads for p in fact.permissions), *permissions)))
    conditional = tuple(dict.fromkeys((*(c for fact in reads for c in fact.conditional_permissions),
                                       *conditional_permissions)))

    def mark(function: CheckFunction) -> CheckFunction:
        spec = CheckSpec(
            id=id, title=title, severity=severity, blocking=blocking, step=step,
            permissions=needs, doc_url=doc_url, why=why, fix=fix, function=function,
            version=version, attestable=attestable, conditional_permissions=conditional, reads=tuple(reads),
            records=records, legal_signoff=legal_signoff,
        )
        setattr(function, CHECK_MARK, spec)
        return function

    return mark


def spec_of(function: Any) -> CheckSpec | None:
    return mark_of(function, CHECK_MARK, CheckSpec)


def collect(modules: Iterable[ModuleType]) -> tuple[CheckSpec, ...]:
    """Every check marked in the given modules, in module order."""
    return collect_marks(modules, CHECK_MARK, CheckSpec)


@dataclass(frozen=True)
class Catalog:
    """The full, ordered set of checks; the gate judges a run against this, never against the run alone."""

    checks: tuple[CheckSpec, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for spec in self.checks:
            if spec.id in seen:
                raise ValueError(f"two checks share the id {spec.id}")
            seen.add(spec.id)
        object.__setattr__(self, "checks", tuple(sorted(self.checks, key=lambda s: (s.step, s.id))))

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.checks)

    def __len__(self) -> int:
        return len(self.checks)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.checks)

    def get(self, check_id: str) -> CheckSpec | None:
        return next((s for s in self.checks if s.id == check_id), None)

    @property
    def blocking(self) -> tuple[CheckSpec, ...]:
        return tuple(s for s in self.checks if s.blocking)


def builtin_modules() -> tuple[ModuleType, ...]:
    from closegate.checks import BUILTIN_MODULES

    return tuple(importlib.import_module(f"closegate.checks.{name}") for name in BUILTIN_MODULES)


def _plugin_checks() -> tuple[CheckSpec, ...]:
    found: list[CheckSpec] = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        loaded = entry.load()
        if isinstance(loaded, ModuleType):
            found.extend(collect([loaded]))
            continue
        spec = spec_of(loaded)
        if spec is None:
            raise ValueError(f"entry point {entry.name!r} in {ENTRY_POINT_GROUP} is neither a module nor a @check")
        found.append(spec)
    return tuple(found)


def catalog(*, plugins: bool = True) -> Catalog:
    """The built-in checks, plus third-party ones published through entry points."""
    specs = collect(builtin_modules())
    return Catalog(specs + (_plugin_checks() if plugins else ()))
