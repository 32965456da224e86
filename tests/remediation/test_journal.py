"""The journal: hash-chained, fsynced records; a torn tail is cut with a note, a bad middle never passes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from closegate.errors import IntegrityError
from closegate.remediation.journal import GENESIS, Journal, operation_id, read_state, record_hash, verify
from closegate.tags import FIELD, load_key


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


def _rechain(path: Path, change: Callable[[list[dict[str, Any]]], None]) -> None:
    """Edit records and recompute every hash of the chain, as anyone can (but not the keyed tags)."""
    records = [json.loads(line) for line in path.read_text().splitlines()]
    change(records)
    prev = GENESIS
    for rec in records:
        body = {k: v for k, v in rec.items() if k not in ("hash", FIELD)}
        rec["hash"] = record_hash(prev, body)
        prev = rec["hash"]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_a_journal_rewritten_with_its_chain_recomputed_is_named_as_edited(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    _write(path, 2)
    _rechain(path, lambda records: records[1].update(outcome="skipped"))
    with pytest.raises(IntegrityError, match="line 2 was edited after closegate wrote it"):
        verify(path)
    with pytest.raises(IntegrityError, match="edited"):
        Journal(path)


def test_a_journal_another_installation_wrote_verifies_as_a_chain_but_is_never_resumed(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    with Journal(path, load_key(tmp_path / "other.key")) as j:
        j.append([{"type": "intent", "op": "a"}, {"type": "result", "op": "a", "outcome": "applied", "final": True}])
    report = verify(path)
    assert report.records == 2 and not report.provenance.here
    assert "another installation" in report.provenance.why
    with pytest.raises(IntegrityError, match="was not written here"):
        Journal(path)
    warned: list[str] = []
    assert read_state(path, warn=warned.append).done("a") and warned
