"""Applying a plan: dry run changes nothing, --apply refuses without the right confirmation or with a
stale, altered or foreign plan, and drift since the plan is skipped, never acted on."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from closegate.cli import main
from closegate.errors import ClosegateError
from closegate.remediation.executor import ExecutionOptions
from closegate.remediation.journal import verify
from closegate.remediation.outcomes import Outcome
from closegate.remediation.workflow import apply_plan


def test_dry_run_changes_nothing(planned) -> None:  # noqa: ANN001
    p = planned()
    p.emu.operator.clear_request_log()
    result = CliRunner().invoke(main, ["remediate", "--plan", str(p.path)])
    assert result.exit_code == 0, result.output
    assert "would change" in result.output and "delete_users" in result.output
    api = [e for e in p.emu.operator.request_log() if not e["path"].startswith("/_emulator")]
    assert api == []  # not even a read: the dry run works from the approved plan alone
    assert not (p.path.parent / "journal.jsonl").exists()


@pytest.mark.parametrize("confirm", [None, "wrong.example.com"])
def test_apply_refuses_without_the_right_confirmation(planned, confirm) -> None:  # noqa: ANN001
    p = planned()
    p.emu.operator.clear_request_log()
    args = ["remediate", "--config", str(p.emu.config_path), "--plan", str(p.path), "--apply"]
    args += ["--confirm", confirm] if confirm else []
    result = CliRunner().invoke(main, args, input="not-the-domain\n")
    assert result.exit_code == 2, result.output
    assert "confirmation does not match" in result.output
    assert [e for e in p.emu.operator.request_log() if e["method"] in ("PATCH", "DELETE")] == []
    assert not (p.path.parent / "journal.jsonl").exists()


def test_apply_refuses_a_stale_plan(planned) -> None:  # noqa: ANN001
    p = planned()
    later = p.plan.created + timedelta(minutes=p.plan.max_age_minutes + 1)
    with pytest.raises(ClosegateError, match="minutes old"):
        apply_plan(p.path, p.session, confirm=p.plan.primary_domain, options=ExecutionOptions(),
                   now=later)


def test_apply_refuses_an_altered_plan(planned) -> None:  # noqa: ANN001
    p = planned()
    data = json.loads(p.path.read_text())
    item = next(i for i in data["items"] if i["action_id"] == "delete_users")
    item["targets"].append({**item["targets"][0], "object_id": p.emu.state.user_record(p.emu.state.closing_admin_upn).id})
    p.path.write_text(json.dumps(data))
    with pytest.raises(ClosegateError, match="changed after it was written"):
        apply_plan(p.path, p.session, confirm=p.plan.primary_domain, options=ExecutionOptions())


def test_apply_refuses_a_plan_of_another_tenant(planned) -> None:  # noqa: ANN001
    from closegate.emulator.builder import ScenarioBuilder

    p = planned()
    other = planned(ScenarioBuilder("Northwind").users(3, seed=5))
    with pytest.raises(ClosegateError, match="plan is for tenant"):
        apply_plan(p.path, other.session, confirm=p.plan.primary_domain, options=ExecutionOptions())


def test_apply_deletes_the_planned_and_skips_drift(planned) -> None:  # noqa: ANN001
    p = planned()
    state = p.emu.state
    targets = {t.object_id: t for t in p.plan.item("delete_users").targets}
    changed, removed = sorted(targets)[:2]
    with state.lock:
        state.users[changed].display_name = "Renamed after the plan"
        state.users[removed].deleted_at = state.clock.now()
        template = state.users[changed]
        newcomer = dataclasses.replace(template, id="0badf00d-0000-4000-8000-000000000001", seq=state.next_user_seq(),
                                       user_principal_name="newcomer@tailspin.onmicrosoft.com", deleted_at=None)
        state.add_user(newcomer)
    reports = apply_plan(p.path, p.session, confirm=p.plan.primary_domain, options=ExecutionOptions(window=5))
    users = {r.action_id: r for r in reports}["delete_users"]
    assert users.skipped == 2
    assert any("changed since the plan" in why for why in users.reasons)
    assert any("no longer exists" in why for why in users.reasons)
    assert state.users[changed].deleted_at is None  # changed since the plan: left alone
    assert state.users[newcomer.id].deleted_at is None  # never in the plan: never touched
    admin = state.user_record(state.closing_admin_upn)
    assert admin.deleted_at is None
    for oid in set(targets) - {changed, removed}:
        assert state.users[oid].deleted_at is not None
    assert verify(p.path.parent / "journal.jsonl").open_intents == ()


def test_a_rerun_applies_nothing_twice(planned) -> None:  # noqa: ANN001
    p = planned()
    apply_plan(p.path, p.session, confirm=p.plan.primary_domain, options=ExecutionOptions())
    again = apply_plan(p.path, p.session, confirm=p.plan.primary_domain, options=ExecutionOptions())
    assert all(not r.outcomes[Outcome.APPLIED] for r in again)


def test_deleting_actions_wait_for_the_backup_check(planned) -> None:  # noqa: ANN001
    from tests.remediation.helpers import session_for

    p = planned()
    unbacked = session_for(p.emu.config_path, backed_up=False, config_admin=True)
    reports = apply_plan(p.path, unbacked, confirm=p.plan.primary_domain, options=ExecutionOptions())
    users = {r.action_id: r for r in reports}["delete_users"]
    assert "CG-002" in users.note and not users.outcomes
    assert all(u.deleted_at is None for u in p.emu.state.users.values())
