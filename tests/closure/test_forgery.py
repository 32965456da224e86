"""The forgeries of issue 18 against `signoff` and `close`: a file is a proposal, never the authority.

Each case edits what anyone with write access to the output folder can edit and recomputes the hashes
anyone can recompute; it is refused with one line, and the emulator's request log shows no write.
Where a case also defeats the keyed tag (tests.forgery, as if the attacker held the record key), the
audit `close` runs right before acting still keeps the gate shut: the tenant decides, not the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from closegate.closure.signoffs import append_signoff, make_signoff
from closegate.config import RECORD_KEY_ENV
from closegate.emulator import Emulator
from closegate.emulator.certs import Pki
from closegate.models import RunRecord
from closegate.records import read_record
from tests.closure.conftest import ReadyTenant, cli, prepare, ready_builder, writes
from tests.forgery import edit_run


@pytest.fixture(scope="module")
def not_ready(emulator_pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadyTenant]:
    """The READY tenant plus an enabled Microsoft 365 subscription: NOT READY (CG-006), a user in the bin."""
    builder = ready_builder().subscription("SPE_E3")
    with Emulator(scenario=builder, state_dir=tmp_path_factory.mktemp("not-ready"), pki=emulator_pki) as emu:
        yield prepare(emu)


def _as_ready(data: dict[str, Any]) -> None:
    """What the issue did by hand: every FAIL, ERROR and ATTEST made PASS, the verdict READY."""
    for result in data["results"]:
        if result["status"] in ("FAIL", "ERROR", "ATTEST"):
            result.update(status="PASS", error=None, blocked_until=None, blocked_because="")
    data["verdict"] = "READY"
    data["earliest_closure"] = {"date": data["ended"], "reason": "nothing in the facts delays the deletion",
                                "check_ids": []}


def _flip_verdict(data: dict[str, Any]) -> None:
    blocking = next(r for r in data["results"] if r["blocking"])
    blocking["status"] = "FAIL"
    data["verdict"] = "NOT_READY"


def _one_line(result: Any) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def _close(tenant: ReadyTenant, run: Path) -> Any:
    tenant.emu.operator.clear_request_log()
    result = cli("close", "--config", str(tenant.config), "--run", str(run), "--confirm", tenant.domain)
    assert writes(tenant.emu) == []
    assert not (run.parent / "go-certificate.json").exists()
    assert not (run.parent / "closure-journal.jsonl").exists()
    return result


def _untouched(tenant: ReadyTenant) -> None:
    state = tenant.emu.state
    assert [u for u in state.user_list if u.user_principal_name.startswith("leaver@") and u.deleted_at] != []
    assert state.deletion_blockers() != []  # closegate's own registration is still there


def test_a_forged_ready_run_is_refused_by_signoff_and_by_close(not_ready: ReadyTenant, tmp_path: Path) -> None:
    run = not_ready.audit(tmp_path)
    assert json.loads(run.read_text("utf-8"))["verdict"] == "NOT_READY"
    edit_run(run, _as_ready)
    assert RunRecord.from_json(json.loads(run.read_text("utf-8"))).verdict.value == "READY"  # its run_id matches

    signed = cli("signoff", "--run", str(run), "--by", "Carla Diaz", "--role", "Compliance officer")
    assert signed.exit_code == 2
    assert f"{run} was edited after closegate wrote it" in _one_line(signed)
    assert not (tmp_path / "signoffs.json").exists()

    closed = _close(not_ready, run)
    assert closed.exit_code == 2
    assert f"{run} was edited after closegate wrote it: its integrity tag does not verify" in _one_line(closed)
    _untouched(not_ready)


def test_a_forged_ready_run_with_its_tag_defeated_still_meets_the_tenant(not_ready: ReadyTenant,
                                                                         tmp_path: Path) -> None:
    run = not_ready.audit(tmp_path)
    edit_run(run, _as_ready, with_key=True)
    assert read_record(run).verdict.value == "READY"  # the file now verifies in every way a file can
    assert cli("signoff", "--run", str(run), "--by", "Carla Diaz", "--role", "Compliance officer").exit_code == 0

    closed = _close(not_ready, run)
    assert closed.exit_code == 1, closed.output
    text = " ".join(closed.output.split())
    assert "gate SHUT" in text and "nothing was changed" in text
    assert "the audit just run: CG-006 failed" in text
    assert "the audit just run says NOT READY (the signed run says READY): the tenant is not ready" in text
    assert read_record(tmp_path / "close-audit.json").verdict.value == "NOT_READY"  # what the gate judged
    _untouched(not_ready)


def test_a_run_with_its_verdict_flipped_and_its_hash_recomputed_is_refused(shared_ready_tenant: ReadyTenant,
                                                                         tmp_path: Path) -> None:
    run = shared_ready_tenant.audit(tmp_path)
    append_signoff(tmp_path, make_signoff(read_record(run), "Carla Diaz", "Compliance officer",
                                          datetime.now(UTC)))
    edit_run(run, _flip_verdict)
    assert RunRecord.from_json(json.loads(run.read_text("utf-8"))).verdict.value == "NOT_READY"  # run_id matches
    closed = _close(shared_ready_tenant, run)
    assert closed.exit_code == 2
    assert "was edited after closegate wrote it" in _one_line(closed)


def test_an_edited_sign_off_is_refused_with_one_line(shared_ready_tenant: ReadyTenant, tmp_path: Path) -> None:
    run = shared_ready_tenant.audit(tmp_path)
    append_signoff(tmp_path, make_signoff(read_record(run), "Carla Diaz", "Compliance officer",
                                          datetime.now(UTC)))
    path = tmp_path / "signoffs.json"
    entries = json.loads(path.read_text("utf-8"))
    entries[0]["role"] = "Chief Executive Officer"
    path.write_text(json.dumps(entries), "utf-8")
    closed = _close(shared_ready_tenant, run)
    assert closed.exit_code == 2
    assert f"{path} (sign-off 1, by Carla Diaz) was edited after closegate wrote it" in _one_line(closed)


def test_a_sign_off_written_by_hand_is_refused(shared_ready_tenant: ReadyTenant, tmp_path: Path) -> None:
    run = shared_ready_tenant.audit(tmp_path)
    record = read_record(run)
    (tmp_path / "signoffs.json").write_text(json.dumps([{"run_id": record.run_id, "by": "Carla Diaz",
                                                         "role": "Compliance officer", "when": record.ended.isoformat(),
                                                         "signature": "", "public_key": ""}]), "utf-8")
    closed = _close(shared_ready_tenant, run)
    assert closed.exit_code == 2
    assert "(sign-off 1) was not written here: it carries no integrity tag" in _one_line(closed)


def test_a_run_written_by_another_installation_is_refused(shared_ready_tenant: ReadyTenant, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as elsewhere:
        elsewhere.setenv(RECORD_KEY_ENV, str(tmp_path / "other-installation" / "record.key"))
        run = shared_ready_tenant.audit(tmp_path / "run")
        append_signoff(run.parent, make_signoff(read_record(run), "Carla Diaz", "Compliance officer",
                                                datetime.now(UTC)))
    closed = _close(shared_ready_tenant, run)
    assert closed.exit_code == 2
    assert f"{run} was not written here: its integrity tag is another installation's" in _one_line(closed)
    assert cli("verify", str(run)).exit_code == 0  # its hash still proves it unchanged: verify says so
