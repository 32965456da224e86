"""Answers Microsoft does not give, kept on purpose for scenarios written before the realism work.

Issue 11 made the emulator answer as live Graph does: PIM needs a P2 licence, userRegistrationDetails
refuses $select (graph-facts §12.1). The product now reads both the way live Graph answers (it sends
no $select to the registration report and takes PIM's 400 without P2 as "no eligible assignment is
possible"), so no built-in scenario assumes a licence it does not hold any more. What is left:
`ScenarioBuilder` tenants assume P2 (a test tenant holds no subscription, so a real SKU would make
every check of subscriptions fail; `licence()` and `strict()` take it away), and the old commerce
rules, which the work on Microsoft 365 subscriptions (issue 12) retires.

Every switch is a known gap between the emulator and Microsoft, listed in docs/internals.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Compat"]


@dataclass(frozen=True)
class Compat:
    # Service plans treated as held although no subscription backs them (ScenarioBuilder tenants).
    assumed_plans: frozenset[str] = frozenset()
    # Cancel and delete any Microsoft 365 subscription the old way (closegate.emulator.commerce).
    legacy_commerce: bool = False

    @classmethod
    def from_spec(cls, spec: dict[str, Any] | None) -> Compat:
        spec = spec or {}
        unknown = sorted(set(spec) - {"assumedPlans", "legacyCommerce"})
        if unknown:
            raise ValueError(f"unknown compat switch(es) {', '.join(unknown)}")
        return cls(assumed_plans=frozenset(spec.get("assumedPlans", ())),
                   legacy_commerce=bool(spec.get("legacyCommerce", False)))

    @property
    def any(self) -> bool:
        return bool(self.assumed_plans) or self.legacy_commerce
