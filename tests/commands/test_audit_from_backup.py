"""`closegate audit --from-backup DIR`: every check evaluated offline from a verified backup, no tenant touched.

The backup is taken from the emulator through the CLI, as an operator would in step 0; the offline audit
then runs with and without a configuration, and the emulator's request log proves nothing reached it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from closegate import facts as f
from closegate.backup.jsonl import iter_records
from closegate.backup.offline import open_offline
from closegate.cli import main
from closegate.digests import digest
from closegate.emulator import Emulator
from closegate.errors import NotInBackup
from closegate.gate import decide
from closegate.models import RunRecord
from closegate.registry import catalog
from closegate.session import open_session

# Every fact a backup holds, read through the same parsers as Graph's live answers.
FACTS = (f.ORGANIZATION, f.USERS, f.GROUPS, f.GLOBAL_ADMINS, f.GLOBAL_ADMIN_ELIGIBILITIES, f.ROLE_ASSIGNMENTS,
         f.SUBSCRIBED_SKUS,
         f.COMPANY_SUBSCRIPTIONS, f.PER_USER_MFA, f.SECURITY_DEFAULTS, f.CONDITIONAL_ACCESS_POLICIES,
         f.REGISTRATION_DETAILS, f.APPLICATIONS, f.SERVICE_PRINCIPALS, f.DOMAINS, f.USAGE_MAILBOX, f.USAGE_ONEDRIVE,
         f.USAGE_SHAREPOINT, f.B2C_INVENTORY, f.DEVICES, f.MANAGED_DEVICES, f.AUTOPILOT_DEVICES, f.BITLOCKER_KEYS)


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def backed_up(emulator_factory: Callable[..., Emulator], tmp_path: Path) -> tuple[Emulator, Path]:
    emu = emulator_factory("demo")
    emu.operator.set_limits(ca_requests_per_second=None)
    result = _cli("backup", "--config", str(emu.config_path), "--out", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    return emu, tmp_path / "backup"


def _results(path: Path) -> dict[str, dict[str, Any]]:
    return {r["check_id"]: r for r in json.loads(path.read_text("utf-8"))["results"]}


def test_an_offline_audit_sends_no_request_to_the_tenant_and_records_its_manifest(
        backed_up: tuple[Emulator, Path], tmp_path: Path) -> None:
    emu, backup = backed_up
    before = len(emu.operator.request_log())
    result = _cli("audit", "--config", str(emu.config_path), "--from-backup", str(backup), "--out",
                  str(tmp_path / "offline"), "--no-reports")
    assert len(emu.operator.request_log()) == before, "the offline audit reached the tenant"
    assert result.exit_code == 1, result.output  # the demo as backed up: NOT READY
    record = json.loads((tmp_path / "offline" / "run.json").read_text("utf-8"))
    manifest = json.loads((backup / "manifest.json").read_text("utf-8"))
    assert record["offline"] == {"backup": str(backup.resolve()),
                                 "manifest_sha256": hashlib.sha256((backup / "manifest.json").read_bytes()).hexdigest(),
                                 "taken": manifest["started"]["tenant_clock"], "tenant_id": emu.tenant_id}
    assert record["tenant_clock"] == manifest["started"]["tenant_clock"] and record["request_stats"] == {}
    assert "offline: evaluated from the backup in" in result.output and "cannot open the gate" in result.output


def test_an_offline_audit_needs_no_configuration_and_no_credentials(
        backed_up: tuple[Emulator, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, backup = backed_up
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("AZURE_")]:
        monkeypatch.delenv(name)
    result = _cli("audit", "--from-backup", str(backup), "--out", "offline", "--no-reports")
    assert result.exit_code == 1, result.output
    assert _results(tmp_path / "offline" / "run.json")["CG-005"]["status"] == "FAIL"  # sync on, from the backup


def test_facts_the_backup_lacks_are_error_naming_why_and_the_rest_is_decided(
        backed_up: tuple[Emulator, Path], tmp_path: Path) -> None:
    emu, backup = backed_up
    live, offline = tmp_path / "live", tmp_path / "offline"
    assert _cli("audit", "--config", str(emu.config_path), "--out", str(live), "--no-reports").exit_code == 1
    assert _cli("audit", "--config", str(emu.config_path), "--from-backup", str(backup), "--out", str(offline),
                "--no-reports").exit_code == 1
    was, now = _results(live / "run.json"), _results(offline / "run.json")
    azure = now["CG-011"]
    assert azure["status"] == "ERROR" and azure["error"]["kind"] == "NotInBackup"
    assert "a backup exports the directory, not Azure Resource Manager" in azure["message"]
    # Retention labels refuse an app token: the backup recorded the refusal, and the check says so.
    assert now["CG-021"]["status"] == "ERROR" and "when it was taken, the tenant answered" in now["CG-021"]["message"]
    # What the backup holds is decided as live, from the same facts.
    for check_id in ("CG-005", "CG-006", "CG-007", "CG-012", "CG-016", "CG-022", "CG-023"):
        assert now[check_id]["status"] == was[check_id]["status"], check_id


@pytest.mark.parametrize("scenario", ["demo", "small-business"])  # small-business: no P2, no premium reports
def test_the_backup_answers_each_fact_it_holds_as_the_live_tenant_does(
        emulator_factory: Callable[..., Emulator], tmp_path: Path, scenario: str) -> None:
    emu = emulator_factory(scenario)
    emu.operator.set_limits(ca_requests_per_second=None)
    backup = tmp_path / "backup"
    assert _cli("backup", "--config", str(emu.config_path), "--out", str(backup)).exit_code == 0
    live, offline = open_session(emu.config_path).reader(), open_offline(backup)
    # Intune answers 403 without its licence: the live reader names the refusal (from the SKUs in force);
    # the backup only recorded that the source was not available, so offline it is ERROR (fail closed).
    refused = {"demo": set(), "small-business": {"managed_devices", "autopilot_devices"}}[scenario]
    same, missing = [], []
    for fact in FACTS:
        try:
            answer = offline.read(fact)
        except NotInBackup:
            missing.append(fact.name)
            continue
        if digest(live.read(fact)) == digest(answer):
            same.append(fact.name)
    assert set(missing) == refused
    assert same == [fact.name for fact in FACTS if fact.name not in refused]


def test_an_offline_run_can_never_open_the_gate(backed_up: tuple[Emulator, Path], tmp_path: Path) -> None:
    emu, backup = backed_up
    _cli("audit", "--config", str(emu.config_path), "--from-backup", str(backup), "--out", str(tmp_path / "o"),
         "--no-reports")
    record = RunRecord.from_json(json.loads((tmp_path / "o" / "run.json").read_text("utf-8")))
    decision = decide(record, catalog(), now=record.ended, max_age=timedelta(minutes=15))
    assert not decision.open and decision.reasons[0].startswith("the run was evaluated offline from the backup")
    closed = _cli("close", "--config", str(emu.config_path), "--run", str(tmp_path / "o" / "run.json"),
                  "--confirm", "contoso.onmicrosoft.com")
    assert closed.exit_code == 1 and "gate SHUT" in closed.output
    assert "the run was evaluated offline from the backup" in closed.output
    planned = _cli("plan", "--config", str(emu.config_path), "--run", str(tmp_path / "o" / "run.json"), "--out",
                   str(tmp_path / "o"))
    assert planned.exit_code == 2 and "was evaluated offline from the backup" in planned.stderr
    assert not (tmp_path / "o" / "plan.json").exists()


def test_a_backup_that_does_not_verify_is_refused_in_one_line(backed_up: tuple[Emulator, Path],
                                                              tmp_path: Path) -> None:
    emu, backup = backed_up
    users = backup / "users.jsonl.gz"
    rows = list(iter_records(users))
    with gzip.open(users, "wt", encoding="ascii") as handle:
        for row in rows[1:]:
            handle.write(json.dumps(row) + "\n")
    before = len(emu.operator.request_log())
    result = _cli("audit", "--from-backup", str(backup), "--out", str(tmp_path / "o"), "--no-reports")
    assert result.exit_code == 2 and not (tmp_path / "o" / "run.json").exists()
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "does not verify: users.jsonl.gz: SHA-256" in result.stderr and "closegate backup verify" in result.stderr
    assert len(emu.operator.request_log()) == before
