"""A non-editable install works: build the wheel, install it into a fresh venv, run `closegate demo`.

Editable installs and PYTHONPATH hide packaging mistakes (a template or scenario file missing from
package data, a package missing from the explicit list). So the wheel is built from a copy of the
source, installed alone into a new venv that borrows only the test venv's third-party packages
(never the source tree), and the demo runs from a directory outside the repository. Nothing touches
the network: the build uses the installed setuptools (--no-build-isolation) and pip runs --no-index.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The top-level layout DESIGN.md fixes; anything else in the repository is not shipped.
SOURCES = ("pyproject.toml", "README.md", "closegate", "checks", "reporting", "templates")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV"))}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", NO_COLOR="1")
    return env


def _run(args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, src / name)
    dist = tmp_path_factory.mktemp("dist")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index",
                  "-q", "-w", str(dist), str(src)], cwd=src, timeout=120)
    assert built.returncode == 0, built.stderr[-3000:]
    (path,) = dist.glob("closegate-*.whl")
    return path


def test_the_wheel_ships_templates_schemas_and_scenarios(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in (ROOT / "templates").iterdir():
        if data.is_file() and data.suffix in {".j2", ".css", ".html", ".toml"}:
            assert f"closegate/templates/{data.name}" in names, data.name
    for data in (ROOT / "closegate" / "schemas").glob("*.json"):
        assert f"closegate/schemas/{data.name}" in names
    for data in (ROOT / "closegate" / "emulator" / "scenarios").glob("*.json"):
        assert f"closegate/emulator/scenarios/{data.name}" in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "closegate = closegate.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    # Every Python package on disk is in the explicit list (and so in the wheel).
    for init in ROOT.glob("closegate/**/__init__.py"):
        assert init.relative_to(ROOT).as_posix() in names, init
    for package in ("checks", "reporting", "templates"):
        # Installed under closegate (package-dir), never as a top-level name of their own.
        assert f"closegate/{package}/__init__.py" in names, package
        assert not any(n.startswith(f"{package}/") for n in names), package


@pytest.mark.slow
def test_closegate_demo_runs_from_a_plain_install_outside_the_repository(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path, timeout=60)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                      "-q", str(wheel)], cwd=tmp_path, timeout=120)
    assert installed.returncode == 0, installed.stderr[-3000:]
    # Borrow the test venv's third-party packages; a .pth line adds the directory without running its
    # own .pth files, so an editable closegate in the test venv cannot leak into this one.
    target = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                       cwd=tmp_path, timeout=30).stdout.strip())
    deps = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (target / "_closegate_test_deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")

    where = _run([str(python), "-c", "import closegate, closegate.templates as t; print(closegate.__file__, t.__file__)"],
                 cwd=tmp_path, timeout=30)
    assert where.returncode == 0 and str(ROOT) not in where.stdout and str(venv) in where.stdout, where

    elsewhere = tmp_path / "operator"
    elsewhere.mkdir()
    # The timeout is a hang guard: the demo takes ~40 s idle, minutes on a loaded machine.
    demo = _run([str(venv / "bin" / "closegate"), "demo", "--out", "demo-output"], cwd=elsewhere, timeout=600)
    assert demo.returncode == 0, (demo.stdout[-4000:], demo.stderr[-4000:])
    out = elsewhere / "demo-output"
    after = out / "4-audit-after"
    for artifact in ("run.json", "report.html", "report.pdf", "junit.xml"):
        assert (after / artifact).is_file(), artifact
    # The demo tenant's active legal hold keeps the final run NOT READY on CG-019 alone; the legal
    # sign-off lets the gate open, so the GO certificate is there (tests/commands/test_demo.py has the rest).
    final = json.loads((after / "run.json").read_text(encoding="utf-8"))
    assert final["verdict"] == "NOT_READY" and (after / "go-certificate.json").is_file()
    assert (out / "1-audit-before" / "report.pdf").read_bytes().startswith(b"%PDF-")
    assert "\x1b[" not in demo.stdout  # NO_COLOR and a pipe: plain text
