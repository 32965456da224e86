"""The journal: hash-chained, fsynced records; a torn tail is cut with a note, a bad middle never passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from closegate.errors import IntegrityError
from closegate.remediation.journal import Journal, operation_id, read_state, verify


def _write(path: Path, n: int) -> None:
    with Journal(path) as j:
        for k in range(n):
            j.append([{"type": "intent", "op": f"op{k}"}])
            j.append([{"type": "result", "op": f"op{k}", "outcome": "applied", "final": True}])


def test_records_chain_and_verify(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    _write(path, 3)
    report = verify(path)
    assert report.records == 6 and report.torn_tail_bytes == 0 and not report.open_intents
    assert all(read_state(path).done(f"op{k}") for k in range(3))


def test_an_edited_record_breaks_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    _write(path, 2)
    lines = path.read_text().splitlines()
    rec = json.loads(lines[1])
    rec["outcome"] = "skipped"
    lines[1] = json.dumps(rec)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(IntegrityError):
        verify(path)


def test_a_torn_final_line_is_reported_then_cut_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    _write(path, 1)
    with path.open("ab") as f:
        f.write(b'{"type":"intent","op":"op9","se')
    assert verify(path).torn_tail_bytes > 0
    with Journal(path) as j:
        assert not j.state.interrupted("op9")
    report = verify(path)
    assert report.torn_tail_bytes == 0 and report.truncation_notes == 1 and report.records == 3


def test_garbage_in_the_middle_is_never_accepted(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    _write(path, 2)
    lines = path.read_text().splitlines()
    lines.insert(1, '{"type": "intent"')
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(IntegrityError):
        Journal(path)


def test_an_intent_without_result_is_interrupted(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    with Journal(path) as j:
        j.append([{"type": "intent", "op": "a"}])
    assert verify(path).open_intents == ("a",)


def test_operation_ids_are_deterministic_and_distinct() -> None:
    assert operation_id("p", "delete_users", "u1") == operation_id("p", "delete_users", "u1")
    assert operation_id("p", "delete_users", "u1") != operation_id("q", "delete_users", "u1")
