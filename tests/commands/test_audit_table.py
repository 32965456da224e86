"""The audit table on a colour terminal: an advisory FAIL is coloured apart from a blocking FAIL."""

from __future__ import annotations

import io
import re

from rich.console import Console

from closegate.commands.audit import print_record
from closegate.facts import USERS, DeletedItem
from closegate.registry import catalog
from closegate.runner import RunSettings, run
from tests.fakes import NOW, BackedUpTenant, user


def _table() -> str:
    tenant = BackedUpTenant().with_(users=(*BackedUpTenant().read(USERS), user("bob@contoso.com")),
                                    deleted_users=(DeletedItem("d1", "user", "Lee Leaver", NOW),))
    record = run(tenant, catalog(plugins=False), RunSettings(clock=lambda: NOW))
    assert {r.check_id: (r.status.value, r.blocking) for r in record.results
            if r.check_id in ("CG-004", "CG-017")} == {"CG-004": ("FAIL", True), "CG-017": ("FAIL", False)}
    buffer = io.StringIO()
    print_record(record, Console(file=buffer, force_terminal=True, color_system="256", width=240))
    return buffer.getvalue()


def test_an_advisory_fail_is_coloured_apart_from_a_blocking_fail() -> None:
    table = _table()
    assert re.search(r"\x1b\[31mFAIL +\x1b\[0m", table)  # blocking: red
    assert "\x1b[38;5;208mFAIL (advisory)\x1b[0m" in table  # advisory: orange
    assert "\x1b[31mFAIL (advisory)" not in table
