"""Answers Microsoft does not give, kept on purpose for scenarios written before the realism work.

Issue 11 made the emulator answer as live Graph does: PIM needs a P2 licence, userRegistrationDetails
refuses $select (graph-facts §12.1). Today's product reads both in ways live Graph refuses, and the
scenarios and ScenarioBuilder tenants that predate the change describe tenants (a READY tenant with
no subscription left, Business Standard tenants) that would then refuse too. Those scenarios set
these switches so the existing tests keep their meaning until the product is fixed; the realistic
scenarios (`small-business`, `enterprise`) and `ScenarioBuilder.strict()` set none of them.

Every switch is a known gap between the emulator and Microsoft, listed in docs/internals.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Compat"]


@dataclass(frozen=True)
class Compat:
    # Service plans treated as held although no subscription backs them (a READY tenant has none).
    assumed_plans: frozenset[str] = frozenset()
    # Accept $select on /reports/authenticationMethods/userRegistrationDetails (Graph answers 400).
    registration_details_select: bool = False
    # Cancel and delete any Microsoft 365 subscription the old way (closegate.emulator.commerce).
    legacy_commerce: bool = False

    @classmethod
    def from_spec(cls, spec: dict[str, Any] | None) -> Compat:
        spec = spec or {}
        unknown = sorted(set(spec) - {"assumedPlans", "registrationDetailsSelect", "legacyCommerce"})
        if unknown:
            raise ValueError(f"unknown compat switch(es) {', '.join(unknown)}")
        return cls(assumed_plans=frozenset(spec.get("assumedPlans", ())),
                   registration_details_select=bool(spec.get("registrationDetailsSelect", False)),
                   legacy_commerce=bool(spec.get("legacyCommerce", False)))

    @property
    def any(self) -> bool:
        return bool(self.assumed_plans) or self.registration_details_select or self.legacy_commerce
