"""The checks an action requires, judged on the live tenant right before it runs.

Remediation (`remediate --apply`) and the final step (`close`) both gate each destructive item on
checks that must PASS now, not in the run the plan came from: a backup that was fine an hour ago may
be gone. One evaluator serves both; it runs each named check at most once per evaluator, on a fresh
facade, through the runner (so a check that cannot decide is ERROR, never PASS).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from closegate.facts import TenantReader
from closegate.models import Status

__all__ = ["Requirements", "live_requirements"]

Requirements = Callable[[Sequence[str]], Mapping[str, Status]]  # check ids -> status on a fresh run


def live_requirements(reader: Callable[[], TenantReader], tenant_id: str) -> Requirements:
    """An evaluator that runs the named checks now (once each) on `reader()`."""
    from closegate.registry import catalog
    from closegate.runner import RunSettings, run

    seen: dict[str, Status] = {}

    def evaluate(ids: Sequence[str]) -> Mapping[str, Status]:
        missing = [i for i in dict.fromkeys(ids) if i not in seen]
        if missing:
            record = run(reader(), catalog(), RunSettings(only=missing, tenant_id=tenant_id))
            seen.update({r.check_id: r.status for r in record.results})
        return {i: seen.get(i, Status.ERROR) for i in ids}

    return evaluate
