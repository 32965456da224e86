"""Every object list a check found, whole, as CSV beside run.json; no cell can become a spreadsheet formula."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from closegate.models import Status, Step
from closegate.reporting.objects_csv import FOLDER, INDEX, file_name, object_lists, safe_cell, write_objects
from tests.reporting import runs


def read(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())  # Excel needs the BOM to read UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\0"])
def test_a_cell_a_spreadsheet_would_read_as_a_formula_is_prefixed_with_a_quote(start: str) -> None:
    assert safe_cell(f"{start}HYPERLINK(\"http://evil.example\")") == f"'{start}HYPERLINK(\"http://evil.example\")"


def test_other_cells_are_the_data_unchanged() -> None:
    assert safe_cell("user@contoso.com") == "user@contoso.com"
    assert safe_cell("a=b") == "a=b"
    assert safe_cell(-3) == -3 and safe_cell(2.5) == 2.5  # numbers are not formulas
    assert safe_cell(True) == "true" and safe_cell(None) == ""
    assert safe_cell({"b": 1, "a": "x"}) == '{"a": "x", "b": 1}'


def test_every_row_of_every_list_is_written_not_only_those_the_report_shows(tmp_path: Path) -> None:
    record = runs.demo(users=57)
    written = write_objects(record, tmp_path)
    folder = tmp_path / FOLDER
    assert {p.name for p in written} == {"CG-004-users.csv", "CG-006-subscriptions.csv", INDEX}
    users = read(folder / "CG-004-users.csv")
    assert users[0] == ["account_enabled", "id", "synced", "user_principal_name", "user_type"]
    assert len(users) == 1 + 57
    assert users[1] == ["true", "id-0", "true", "user0@contoso.com", "Member"]
    index = read(folder / INDEX)
    assert index[0] == ["file", "check", "list", "rows", "reported", "run_id"]
    assert ["CG-004-users.csv", "CG-004", "users", "57", "", record.run_id] in index
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in written)


def test_the_hostile_run_cannot_put_a_formula_in_a_cell_or_a_path_in_a_file_name(tmp_path: Path) -> None:
    record = runs.hostile()
    evil_user = dict(record.results[1].evidence["users"][0], user_principal_name="=cmd|' /C calc'!A0")
    hostile = runs.record((runs.result("CG-004", record.results[1].step, record.results[1].status, "m",
                                       {"users": [evil_user], "../../etc/passwd": ["-1+1"]}),))
    write_objects(hostile, tmp_path)
    folder = tmp_path / FOLDER
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([INDEX, "CG-004-users.csv", file_name("CG-004", "../../etc/passwd")])
    assert all("/" not in name and ".." not in name for name in names)
    cells = [cell for name in names for row in read(folder / name) for cell in row]
    assert "'=cmd|' /C calc'!A0" in cells and "'-1+1" in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)


def test_a_list_an_earlier_run_left_is_removed_and_other_files_are_kept(tmp_path: Path) -> None:
    folder = tmp_path / FOLDER
    folder.mkdir()
    (folder / "CG-099-users.csv").write_text("stale")
    (folder / "notes.csv").write_text("the operator's")
    write_objects(runs.demo(), tmp_path)
    assert not (folder / "CG-099-users.csv").exists()
    assert (folder / "notes.csv").read_text() == "the operator's"


def test_where_to_look_and_empty_lists_are_not_object_lists() -> None:
    record = runs.record((runs.result("CG-004", Step.DELETE_USERS, Status.FAIL, "m",
                                      {"users": [], "where_to_look": ["Entra admin center"], "skus": ["E5"]}),))
    assert [(item.key, item.rows) for item in object_lists(record)] == [("skus", (("E5",),))]
