"""RBAC-scoped ARM: what a caller sees depends on its Azure roles, and elevate access is the way to all."""

from __future__ import annotations

from typing import Any

import pytest

from closegate.emulator.arm_rbac import OWNER, READER, USER_ACCESS_ADMINISTRATOR, scopes_above
from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.scenarios import load_scenario
from tests.emulator.arm_helpers import CLOSEGATE_OID, app, arm, payload, user

V = "api-version=2022-12-01"
ROOT_ASSIGNMENTS = "/providers/Microsoft.Authorization/roleAssignments"
ELEVATE = "/providers/Microsoft.Authorization/elevateAccess"


def _estate(*roles: tuple[str, str, str]) -> Any:
    b = ScenarioBuilder("Tailspin").without_azure_access()
    for name in ("Prod", "Dev", "Lab"):
        b.azure_subscription(name, offer="AzurePlan")
    for principal, role, scope in roles:
        b.azure_role(principal, role, scope)
    return load_scenario(b)


def _listed(state: Any, principal: Any) -> list[str]:
    return sorted(s["displayName"] for s in payload(arm(state, principal, "GET", "/subscriptions", V))["value"])


def test_a_caller_without_any_role_gets_200_and_an_empty_list_not_a_403():
    state = _estate()
    resp = arm(state, app(state), "GET", "/subscriptions", V)
    assert resp.status == 200 and payload(resp) == {"value": []}
    assert len(state.azure_subscriptions) == 3


def test_a_role_on_one_subscription_shows_only_that_one_and_reading_another_is_authorization_failed():
    state = _estate(("closegate", "Reader", "subscription:Prod"))
    p = app(state)
    assert _listed(state, p) == ["Prod"]
    dev = next(s.subscription_id for s in state.azure_subscriptions.values() if s.display_name == "Dev")
    refused = arm(state, p, "GET", f"/subscriptions/{dev}", V)
    assert refused.status == 403
    error = payload(refused)["error"]
    assert error["code"] == "AuthorizationFailed"
    assert f"object id '{CLOSEGATE_OID}'" in error["message"] and f"'/subscriptions/{dev}'" in error["message"]
    assert "Microsoft.Resources/subscriptions/read" in error["message"]


@pytest.mark.parametrize("scope", ["/", "root"])
def test_a_role_at_root_or_at_the_tenant_root_group_shows_every_subscription(scope):
    state = _estate(("closegate", "Reader", scope))
    assert _listed(state, app(state)) == ["Dev", "Lab", "Prod"]


def test_reader_cannot_cancel_and_owner_can():
    state = _estate(("closegate", "Reader", "/"))
    p = app(state)
    sid = next(iter(state.azure_subscriptions))
    path = f"/subscriptions/{sid}/providers/Microsoft.Subscription/cancel"
    refused = arm(state, p, "POST", path, "api-version=2021-10-01")
    assert refused.status == 403 and "Microsoft.Subscription/cancel/action" in payload(refused)["error"]["message"]
    state.azure.assign(f"/subscriptions/{sid}", OWNER, CLOSEGATE_OID, "ServicePrincipal", state.clock.now())
    assert arm(state, p, "POST", path, "api-version=2021-10-01").status == 200
    assert state.azure_subscriptions[sid].state == "Disabled"


def test_listing_role_assignments_at_root_proves_visibility_only_with_read_at_root():
    partial = _estate(("closegate", "Reader", "subscription:Prod"))
    p = app(partial)
    refused = arm(partial, p, "GET", ROOT_ASSIGNMENTS, f"api-version=2022-04-01&$filter=principalId eq '{CLOSEGATE_OID}'")
    assert refused.status == 403 and "Microsoft.Authorization/roleAssignments/read" in payload(refused)["error"]["message"]
    assert "over scope '/'" in payload(refused)["error"]["message"]
    full = _estate(("closegate", "Reader", "/"))
    q = app(full)
    mine = payload(arm(full, q, "GET", ROOT_ASSIGNMENTS, f"api-version=2022-04-01&$filter=principalId eq '{CLOSEGATE_OID}'"))
    props = [a["properties"] for a in mine["value"]]
    assert props == [{**props[0], "scope": "/", "principalId": CLOSEGATE_OID, "principalType": "ServicePrincipal",
                      "roleDefinitionId": f"/providers/Microsoft.Authorization/roleDefinitions/{READER}"}]
    assert mine["value"][0]["id"] == f"/providers/Microsoft.Authorization/roleAssignments/{mine['value'][0]['name']}"


