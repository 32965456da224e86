"""Keyed integrity tags (closegate.tags): where the key lives, and the three answers a tagged file gives."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from closegate.commands.audit import write_run
from closegate.config import RECORD_KEY_ENV, record_key_file
from closegate.errors import ConfigError, IntegrityError
from closegate.records import read_record
from closegate.registry import catalog
from closegate.runner import RunSettings, run
from closegate.tags import FIELD, installation_key, load_key
from tests.fakes import NOW, BackedUpTenant
from tests.forgery import edit_run


def test_the_key_is_created_on_first_use_private_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "state" / "closegate" / "record.key"
    first = load_key(path)
    assert first.secret is not None and len(first.secret) == 32 and first.problem == ""
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again = load_key(path)
    assert again.secret == first.secret and again.key_id == first.key_id
    assert first.secret.hex() not in repr(first)


def test_a_key_other_users_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "record.key"
    load_key(path)
    path.chmod(0o644)
    with pytest.raises(ConfigError, match=r"can be read by other users.*chmod 600"):
        load_key(path)


def test_a_file_that_is_not_a_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "record.key"
    path.write_text("not a key\n")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="is not a closegate record key"):
        load_key(path)


def test_where_the_key_lives_env_then_configuration_then_xdg_state(tmp_path: Path) -> None:
    config = tmp_path / "closegate.toml"
    config.write_text('[records]\nkey_file = "keys/record.key"\n')
    assert record_key_file(config, environ={RECORD_KEY_ENV: "/run/k"}) == Path("/run/k")
    assert record_key_file(config, environ={}) == tmp_path / "keys" / "record.key"
    assert record_key_file(None, environ={"XDG_STATE_HOME": "/state"}) == Path("/state/closegate/record.key")
    assert record_key_file(None, environ={"HOME": "/home/x"}) == Path("/home/x/.local/state/closegate/record.key")


def test_a_command_and_a_report_find_the_same_key_the_configuration_names(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Reporting and the engine resolve the key without closegate.config; it must be the settings' key.
    from closegate.config import load_settings

    monkeypatch.delenv(RECORD_KEY_ENV, raising=False)
    config = tmp_path / "closegate.toml"
    config.write_text('[tenant]\nid = "00000000-0000-0000-0000-000000000001"\n'
                      '[auth]\nclient_id = "00000000-0000-0000-0000-000000000002"\n'
                      '[records]\nkey_file = "keys/record.key"\n')
    assert installation_key(config).path == tmp_path / "keys" / "record.key"
    monkeypatch.chdir(tmp_path)
    assert installation_key().path == tmp_path / "keys" / "record.key"
    assert load_settings(config).record_key_file == tmp_path / "keys" / "record.key"


def test_a_records_key_that_is_not_a_table_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "closegate.toml"
    config.write_text('records = "x"\n')
    with pytest.raises(ConfigError, match="records must be a table"):
        installation_key(config)


def test_the_tests_never_use_the_real_home(record_key: Path) -> None:
    assert installation_key().path == record_key
    assert not str(record_key).startswith(str(Path.home() / ".local"))


def test_a_tagged_document_reads_as_written_here_edited_or_not_written_here(tmp_path: Path) -> None:
    key, other = load_key(tmp_path / "a.key"), load_key(tmp_path / "b.key")
    document = key.sealed("run-record", {"run_id": "r1", "verdict": "NOT_READY"})
    assert document[FIELD].startswith(f"hmac-sha256:{key.key_id}:")
    assert key.provenance("run-record", document, "run.json").here

    forged = {**document, "verdict": "READY"}
    with pytest.raises(IntegrityError, match=r"run\.json was edited after closegate wrote it"):
        key.provenance("run-record", forged, "run.json")
    # A tag of one kind of file is never valid for another kind.
    with pytest.raises(IntegrityError, match="edited"):
        key.provenance("remediation-plan", document, "plan.json")

    foreign = other.provenance("run-record", document, "run.json")
    assert not foreign.here and "another installation" in foreign.why
    untagged = key.provenance("run-record", {"run_id": "r1"}, "run.json")
    assert not untagged.here and "no integrity tag" in untagged.why
    with pytest.raises(IntegrityError, match=r"run\.json was not written here: it carries no integrity tag"):
        untagged.require("run.json", "audit again")


def test_without_a_key_records_are_written_untagged_and_then_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    unavailable = load_key(blocker / "record.key")
    assert unavailable.secret is None and "cannot read" in unavailable.problem
    record = run(BackedUpTenant(), catalog(plugins=False), RunSettings(clock=lambda: NOW))
    path = write_run(record, tmp_path, reports=False, key=unavailable)
    assert FIELD not in json.loads(path.read_text("utf-8"))
    with pytest.raises(IntegrityError, match="not written here"):
        read_record(path)
    warned: list[str] = []
    assert read_record(path, warn=warned.append).run_id == record.run_id
    assert warned and "no integrity tag" in warned[0]


def test_a_run_record_edited_and_re_hashed_is_named_as_edited(tmp_path: Path) -> None:
    record = run(BackedUpTenant(), catalog(plugins=False), RunSettings(clock=lambda: NOW))
    path = write_run(record, tmp_path, reports=False)
    assert read_record(path).run_id == record.run_id
    edit_run(path, lambda data: data.update(tool_version="9.9.9"))
    with pytest.raises(IntegrityError, match=f"{re.escape(str(path))} was edited after closegate wrote it"):
        read_record(path)
