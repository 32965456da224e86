"""The forged plans of issue 18: the executor re-derives what it may touch and whom it must not, live.

Edited and re-hashed, a plan is refused with one line before anything is sent (its keyed tag does not
verify). With the tag defeated too (tests.forgery.edit_plan with_key, as if the attacker held the
record key), the executor still refuses every target that is the closing administrator, the caller or
closegate's own app, or theirs, and every target a fresh plan from a fresh read would not contain,
and builds each request from the fresh plan; the emulator's request log shows no such write.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner

from closegate.cli import main
from closegate.errors import Throttled
from closegate.facts import GLOBAL_ADMINISTRATOR
from closegate.models import Status
from closegate.remediation.executor import ExecutionOptions, Executor
from closegate.remediation.guard import PROTECTED, LiveGuard
from closegate.remediation.journal import Journal
from closegate.remediation.outcomes import Hold
from closegate.remediation.workflow import apply_plan
from tests.closure.conftest import writes
from tests.forgery import edit_plan
from tests.remediation.conftest import Planned

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
Make = Callable[..., Planned]  # the `planned` fixture


def _item(data: dict[str, Any], action_id: str) -> dict[str, Any]:
    return next(i for i in data["items"] if i["action_id"] == action_id)


def _admin(p: Planned) -> Any:
    return p.emu.state.user_record(p.emu.state.closing_admin_upn)


def _admin_ga_assignment(p: Planned) -> Any:
    admin = _admin(p)
    return next(ra for ra in p.emu.state.role_assignments.values()
                if ra.principal_id == admin.id and ra.role_definition_id == GLOBAL_ADMINISTRATOR)


def _aim_at_the_admins_ga(p: Planned) -> Callable[[dict[str, Any]], None]:
    ra = _admin_ga_assignment(p)

    def change(data: dict[str, Any]) -> None:
        fields = {"principal_id": ra.principal_id, "role_definition_id": ra.role_definition_id}
        _item(data, "remove_other_global_admins")["targets"].append({
            "object_id": ra.id, "label": "the closing admin", "fields": fields,
            "params": {**fields, "directory_scope_id": "/", "principal_type": "user"}, "principal_id": ra.principal_id})
        data["scope"]["protected_ids"] = [i for i in data["scope"]["protected_ids"] if i != ra.principal_id]
    return change


def _apply(p: Planned, **options: Any) -> dict[str, Any]:
    p.emu.operator.clear_request_log()
    reports = apply_plan(p.path, p.session, confirm=p.plan.primary_domain, options=ExecutionOptions(**options))
    return {r.action_id: r for r in reports}


def _delete_the_unprotected_admin(p: Planned) -> Callable[[dict[str, Any]], None]:
    admin = _admin(p)

    def change(data: dict[str, Any]) -> None:
        _item(data, "delete_users")["targets"].append({
            "object_id": admin.id, "label": admin.user_principal_name, "params": {}, "principal_id": None,
            "fields": {"user_principal_name": admin.user_principal_name, "display_name": admin.display_name}})
        data["scope"]["protected_ids"] = [i for i in data["scope"]["protected_ids"] if i != admin.id]
        data["scope"]["closing_admin_id"] = None
    return change


def _delete_microsoft_graph(p: Planned) -> Callable[[dict[str, Any]], None]:
    graph = next(sp for sp in p.emu.state.service_principals.values() if sp.app_id == GRAPH_APP_ID)

    def change(data: dict[str, Any]) -> None:  # Microsoft Graph's own principal: never deletable, never planned
        _item(data, "delete_service_principals")["targets"].append({
            "object_id": graph.id, "label": graph.display_name, "params": {}, "principal_id": None,
            "fields": {"app_id": graph.app_id, "display_name": graph.display_name}})
    return change


@pytest.mark.parametrize("forgery", [_aim_at_the_admins_ga, _delete_the_unprotected_admin, _delete_microsoft_graph])
def test_an_edited_and_re_hashed_plan_is_refused_with_one_line_before_anything_is_sent(
        planned: Make, forgery: Callable[[Planned], Callable[[dict[str, Any]], None]]) -> None:
    p = planned()
    edit_plan(p.path, forgery(p))
    p.emu.operator.clear_request_log()
    result = CliRunner().invoke(main, ["remediate", "--config", str(p.emu.config_path), "--plan", str(p.path),
                                       "--apply", "--confirm", p.plan.primary_domain])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{p.path} was edited after closegate wrote it" in lines[0]
    assert writes(p.emu) == [] and not (p.path.parent / "journal.jsonl").exists()


def test_with_its_tag_defeated_that_plan_still_cannot_strip_the_closing_admin(planned: Make) -> None:
    p = planned()
    ra = _admin_ga_assignment(p)
    edit_plan(p.path, _aim_at_the_admins_ga(p), with_key=True)
    roles = _apply(p, step=1)["remove_other_global_admins"]
    assert roles.refused == 1 and roles.reasons[PROTECTED] == 1
    assert not [e for e in writes(p.emu) if ra.id in e["path"]]
    assert GLOBAL_ADMINISTRATOR in p.emu.state.active_role_template_ids(_admin(p).id)
    assert roles.changed >= 1  # the genuine targets (the other Global Administrator) were still removed


def test_with_app_sign_in_a_plan_deleting_the_admin_and_unprotecting_them_is_refused(planned: Make) -> None:
    p = planned()
    admin = _admin(p)
    edit_plan(p.path, _delete_the_unprotected_admin(p), with_key=True)
    users = _apply(p)["delete_users"]
    assert users.refused == 1 and users.reasons[PROTECTED] == 1
    assert not [e for e in writes(p.emu) if e["method"] == "DELETE" and admin.id in e["path"]]
    assert admin.deleted_at is None
    assert users.changed == len(p.plan.item("delete_users").targets)  # everyone else was deleted as planned


def test_a_target_no_fresh_plan_would_contain_is_refused(planned: Make) -> None:
    p = planned()
    graph = next(sp for sp in p.emu.state.service_principals.values() if sp.app_id == GRAPH_APP_ID)
    edit_plan(p.path, _delete_microsoft_graph(p), with_key=True)
    sps = _apply(p, step=5)["delete_service_principals"]
    assert sps.refused == 1 and any("not in a fresh plan" in why for why in sps.reasons)
    assert graph.deleted_at is None
    assert not [e for e in writes(p.emu) if e["method"] == "DELETE" and graph.id in e["path"]]


def test_an_item_asking_for_another_effect_than_closegates_action_is_not_applied(planned: Make) -> None:
    p = planned()
    edit_plan(p.path, lambda data: _item(data, "disable_mfa_policies").update(effect="delete_user"), with_key=True)
    mfa = _apply(p, step=4)["disable_mfa_policies"]
    assert mfa.hold is Hold.REFUSED and "differs from closegate's action (effect)" in mfa.note
    assert [e for e in writes(p.emu) if e["method"] == "DELETE"] == []


def test_requests_are_built_from_the_fresh_plan_never_from_the_files_params(planned: Make) -> None:
    p = planned()
    admin = _admin(p)
    eligible = next(iter(p.emu.state.eligibilities.values()))
    edit_plan(p.path, lambda data: _item(data, "remove_global_admin_eligibilities")["targets"][0]["params"].update(
        principal_id=admin.id), with_key=True)
    _apply(p, step=1)
    intents = [json.loads(line) for line in (p.path.parent / "journal.jsonl").read_text().splitlines()]
    (request,) = [r["request"] for r in intents if r["type"] == "intent" and r["object_id"] == eligible.id]
    assert request["body"]["principalId"] == eligible.principal_id != admin.id


def test_remediate_exits_1_and_says_what_must_pass_when_a_required_check_holds_everything_back(planned: Make) -> None:
    p = planned()  # the CLI signs in for real: no backup was taken, so CG-002 does not PASS
    p.emu.operator.clear_request_log()
    result = CliRunner().invoke(main, ["remediate", "--config", str(p.emu.config_path), "--plan", str(p.path),
                                       "--apply", "--confirm", p.plan.primary_domain, "--step", "1"])
    assert result.exit_code == 1, result.output
    assert "applied nothing" in result.stderr and "CG-002 is" in result.stderr
    assert "make those checks PASS, then apply again" in result.stderr
    assert [e for e in writes(p.emu) if e["method"] == "DELETE"] == []


def test_when_who_is_protected_cannot_be_re_read_nothing_is_written(planned: Make) -> None:
    p = planned()

    class Blind:
        """The live guard, except that the tenant will not say who is protected right now."""

        def __init__(self) -> None:
            self.inner = LiveGuard.resolve(p.session.reader, None)

        def authority(self, item: Any) -> Any:
            return self.inner.authority(item)

        def planned(self, item: Any) -> Any:
            return self.inner.planned(item)

        def protected(self) -> Any:
            raise Throttled("servicePrincipals still answered 429 after 8 attempts", "wait")

    p.emu.operator.clear_request_log()
    with Journal(p.path.parent / "journal.jsonl") as journal:
        reports = Executor(p.plan, p.session.graph, p.session.arm, journal, guard=Blind(),
                           requirements=lambda ids: dict.fromkeys(ids, Status.PASS)).run()
    users = {r.action_id: r for r in reports}["delete_users"]
    assert users.failed == len(p.plan.item("delete_users").targets) and users.changed == 0
    assert any("could not re-read who is protected" in why for why in users.reasons)
    assert writes(p.emu) == []


def test_through_the_cli_the_defeated_plan_exits_1_saying_closegate_refused_part_of_it(planned: Make) -> None:
    p = planned()
    config = str(p.emu.config_path)
    for args in (("backup", "--config", config, "--out", str(p.emu.config_path.parent / "backup")),
                 ("backup", "attest", "--config", config, "--tool", "M365 Backup", "--location", "vault",
                  "--by", "Dana")):
        assert CliRunner().invoke(main, list(args)).exit_code == 0  # CG-002 passes: the deletes may run
    ra = _admin_ga_assignment(p)
    edit_plan(p.path, _aim_at_the_admins_ga(p), with_key=True)
    p.emu.operator.clear_request_log()
    result = CliRunner().invoke(main, ["remediate", "--config", config, "--plan", str(p.path), "--apply",
                                       "--confirm", p.plan.primary_domain, "--step", "1"])
    assert result.exit_code == 1, result.output
    assert "closegate refused part of the plan (1 object(s)" in result.stderr
    assert not [e for e in writes(p.emu) if ra.id in e["path"]]
    assert [e for e in writes(p.emu) if e["method"] == "DELETE"]  # the genuine changes were made
    assert GLOBAL_ADMINISTRATOR in p.emu.state.active_role_template_ids(_admin(p).id)