def test_at_scope_filter_gives_assignments_at_or_above_and_no_filter_adds_those_below():
    state = _estate(("closegate", "Owner", "/"), ("closegate", "Reader", "subscription:Prod"))
    p = app(state)
    prod = next(s.subscription_id for s in state.azure_subscriptions.values() if s.display_name == "Prod")
    at_root = payload(arm(state, p, "GET", ROOT_ASSIGNMENTS, "api-version=2022-04-01&$filter=atScope()"))["value"]
    assert [a["properties"]["scope"] for a in at_root] == ["/"]
    everything = payload(arm(state, p, "GET", ROOT_ASSIGNMENTS, "api-version=2022-04-01"))["value"]
    assert sorted(a["properties"]["scope"] for a in everything) == ["/", f"/subscriptions/{prod}"]
    below = payload(arm(state, p, "GET", f"/subscriptions/{prod}{ROOT_ASSIGNMENTS}",
                        "api-version=2022-04-01&$filter=atScope()"))["value"]
    assert sorted(a["properties"]["scope"] for a in below) == ["/", f"/subscriptions/{prod}"]


def test_elevate_access_gives_a_global_administrator_user_access_administrator_at_root():
    state = _estate()
    admin = user(state, state.closing_admin_upn)
    assert _listed(state, admin) == []
    assert arm(state, admin, "POST", ELEVATE, "api-version=2016-07-01").status == 200
    assert _listed(state, admin) == ["Dev", "Lab", "Prod"]
    uaa = [ra for ra in state.azure.role_assignments.values() if ra.role_definition_id == USER_ACCESS_ADMINISTRATOR]
    assert [(ra.scope, ra.principal_id, ra.elevated) for ra in uaa] == [("/", admin.oid, True)]
    assert arm(state, admin, "POST", ELEVATE, "api-version=2015-07-01").status == 400


def test_elevate_access_is_refused_to_apps_even_global_administrators_and_to_other_users():
    state = load_scenario(ScenarioBuilder().without_azure_access().user("ann").azure_subscription("Prod")
                          .service_principal("Robot", "a0000000-0000-0000-0000-000000000001", global_admin=True))
    robot = app(state, oid=state.service_principal_id("a0000000-0000-0000-0000-000000000001"))
    for caller in (robot, user(state, "ann@fabrikam.onmicrosoft.com")):
        refused = arm(state, caller, "POST", ELEVATE, "api-version=2016-07-01")
        assert refused.status == 403
        assert "Microsoft.Authorization/elevateAccess/action" in payload(refused)["error"]["message"]
    assert state.azure.role_assignments == {}


def test_a_group_role_applies_to_its_members():
    b = (ScenarioBuilder().without_azure_access().user("ann").group("Cloud Ops", ["ann"])
         .azure_subscription("Prod").azure_role("group:Cloud Ops", "Reader", "/"))
    state = load_scenario(b)
    assert _listed(state, user(state, "ann@fabrikam.onmicrosoft.com")) == ["Prod"]


def test_scope_inheritance_runs_resource_group_subscription_root_group_root():
    state = _estate()
    root_mg = state.azure.root_management_group
    assert scopes_above(state, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/x")[-3:] == [
        "/subscriptions/s", root_mg, "/"]
    assert scopes_above(state, root_mg) == [root_mg, "/"] and scopes_above(state, "/") == ["/"]


def test_the_operator_assigns_and_removes_roles_and_elevates_users(emulator_factory):
    emu = emulator_factory(ScenarioBuilder("Tailspin").without_azure_access().azure_subscription("Prod"))
    admin = emu.state.closing_admin_upn
    emu.operator.assign_azure_role(admin, "Reader", "/")
    assert any(ra.scope == "/" for ra in emu.state.azure.role_assignments.values())
    emu.operator.remove_azure_role(admin, "Reader", "/")
    assert emu.state.azure.role_assignments == {}
    assert emu.operator.elevate_access()["role"] == "User Access Administrator"
    from closegate.emulator.operator import OperatorError

    with pytest.raises(OperatorError) as missing:
        emu.operator.remove_azure_role(admin, "Owner", "/")
    assert missing.value.status == 404
