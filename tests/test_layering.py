"""The import direction of docs/internals.md, enforced by import-linter's contracts in pyproject.toml.

checks see only the facade and the models; reporting renders run records and talks to no tenant; the
engine reads its own records and rules, never through reporting, and only the catalog loads check
modules; graph knows nothing of checks; the emulator is the other side of the wire; requests, msal,
WeasyPrint and the PDF libraries each have one home. The contracts run on the installed layout
(tests/installed_tree.py), and one test plants the mistakes each contract was written against to
prove it would have failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.installed_tree import build

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# (file in the installed tree, an import it must never make, the contract that refuses it)
MISTAKES = [
    ("closegate/remediation/plan.py", "from closegate.checks.single_global_admin import single_global_admin",
     "only the catalog loads check modules"),
    ("closegate/closure/signoffs.py", "from closegate.reporting.view import build",
     "the engine reads its own records and rules, never through reporting"),
    ("closegate/records.py", "import closegate.reporting.integrity",
     "the engine reads its own records and rules, never through reporting"),
    ("closegate/checks/no_other_users.py", "import closegate.tenant", "checks see only the tenant facade"),
    ("closegate/reporting/view.py", "import closegate.graph", "reporting renders run records"),
    ("closegate/graph/client.py", "import closegate.facts", "graph knows nothing of checks"),
    ("closegate/emulator/state.py", "import closegate.models", "the emulator is the other side of the wire"),
    ("closegate/tenant.py", "import requests", "requests has one home"),
    ("closegate/backup/export.py", "import weasyprint", "WeasyPrint has one home"),
    ("closegate/commands/audit.py", "import pypdf", "PDF signing and reading stay in reporting"),
    ("closegate/backup/export.py", "import pyrage", "age encryption has one home"),
]


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_every_import_contract_is_kept(tmp_path: Path) -> None:
    result = _lint(build(tmp_path / "tree"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " 0 broken" in result.stdout


def test_each_contract_refuses_the_mistake_it_was_written_for(tmp_path: Path) -> None:
    tree = build(tmp_path / "tree")
    for relative, line, _ in MISTAKES:
        path = tree / relative
        text = path.read_text(encoding="utf-8")
        path.unlink()  # a hard link to the source: write a new file, never through the link
        head, sep, rest = text.partition("from __future__ import annotations\n")
        path.write_text(head + sep + line + "\n" + rest, encoding="utf-8")
    result = _lint(tree)
    assert result.returncode != 0
    broken = {line.split(" BROKEN")[0] for line in result.stdout.splitlines() if line.endswith("BROKEN")}
    for relative, _, contract in MISTAKES:
        assert any(name.startswith(contract) for name in broken), (relative, contract, sorted(broken))


@pytest.mark.parametrize("package", ["checks", "reporting", "templates"])
def test_the_installed_tree_holds_the_mapped_folders_under_closegate(tmp_path: Path, package: str) -> None:
    tree = build(tmp_path / "tree")
    assert (tree / "closegate" / package / "__init__.py").is_file()
    assert not (tree / package).exists()
