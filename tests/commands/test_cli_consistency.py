"""The CLI reads as one tool: same option names, an example in every --help, JSON where scripts need it,
and plain text (no ANSI codes, no progress bars) whenever output is not a terminal."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from closegate.cli import main

ANSI = "\x1b["
# A second spelling of something the CLI already names: the first spelling is the one to use.
SYNONYMS = {"--config-file": "--config", "--cfg": "--config", "--output": "--out", "--output-dir": "--out",
            "--dir": "--out", "--json-output": "--json", "--pubkey": "--public-key", "--yes": "--confirm",
            "--plan-file": "--plan", "--run-file": "--run"}


def commands(group: click.Command = main, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    yield " ".join(("closegate", *path)), group
    if isinstance(group, click.Group):
        for name, command in sorted(group.commands.items()):
            yield from commands(command, (*path, name))


@pytest.fixture(autouse=True)
def _no_ambient(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("AZURE_CLIENT_SECRET", raising=False)


@pytest.mark.parametrize("name", [name for name, _ in commands()])
def test_every_command_has_an_example_in_its_help(name: str) -> None:
    result = CliRunner().invoke(main, [*name.split()[1:], "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output, f"`{name} --help` shows no example"


def test_options_use_one_spelling_across_commands() -> None:
    for name, command in commands():
        for param in command.params:
            if isinstance(param, click.Option):
                primary = next(o for o in param.opts if o.startswith("--")) if any(
                    o.startswith("--") for o in param.opts) else param.opts[0]
                assert primary not in SYNONYMS, f"{name}: use {SYNONYMS[primary]} instead of {primary}"
                if param.name in ("config", "config_path"):
                    assert primary == "--config", name
                if param.name == "as_json":
                    assert primary == "--json", name


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_json_output_of_audit_doctor_plan_and_verify(emulator_factory: Callable[..., Any], tmp_path: Path) -> None:
    emu = emulator_factory("demo")
    config, out = str(emu.config_path), tmp_path / "out"
    audit = run("audit", "--config", config, "--out", str(out), "--json", "--no-reports")
    assert audit.exit_code == 1
    record = json.loads(audit.stdout)
    assert record["verdict"] == "NOT_READY" and record["results"]

    doctor = run("doctor", "--config", config, "--json")
    assert "missing" in json.loads(doctor.stdout)

    plan = run("plan", "--config", config, "--run", str(out / "run.json"), "--out", str(out), "--json")
    assert plan.exit_code == 0, plan.stderr
    data = json.loads(plan.stdout)
    assert data["plan_hash"] and data["items"] and data["run_id"] == record["run_id"]
    assert json.loads((out / "plan.json").read_text(encoding="utf-8"))["plan_hash"] == data["plan_hash"]

    verify = run("verify", str(out / "run.json"), "--json")
    assert verify.exit_code == 0 and json.loads(verify.stdout)["verified"] is True


def test_piped_output_has_no_ansi_codes_and_no_progress_bars(emulator: Any, tmp_path: Path) -> None:
    result = run("audit", "--config", str(emulator.config_path), "--out", str(tmp_path / "out"), "--no-reports")
    assert result.exit_code == 1
    assert "verdict: NOT READY" in result.stdout
    assert ANSI not in result.stdout and ANSI not in result.stderr
    assert "━" not in result.stderr  # rich's bar glyph: bars are for terminals only


def test_no_color_is_honoured_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    monkeypatch.setenv("NO_COLOR", "1")
    sink = io.StringIO()
    Console(file=sink, force_terminal=True, width=80).print("[red]NOT READY[/]")
    assert "NOT READY" in sink.getvalue() and "\x1b[31" not in sink.getvalue()


def test_every_command_module_on_disk_is_listed_in_the_cli() -> None:
    from closegate.cli import COMMAND_MODULES

    on_disk = {f"closegate.commands.{p.stem}" for p in (Path(__file__).resolve().parents[2] / "closegate" / "commands")
               .glob("*.py") if not p.stem.startswith("_")}
    assert on_disk == set(COMMAND_MODULES)


@pytest.mark.parametrize(("name", "command"), list(commands()))
def test_every_option_says_what_it_does(name: str, command: click.Command) -> None:
    silent = [p.opts[0] for p in command.params if isinstance(p, click.Option) and not p.hidden and not p.help]
    assert silent == [], f"{name}: options without help text"


def test_help_lists_the_commands_in_the_order_a_tenant_is_closed() -> None:
    text = CliRunner().invoke(main, ["--help"]).output
    listed = [line.split()[0] for line in text.split("Commands:")[1].splitlines() if line.strip()]
    order = ["init", "permissions", "doctor", "backup", "audit", "plan", "remediate", "signoff", "close"]
    assert [c for c in listed if c in order] == order
    assert listed[-2:] == ["demo", "emulator"]
