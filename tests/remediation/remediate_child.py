"""Runs `remediate --apply` in its own process so a test can kill -9 it at any point.

Usage: python -m tests.remediation.remediate_child CONFIG PLAN DOMAIN WINDOW
It goes through the same `apply_plan` as the CLI, with a reader whose backup check passes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from closegate.remediation.executor import ExecutionOptions
from closegate.remediation.workflow import apply_plan
from tests.remediation.helpers import session_for


def main(argv: list[str]) -> int:
    config, plan, domain, window = Path(argv[0]), Path(argv[1]), argv[2], int(argv[3])
    # The plan names the closing admin; so does the emulator's closegate.toml, which the executor trusts.
    reports = apply_plan(plan, session_for(config, config_admin=True), confirm=domain,
                         options=ExecutionOptions(window=window))
    return 1 if any(r.failed for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
