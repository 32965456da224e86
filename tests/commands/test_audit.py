from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from closegate.attestations import Attestation, save
from closegate.cli import main
from closegate.emulator import Emulator
from closegate.emulator.builder import ScenarioBuilder
from closegate.models import RunRecord
from tests.fakes import ATTESTED_CLEAN, keep_only_the_callers_service_principal

SCHEMA = json.loads(resources.files("closegate").joinpath("schemas/run-record.schema.json").read_text("utf-8"))


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr




def test_not_ready_tenant_exits_1_prints_steps_and_writes_a_valid_run(emulator_factory: Callable[..., Emulator],
                                                                       tmp_path: Path) -> None:
    emu = emulator_factory(scenario=ScenarioBuilder("Fabrikam").user("bob").subscription())
    code, out, err = invoke("audit", "--config", str(emu.config_path), "--out", str(tmp_path))
    assert code == 1
    assert "1 Delete users" in out and "CG-004" in out and "NOT READY" in out
    data = json.loads((tmp_path / "run.json").read_text("utf-8"))
    jsonschema.validate(data, SCHEMA)
    assert RunRecord.from_json(data).run_id == data["run_id"]
    # Every object list is written beside run.json, and named in the output.
    index = (tmp_path / "report-objects" / "index.csv").read_text("utf-8-sig")
    assert "CG-004-users.csv" in index and data["run_id"] in index
    assert "bob" in (tmp_path / "report-objects" / "CG-004-users.csv").read_text("utf-8-sig")
    assert str(tmp_path / "report-objects") in out.replace("\n", "")
    assert "rendering" not in err  # stderr is not a terminal here: no progress lines


def test_attested_clean_tenant_without_a_backup_taken_exits_1_on_the_backup_check_alone(
        emulator_factory: Callable[..., Emulator], tmp_path: Path) -> None:
    emu = emulator_factory(scenario=ScenarioBuilder("Fabrikam"))
    keep_only_the_callers_service_principal(emu, emu.apps.read_write.client_id)
    for item in ATTESTED_CLEAN:
        code, out, _ = invoke("attest", item, "--by", "Dana", "--statement", "none left", "--config",
                              str(emu.config_path))
        assert code == 0 and f"{item} attested by Dana" in out
    # Audited into a folder of its own: the attestations are kept with the configuration, not in an --out.
    code, out, _ = invoke("audit", "--config", str(emu.config_path), "--out", str(tmp_path / "audit"), "--json",
                          "--no-reports")
    record = json.loads(out)
    assert code == 1
    statuses = {r["check_id"]: r["status"] for r in record["results"]}
    assert statuses["CG-013"] == "PASS"
    assert [c for c, s in statuses.items() if s not in ("PASS", "NOT_APPLICABLE")] == ["CG-002"]
    assert "no backup has been taken" in record["results"][[r["check_id"] for r in record["results"]].index("CG-002")]["message"]


def test_partial_run_is_recorded_and_exits_3(emulator_factory: Callable[..., Emulator], tmp_path: Path) -> None:
    emu = emulator_factory(scenario=ScenarioBuilder("Fabrikam"))
    code, out, _ = invoke("audit", "--config", str(emu.config_path), "--out", str(tmp_path), "--only", "cg-004,CG-005")
    assert code == 3 and "partial run" in out
    record = json.loads((tmp_path / "run.json").read_text("utf-8"))
    assert record["complete"] is False and record["selection"]["only"] == ["CG-004", "CG-005"]


