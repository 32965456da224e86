"""The plan: Microsoft's order, bound to the run and tenant by its hash, never touching the protected."""

from __future__ import annotations

import json

import pytest

from closegate.errors import IntegrityError
from closegate.facts import CALLER
from closegate.models import Step
from closegate.remediation.actions import Kind, action_catalog
from closegate.remediation.plan import load_plan


def test_every_deleting_action_requires_the_backup_check() -> None:
    for spec in action_catalog():
        if spec.reversibility.deletes:
            assert "CG-002" in spec.requires, spec.id


def test_manual_actions_give_portal_steps_a_link_and_the_confirming_check() -> None:
    manual = [a for a in action_catalog() if a.kind is Kind.MANUAL]
    assert {a.fixes for a in manual} >= {"CG-006", "CG-007", "CG-013", "CG-014", "CG-015"}
    for spec in manual:
        assert spec.portal_steps and spec.portal_link.startswith("https://")


def test_plan_on_demo_is_ordered_bound_and_excludes_the_closing_admin_and_caller(planned) -> None:  # noqa: ANN001
    p = planned("demo")
    assert p.plan.scope.closing_admin_id is None  # app sign-in, several GAs: every GA holder is protected
    steps = [int(i.step) for i in p.plan.items]
    assert steps == sorted(steps)
    # the demo conceals usage-report names: revealing them (CG-018) comes before the backup-gated deletes
    assert steps[0] == int(Step.BACKUP) and p.plan.items[0].action_id == "reveal_report_names"
    # then the Autopilot deregistration, Intune's managed device first (Microsoft's order, CG-022)
    ids = [i.action_id for i in p.plan.items]
    assert ids[1:3] == ["delete_autopilot_managed_devices", "deregister_autopilot_devices"]
    assert steps[3] == int(Step.DELETE_USERS)
    assert ids.index("turn_off_directory_sync") < ids.index("delete_users") < ids.index("disable_per_user_mfa")
    loaded = load_plan(p.path)
    assert loaded.plan_hash == p.plan.plan_hash == json.loads(p.path.read_text())["plan_hash"]
    assert loaded.tenant_id == p.emu.tenant_id and loaded.run_id == p.plan.run_id
    caller = p.session.reader().read(CALLER)
    admin = p.emu.state.user_record(p.emu.state.closing_admin_upn).id
    touched = {t.object_id for i in p.plan.items for t in i.targets} | {
        t.principal_id for i in p.plan.items for t in i.targets}
    assert caller.object_id not in touched and admin not in touched


def test_plan_names_the_point_of_no_return_once(planned) -> None:  # noqa: ANN001
    p = planned()
    marked = [i for i in p.plan.items if i.point_of_no_return]
    assert len(marked) <= 1
    if marked:
        assert marked[0].reversibility.value == "irreversible"


def test_an_altered_plan_does_not_load(planned) -> None:  # noqa: ANN001
    p = planned()
    data = json.loads(p.path.read_text())
    data["items"][0]["targets"] = []
    p.path.write_text(json.dumps(data))
    with pytest.raises(IntegrityError):
        load_plan(p.path)


def test_scope_takes_the_configured_closing_admin_and_a_command_line_name_overrides_it() -> None:
    from dataclasses import replace

    from closegate.errors import ConfigError
    from closegate.remediation.plan import resolve_scope
    from tests.fakes import ADMIN, FakeTenant, admin_assignment, user

    bob = user("bob@contoso.com")
    app = replace(FakeTenant.ready().value(CALLER), kind="app", object_id="sp", user_principal_name=None)
    tenant = FakeTenant.ready(caller=app, users=(ADMIN, bob), global_admins=(admin_assignment(ADMIN), admin_assignment(bob)),
                              configured_admin=bob.user_principal_name)
    configured = resolve_scope(tenant)
    assert configured.closing_admin_id == bob.id and ADMIN.id not in configured.protected_ids
    assert resolve_scope(tenant, ADMIN.user_principal_name).closing_admin_id == ADMIN.id
    with pytest.raises(ConfigError, match="holds no active Global Administrator assignment"):
        resolve_scope(tenant.with_(global_admins=(admin_assignment(ADMIN),)))  # never ADMIN in bob's place
    unnamed = resolve_scope(tenant.with_(configured_admin=None))
    assert unnamed.closing_admin_id is None and {ADMIN.id, bob.id} <= unnamed.protected_ids
