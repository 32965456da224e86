"""A run record's long object lists live in a side file its hash covers; any change to that file is refused."""

from __future__ import annotations

import gzip
import json
import stat
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from closegate.cli import main as cli
from closegate.errors import IntegrityError
from closegate.models import RunRecord
from closegate.record_objects import HEAD, INLINE_LIMIT, STUB, ObjectList, side_file
from closegate.records import read_record, write_record
from closegate.registry import catalog
from closegate.runner import RunSettings, run
from tests.fakes import ADMIN, NOW, FakeTenant, user

SCHEMA = json.loads(resources.files("closegate").joinpath("schemas/run-record.schema.json").read_text("utf-8"))
OTHERS = INLINE_LIMIT + 50


def a_record(others: int = OTHERS) -> RunRecord:
    people = tuple(user(f"user{i:04}@contoso.com") for i in range(others))
    return run(FakeTenant.ready().with_(users=(ADMIN, *people)), catalog(plugins=False),
               RunSettings(clock=lambda: NOW))


def lines(path: Path) -> list[dict[str, object]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def rewrite(path: Path, entries: list[dict[str, object]]) -> None:
    """Written in the side file's own canonical form, as someone who knows it would forge it."""
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n" for e in entries)


def test_a_long_list_is_written_beside_the_record_and_reads_back_whole(tmp_path: Path) -> None:
    record = a_record()
    path = write_record(record, tmp_path)
    written = json.loads(path.read_text(encoding="utf-8"))
    stub = next(r for r in written["results"] if r["check_id"] == "CG-004")["evidence"]["users"]
    assert stub[STUB] == "CG-004/users" and stub["count"] == OTHERS and len(stub["head"]) == HEAD
    assert written["object_lists"] == {"lists": 1, "objects": OTHERS}
    jsonschema.validate(written, SCHEMA)
    assert stat.S_IMODE(side_file(path).stat().st_mode) == 0o600
    again = read_record(path)
    users = again.result("CG-004").evidence["users"]
    assert isinstance(users, ObjectList) and again.run_id == record.run_id
    assert len(users) == OTHERS and list(users) == list(record.result("CG-004").evidence["users"])
    assert users[:3] == written_head(stub)[:3] and users[OTHERS - 1]["user_principal_name"] == f"user{OTHERS - 1:04}@contoso.com"


def written_head(stub: dict[str, object]) -> list[object]:
    head = stub["head"]
    assert isinstance(head, list)
    return head


def test_short_lists_stay_in_the_record_and_no_side_file_is_left(tmp_path: Path) -> None:
    path = write_record(a_record(), tmp_path)
    assert side_file(path).is_file()
    path = write_record(a_record(others=3), tmp_path)
    assert not side_file(path).exists() and "object_lists" not in json.loads(path.read_text(encoding="utf-8"))
    assert read_record(path).result("CG-004").evidence["remaining"] == 3


@pytest.mark.parametrize("tamper", ["change an object", "drop the last object", "reorder", "add a list"])
def test_an_edited_side_file_is_refused(tmp_path: Path, tamper: str) -> None:
    path = write_record(a_record(), tmp_path)
    entries = lines(side_file(path))
    if tamper == "change an object":
        entries[OTHERS // 2]["object"]["user_principal_name"] = "someone-else@contoso.com"  # type: ignore[index]
    elif tamper == "drop the last object":
        entries.pop()
    elif tamper == "reorder":
        entries[0], entries[-1] = entries[-1], entries[0]
    else:
        entries.append({"list": "CG-004/extra", "object": {"id": "x"}})
    rewrite(side_file(path), entries)
    with pytest.raises(IntegrityError):
        read_record(path)


def test_an_object_rewritten_in_another_json_form_is_refused(tmp_path: Path) -> None:
    path = write_record(a_record(), tmp_path)
    entries = lines(side_file(path))
    with gzip.open(side_file(path), "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(e) + "\n" for e in entries)  # equal values, not the canonical bytes
    with pytest.raises(IntegrityError, match="cannot be read as the run's object lists"):
        read_record(path)


def test_a_missing_or_foreign_side_file_is_refused(tmp_path: Path) -> None:
    first = write_record(a_record(), tmp_path / "a")
    other = write_record(a_record(others=OTHERS + 1), tmp_path / "b")
    side_file(first).write_bytes(side_file(other).read_bytes())
    with pytest.raises(IntegrityError, match="CG-004/users"):
        read_record(first)
    side_file(first).unlink()
    with pytest.raises(IntegrityError, match="missing"):
        read_record(first)


def test_a_side_file_replaced_after_reading_is_refused_while_streaming(tmp_path: Path) -> None:
    path = write_record(a_record(), tmp_path)
    users = read_record(path).result("CG-004").evidence["users"]
    entries = lines(side_file(path))
    entries[-1]["object"]["id"] = "changed"  # type: ignore[index]
    rewrite(side_file(path), entries)
    with pytest.raises(IntegrityError, match="changed after it was verified"):
        list(users)


def test_verify_vouches_for_the_side_file_and_refuses_it_edited(tmp_path: Path) -> None:
    path = write_record(a_record(), tmp_path)
    good = CliRunner().invoke(cli, ["verify", str(path)])
    assert good.exit_code == 0, good.output
    assert f"ok {side_file(path)}: 1 object lists, {OTHERS:,} objects, exactly as run" in good.output
    entries = lines(side_file(path))
    entries[1]["object"]["account_enabled"] = False  # type: ignore[index]
    rewrite(side_file(path), entries)
    bad = CliRunner().invoke(cli, ["verify", str(path)])
    assert bad.exit_code == 1
    assert "MISMATCH" in bad.output and "CG-004/users" in bad.output