def test_a_bad_secret_exits_2_with_one_line_and_no_secret(emulator_factory: Callable[..., Emulator],
                                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    emu = emulator_factory(scenario=ScenarioBuilder("Fabrikam"))
    config = emu.config_path.read_text("utf-8")
    wrong = tmp_path / "closegate.toml"
    secret_line = next(line for line in config.splitlines() if line.startswith("client_secret"))
    wrong.write_text(config.replace(secret_line, 'client_secret = "not-the-secret-zz9"'), "utf-8")
    code, out, err = invoke("audit", "--config", str(wrong), "--out", str(tmp_path / "out"))
    assert code == 2
    assert err.startswith("closegate: ") and err.count("\n") == 1
    assert "not-the-secret-zz9" not in out + err


def test_unknown_check_id_exits_2(emulator_factory: Callable[..., Emulator], tmp_path: Path) -> None:
    emu = emulator_factory(scenario=ScenarioBuilder("Fabrikam"))
    code, _, err = invoke("audit", "--config", str(emu.config_path), "--out", str(tmp_path), "--skip", "CG-999")
    assert code == 2 and "CG-999" in err


def test_missing_config_exits_2(tmp_path: Path) -> None:
    code, _, err = invoke("audit", "--config", str(tmp_path / "nope.toml"), "--out", str(tmp_path))
    assert code == 2 and err.startswith("closegate: ")


def _config(folder: Path, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "closegate.toml"
    path.write_text(f'[tenant]\nid = "contoso.onmicrosoft.com"\n{extra}', "utf-8")
    return path


def test_attest_refuses_a_check_the_api_can_see(tmp_path: Path) -> None:
    code, _, err = invoke("attest", "CG-004", "--by", "Dana", "--statement", "trust me", "--config",
                          str(_config(tmp_path)))
    assert code == 2 and "CG-004 cannot be attested" in err
    assert not (tmp_path / "attestations.json").exists()


def test_attest_records_evidence_and_expiry_beside_the_configuration(tmp_path: Path) -> None:
    code, out, _ = invoke("attest", "cg-015", "--by", "Lee (finance)", "--statement", "all invoices paid",
                          "--evidence", "INV-1,INV-2", "--expires", "30", "--config", str(_config(tmp_path)))
    saved = json.loads((tmp_path / "attestations.json").read_text("utf-8"))["attestations"]
    assert code == 0 and "expires" in out and f"kept in {tmp_path.resolve() / 'attestations.json'}" in out
    assert saved[0]["item"] == "CG-015" and saved[0]["evidence"] == "INV-1,INV-2" and saved[0]["expires"]


def test_attest_keeps_attestations_in_the_state_dir_the_configuration_names(tmp_path: Path) -> None:
    config = _config(tmp_path / "conf", '[state]\ndir = "../state"\n')
    code, _, _ = invoke("attest", "CG-013", "--by", "Dana", "--statement", "no provider", "--config", str(config))
    assert code == 0 and (tmp_path / "state" / "attestations.json").is_file()
    assert not (tmp_path / "conf" / "attestations.json").exists()


def test_attestations_an_older_version_kept_in_an_out_are_carried_over_once_with_a_message(
        emulator_factory: Callable[..., Emulator], tmp_path: Path) -> None:
    emu = emulator_factory(scenario=ScenarioBuilder("Fabrikam"))
    old = tmp_path / "old-out"
    save(old, [Attestation("CG-013", "no provider", "Dana", datetime(2026, 1, 1, tzinfo=timezone.utc))])
    code, out, err = invoke("audit", "--config", str(emu.config_path), "--out", str(old), "--json", "--no-reports")
    kept = emu.config_path.parent.resolve() / "attestations.json"
    moved = f"carried 1 of 1 from {old / 'attestations.json'} to {kept}"
    assert moved in err and "attestations.json.moved" in err
    assert {r["check_id"]: r["status"] for r in json.loads(out)["results"]}["CG-013"] == "PASS"
    assert not (old / "attestations.json").exists() and (old / "attestations.json.moved").is_file()
    again = tmp_path / "next-out"
    code, out, err = invoke("audit", "--config", str(emu.config_path), "--out", str(again), "--json", "--no-reports")
    assert "carried" not in err
    assert {r["check_id"]: r["status"] for r in json.loads(out)["results"]}["CG-013"] == "PASS"


def test_demo_is_not_ready_with_the_expected_checks_failing(emulator: Emulator, tmp_path: Path) -> None:
    code, out, _ = invoke("audit", "--config", str(emulator.config_path), "--out", str(tmp_path), "--json")
    failing = {r["check_id"] for r in json.loads(out)["results"] if r["status"] == "FAIL" and r["blocking"]}
    assert code == 1
    assert {"CG-004", "CG-006"} <= failing
