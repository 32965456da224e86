"""The source tree as the wheel installs it, for the tools that resolve imports from files on disk.

setuptools maps checks/, reporting/ and templates/ under closegate (package-dir); an editable install
resolves that with an import hook, which mypy and import-linter cannot follow. So they run on a tree of
hard links where those folders sit under closegate/, as in the wheel: building it takes milliseconds
and copies nothing. Editing a file of the tree edits the source; to change one for a test, unlink it
first.

    python -m tests.installed_tree DIR    builds DIR/closegate (and DIR/pyproject.toml) afresh
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

__all__ = ["MAPPED", "build"]

ROOT = Path(__file__).resolve().parents[1]
MAPPED = ("checks", "reporting", "templates")  # pyproject.toml [tool.setuptools.package-dir]


def _link_tree(source: Path, target: Path) -> None:
    for directory, folders, files in os.walk(source):
        folders[:] = [f for f in folders if f != "__pycache__"]
        here = target / Path(directory).relative_to(source)
        here.mkdir(parents=True, exist_ok=True)
        for name in files:
            if not name.endswith((".pyc", ".pyo")):
                os.link(Path(directory) / name, here / name)


def build(destination: Path) -> Path:
    """DIR/closegate with the mapped folders inside it; returns DIR."""
    destination = Path(destination)
    if destination.exists():
        shutil.rmtree(destination)
    _link_tree(ROOT / "closegate", destination / "closegate")
    for name in MAPPED:
        _link_tree(ROOT / name, destination / "closegate" / name)
    os.link(ROOT / "pyproject.toml", destination / "pyproject.toml")
    return destination


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.installed_tree DIR")
    print(build(Path(sys.argv[1])))
