"""`closegate diff RUN_A RUN_B`: what changed since the signed run, from two verified run records."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from closegate.attestations import Attestation
from closegate.cli import main
from closegate.commands.audit import write_run
from closegate.registry import catalog
from closegate.runner import RunSettings, run
from closegate.tags import installation_key
from tests.fakes import ADMIN, ATTESTED_READY, NOW, BackedUpTenant, FakeTenant, user

SIGNED = tuple(Attestation(i, "checked", "Dana", NOW - timedelta(hours=1)) for i in ATTESTED_READY)
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _run(folder: Path, tenant: FakeTenant | None = None, attestations: tuple[Attestation, ...] = SIGNED) -> Path:
    record = run(tenant or BackedUpTenant(), catalog(plugins=False), RunSettings(clock=lambda: NOW,
                                                                                 attestations=attestations))
    return write_run(record, folder, reports=False, key=installation_key())


def _diff(*args: str) -> Any:
    return CliRunner().invoke(main, ["diff", *args])


def test_a_user_added_since_the_signed_run_is_a_status_change_a_fact_change_and_an_object_added(
        tmp_path: Path) -> None:
    signed = _run(tmp_path / "signed")
    now = _run(tmp_path / "now", BackedUpTenant().with_(users=(ADMIN, user("bob@contoso.com"))))
    result = _diff(str(signed), str(now))
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"A: {signed} run ") and lines[0].endswith("READY")
    assert lines[1].startswith(f"B: {now} run ") and lines[1].endswith("NOT READY")
    assert "  CG-004 No users remain except the closing administrator: PASS -> FAIL" in lines
    assert "  users: 1 object then, 2 objects now" in lines
    assert "  CG-004 users: +1 (bob@contoso.com)" in lines
    assert lines[-2:] == ["sign-offs bound to A: none", "sign-offs bound to B: none"]


def test_the_json_names_every_object_and_the_same_run_twice_is_no_difference(tmp_path: Path) -> None:
    signed = _run(tmp_path / "signed")
    many = tuple(user(f"u{n}@contoso.com") for n in range(12))
    now = _run(tmp_path / "now", BackedUpTenant().with_(users=(ADMIN, *many)))
    body = json.loads(_diff(str(signed), str(now), "--json").stdout)
    assert body["same"] is False and body["then"]["verdict"] == "READY" and body["now"]["verdict"] == "NOT_READY"
    users = next(e for e in body["evidence"] if e["check_id"] == "CG-004" and e["field"] == "users")
    assert sorted(users["added"]) == sorted(u.user_principal_name for u in many) and users["removed"] == []
    text = _diff(str(signed), str(now)).stdout
    assert "CG-004 users: +12 (u0@contoso.com, u1@contoso.com, u2@contoso.com, u3@contoso.com, u4@contoso.com " \
           "and 7 more)" in text
    same = _diff(str(signed), str(signed))
    assert same.exit_code == 0 and "no check changed status and no fact a check reads changed" in same.stdout


def test_attestations_and_the_sign_offs_bound_to_each_run_are_shown(tmp_path: Path) -> None:
    signed = _run(tmp_path / "signed")
    now = _run(tmp_path / "now", attestations=tuple(a for a in SIGNED if a.item != "CG-015"))
    assert CliRunner().invoke(main, ["signoff", "--run", str(signed), "--by", "Carla Diaz", "--role",
                                     "Compliance officer"]).exit_code == 0
    result = _diff(str(signed), str(now))
    assert result.exit_code == 1
    assert "attestation of CG-015: by Dana on 2026-03-01: checked -> none" in result.stdout
    assert "  CG-015 All invoices are paid (attested): PASS -> ATTEST" in result.stdout
    assert "sign-offs bound to A: Carla Diaz (Compliance officer, not cryptographically signed)" in result.stdout
    assert "sign-offs bound to B: none" in result.stdout


def test_an_edited_record_is_refused_in_one_line_before_anything_is_compared(tmp_path: Path) -> None:
    signed = _run(tmp_path / "signed")
    now = _run(tmp_path / "now")
    now.write_text(now.read_text("utf-8").replace('"verdict": "READY"', '"verdict": "NOT_READY"'), "utf-8")
    result = _diff(str(signed), str(now))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("closegate diff: ")
    assert f"{now} was edited after closegate wrote it" in result.stderr


def test_runs_of_two_tenants_are_not_compared(tmp_path: Path) -> None:
    from closegate.facts import Organization

    signed = _run(tmp_path / "signed")
    other = BackedUpTenant().with_(organization=Organization("tenant-2", "Fabrikam", "fabrikam.com", None, None, None,
                                                             "AAD"))
    result = _diff(str(signed), str(_run(tmp_path / "other", other)))
    assert result.exit_code == 2 and "is a run of tenant tenant-1 and" in result.stderr and "tenant-2" in result.stderr


def test_hostile_names_in_a_diff_are_neutralised_and_cut(tmp_path: Path) -> None:
    signed = _run(tmp_path / "signed")
    hostile = (user("evil@contoso.com", user_principal_name="\x1b]0;owned\x07" + "A" * 10_000 + "@contoso.com"),
               user("rtl@contoso.com", user_principal_name="\u202egnp.exe@contoso.com"))
    result = _diff(str(signed), str(_run(tmp_path / "now", BackedUpTenant().with_(users=(ADMIN, *hostile)))))
    assert RAW.findall(result.output) == []
    assert "[U+001B]]0;owned[U+0007]" in result.stdout and "[U+202E]gnp.exe@contoso.com" in result.stdout
    assert "A" * 201 not in result.stdout  # the message quoting it is cut too (closegate.text.TOKEN_LIMIT)
    assert "[U+001B]]0;owned[U+0007]" + "A" * 90 + "…(+9922 chars)" in result.stdout  # the name, cut at 100
