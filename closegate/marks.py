"""Collecting what a decorator marked: one walk of the check modules for checks and actions alike.

As in pluggy and pytest, `@check` and `@action` only attach a spec to the function under an attribute
named here; importing a module registers nothing. Collection is this separate, explicit step over a
given list of modules (the built-in catalog, or a plugin's module), in definition order, taking only
functions defined in the module itself (an import of another module's check is not collected twice).
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Any, TypeVar

__all__ = ["ACTION_MARK", "CHECK_MARK", "collect_marks", "mark_of"]

CHECK_MARK = "__closegate_check__"
ACTION_MARK = "__closegate_action__"

T = TypeVar("T")


def mark_of(function: Any, attribute: str, kind: type[T]) -> T | None:
    spec = getattr(function, attribute, None)
    return spec if isinstance(spec, kind) else None


def collect_marks(modules: Iterable[ModuleType], attribute: str, kind: type[T]) -> tuple[T, ...]:
    """Every `kind` marked under `attribute` on a function defined in one of `modules`."""
    found: list[T] = []
    for module in modules:
        for value in vars(module).values():
            spec = mark_of(value, attribute, kind)
            if spec is not None and getattr(value, "__module__", None) == module.__name__:
                found.append(spec)
    return tuple(found)
