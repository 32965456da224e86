"""A signing setup for the CLI tests: a PKI, a READY run on disk, and the closegate.toml that signs its
PDFs and names the approvers, as an administrator would configure them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from closegate.cli import main
from closegate.commands.audit import write_run
from closegate.models import RunRecord
from closegate.registry import catalog
from closegate.runner import RunSettings, run
from tests.fakes import NOW, BackedUpTenant
from tests.reporting.pki import PASSPHRASE, Pki, make_pki
from tests.test_gate import SIGNED

__all__ = ["PASSPHRASE_ENV", "Setup", "another_ready_record", "cli", "make_setup", "ready_record"]

PASSPHRASE_ENV = {"CLOSEGATE_SIGNING_PASSPHRASE": PASSPHRASE.decode("ascii")}
APPROVERS = ({"name": "Carla Díaz", "role": "Compliance officer"}, {"name": "王小明", "role": "CISO"})


def cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env={**PASSPHRASE_ENV, **(env or {})})


def ready_record(**changes: Any) -> RunRecord:
    """A READY run of the fake tenant (a real tenant's cloud: signed approvals are required)."""
    settings = replace(RunSettings(clock=lambda: NOW, attestations=SIGNED), **changes)
    return run(BackedUpTenant(), catalog(plugins=False), settings)


def another_ready_record() -> RunRecord:
    """A second READY run of the same tenant: a minute later, so another run hash."""
    return ready_record(clock=lambda: NOW + timedelta(minutes=1))


def _toml_list(values: Sequence[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


@dataclass(frozen=True)
class Setup:
    pki: Pki
    folder: Path

    def config(self, *, allow: Sequence[str] = (), signing: bool = True, name: str = "closegate.toml") -> Path:
        lines = []
        if signing:
            lines += ["[signing]", f'key = "{self.pki.closegate.key_path}"',
                      f'certificate = "{self.pki.closegate.cert_path}"', ""]
        approvers = ", ".join(f'{{ name = "{a["name"]}", role = "{a["role"]}" }}' for a in APPROVERS)
        lines += ["[signoff]", "required = 2", f"trust_anchors = {_toml_list([str(self.pki.ca_path)])}",
                  f"allow = {_toml_list(allow)}", f"approvers = [{approvers}]", ""]
        path = self.folder / name
        path.write_text("\n".join(lines), "utf-8")
        return path

    def run_dir(self, name: str, record: RunRecord | None = None) -> Path:
        """A folder holding run.json of `record` and its signed report.pdf, written by `closegate report`."""
        out = self.folder / name
        path = write_run(record or ready_record(), out, reports=False)
        result = cli("report", str(path), "--config", str(self.config()), "--format", "pdf")
        assert result.exit_code == 0, result.output
        return out


def make_setup(folder: Path) -> Setup:
    folder.mkdir(parents=True, exist_ok=True)
    return Setup(make_pki(folder / "pki"), folder)
