"""The import direction of docs/internals.md and STYLE.md, enforced: data flows one way.

checks see only the facade and the models; reporting sees only run records; graph knows nothing of
checks; the emulator is the other side of the wire and shares no client code (only the error tree,
so its command line fails with the same one-line errors). requests, msal and weasyprint each have
one importer.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("closegate", "checks", "reporting", "templates")


def _modules() -> Iterator[tuple[str, set[str]]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text("utf-8"), str(path))
            names: set[str] = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names.add(node.module)
            yield path.relative_to(ROOT).as_posix(), names


MODULES = dict(_modules())


def _importers(prefix: str) -> set[str]:
    return {path for path, names in MODULES.items()
            if any(n == prefix or n.startswith(prefix + ".") for n in names)}


@pytest.mark.parametrize(("library", "allowed"), [
    ("requests", "closegate/graph/"),
    ("msal", "closegate/auth.py"),
    ("weasyprint", "reporting/pdf.py"),
    ("pyrage", "closegate/backup/secrets.py"),
])
def test_each_wire_library_has_one_home(library: str, allowed: str) -> None:
    assert {p for p in _importers(library) if not p.startswith(allowed)} == set()


def test_checks_see_only_the_facade_and_models() -> None:
    forbidden = ("closegate.graph", "closegate.tenant", "closegate.auth", "closegate.config", "requests", "msal")
    offenders = {p for prefix in forbidden for p in _importers(prefix) if p.startswith("checks/")}
    assert offenders == set()


def test_reporting_reads_run_records_only() -> None:
    forbidden = ("closegate.graph", "closegate.tenant", "closegate.auth", "closegate.runner", "closegate.checks")
    offenders = {p for prefix in forbidden for p in _importers(prefix) if p.startswith("reporting/")}
    assert offenders == set()


def test_graph_knows_nothing_of_checks() -> None:
    forbidden = ("closegate.checks", "closegate.registry", "closegate.runner", "closegate.tenant",
                 "closegate.reporting")
    offenders = {p for prefix in forbidden for p in _importers(prefix) if p.startswith("closegate/graph/")}
    assert offenders == set()


def test_the_emulator_is_the_other_side_of_the_wire() -> None:
    leaks = {(path, name) for path, names in MODULES.items() if path.startswith("closegate/emulator/")
             for name in names if name.startswith("closegate.") and not name.startswith("closegate.emulator")
             and name != "closegate.errors"}
    assert leaks == set()
    # Only the commands that start it (emulator serve, demo) may import it on the client side.
    users = {p for p in _importers("closegate.emulator") if not p.startswith("closegate/emulator/")}
    assert users <= {"closegate/commands/emulator.py", "closegate/commands/demo.py"}
