"""The mark that ties a fact to the one facade method that reads it (closegate.tenant and its mixins).

A separate module so the facade's reader mixins (closegate.tenant_records) can mark their methods
without importing the facade they are mixed into.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from closegate import facts as f

__all__ = ["READERS", "reads"]

READERS: dict[f.Fact[Any], str] = {}


def reads(fact: f.Fact[Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark the method that reads `fact` (subclasses may override it under the same name)."""
    def mark(method: Callable[..., Any]) -> Callable[..., Any]:
        if fact in READERS:
            raise ValueError(f"two readers for {fact!r}")
        READERS[fact] = method.__name__
        return method
    return mark
