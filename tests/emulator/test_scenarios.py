"""Scenarios load into tenants that say what they claim: the closing admin, readiness, size."""

from __future__ import annotations

import pytest

from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.scenarios import BUILT_IN, load_scenario
from closegate.emulator.state import GLOBAL_ADMIN, Refused, StateError


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_built_in_scenario_names_a_closing_admin_who_is_global_admin(name):
    state = load_scenario(name)
    admin = state.find_user(state.closing_admin_upn)
    assert admin is not None and GLOBAL_ADMIN in state.active_role_template_ids(admin["id"])


def test_ready_has_no_blockers_and_demo_has_all_of_them():
    assert load_scenario("ready").deletion_blockers() == []
    demo = load_scenario("demo")
    assert len(demo.deletion_blockers()) == 6
    assert 240 <= len(demo.users) <= 260 and demo.organization.sync_enabled is True
    with pytest.raises(Refused):
        demo.delete_tenant()
    demo.delete_tenant(force=True)
    assert demo.deleted


def test_partner_scenario_sets_partner_tenant_type():
    assert load_scenario("partner").organization.partner_tenant_type == "resellerPartnerDelegatedAdmin"


def test_generated_size_classes():
    assert load_scenario("generated:10").size_class == "S"
    assert load_scenario("generated:300").size_class == "M"
    state = load_scenario("generated:600")
    assert state.size_class == "L" and len(state.users) == 600


def test_builder_describes_ga_holders_of_every_kind():
    b = (ScenarioBuilder().global_admin("direct").global_admin("viagroup", via="group")
         .global_admin("pim", via="eligible").service_principal("Robot", "a0000000-0000-0000-0000-000000000001",
                                                                global_admin=True))
    state = load_scenario(b)
    assert GLOBAL_ADMIN in state.active_role_template_ids(state.find_user(b.upn("viagroup"))["id"])
    assert GLOBAL_ADMIN not in state.active_role_template_ids(state.find_user(b.upn("pim"))["id"])
    assert len(state.eligibilities) == 1
    assert sum(1 for ra in state.role_assignments.values() if ra.role_definition_id == GLOBAL_ADMIN) == 4


def test_unknown_scenario_is_a_clear_error(tmp_path):
    with pytest.raises(StateError):
        load_scenario("nope")
    path = tmp_path / "t.json"
    path.write_text('{"tenant": {}}')
    with pytest.raises(StateError):
        load_scenario(path)
