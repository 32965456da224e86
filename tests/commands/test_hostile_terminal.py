"""A hostile tenant cannot drive the terminal: every command shows its names neutralised, piped or not.

The `hostile` scenario names the tenant, a user and an app with ESC/OSC sequences (retitle the window,
clear the screen, a fake "All checks PASS", a hyperlink), NUL, a C1 CSI, bidi overrides, a line
separator, and rich markup. Whatever a command prints, none of those characters reaches the output
raw, and markup in a name prints as the characters it is made of.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from closegate.cli import main
from closegate.emulator import Emulator

# Everything closegate.text.visible spells out, except the newline the commands end their own lines with.
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _clean(result: Any, *, command: str, data: bool = False) -> str:
    text = result.stdout + result.stderr
    found = sorted({f"U+{ord(c):04X}" for c in RAW.findall(text)})
    assert found == [], f"`closegate {command}` printed raw {found}"
    # The scenario's 10,000-character user and 500-character app names are cut with a count, never shown
    # whole (closegate.text.cut / cut_tokens); --json is the complete record, names and all.
    assert data or not re.search(r"(A{201}|C{201})", text), f"`closegate {command}` printed a name of hundreds of characters"
    return text


@pytest.fixture
def hostile(emulator_factory: Callable[..., Emulator]) -> Emulator:
    return emulator_factory("hostile")


@pytest.mark.parametrize("no_color", [True, False])
def test_no_command_prints_a_tenant_string_raw(hostile: Emulator, tmp_path: Path, no_color: bool) -> None:
    runner = CliRunner(env={"NO_COLOR": "1"} if no_color else {})
    config, out = str(hostile.config_path), tmp_path / "out"

    def run(*args: str, expect: tuple[int, ...] = (0,)) -> str:
        result = runner.invoke(main, list(args))
        assert result.exit_code in expect, result.output
        return _clean(result, command=" ".join(args[:2]), data="--json" in args)

    doctor = run("doctor", "--config", config, expect=(0, 2))
    assert "[U+001B]]0;owned[U+0007]" in doctor and "[bold red]All checks PASS[/]" in doctor
    audit = run("audit", "--config", config, "--out", str(out), "--no-reports", expect=(1,))
    assert "[U+001B]]0;owned[U+0007]" in audit and "[bold red]All checks PASS[/]" in audit
    assert re.search(r"C+…\(\+\d+ chars\)", audit)  # the app named with hundreds of Cs, cut with a count
    as_json = run("audit", "--config", config, "--out", str(tmp_path / "json"), "--json", "--no-reports", expect=(1,))
    assert "\\u001b]0;owned\\u0007" in as_json and json.loads(as_json)["tenant"]["name"].endswith("PASS[/]")
    plan = run("plan", "--config", config, "--run", str(out / "run.json"), "--out", str(out))
    assert "[U+001B]" in plan or "hostile.onmicrosoft.com" in plan
    run("remediate", "--plan", str(out / "plan.json"))
    run("remediate", "--config", config, "--plan", str(out / "plan.json"), "--apply", "--confirm",
        "hostile.onmicrosoft.com", expect=(0, 1))
    run("signoff", "--run", str(out / "run.json"), "--by", "Carla \x1b]0;x\x07Diaz", "--role", "Officer \u202eRTL")
    again = tmp_path / "again"
    run("audit", "--config", config, "--out", str(again), "--no-reports", expect=(1,))
    changed = run("diff", str(out / "run.json"), str(again / "run.json"), expect=(0, 1))
    assert changed.startswith("A: ")
    closed = run("close", "--config", config, "--run", str(out / "run.json"), "--confirm", "hostile.onmicrosoft.com",
                 expect=(1,))
    assert "gate SHUT" in closed and "[U+001B]]0;owned[U+0007]" in closed
    backup = tmp_path / "backup"
    run("backup", "--config", config, "--out", str(backup))
    attested = run("backup", "attest", "--out", str(backup), "--tool", "\x1b[2JTool", "--location", "\x00here",
                   "--by", "Dana \u202e")
    assert "[U+001B][2JTool" in attested and "[U+0000]here" in attested
