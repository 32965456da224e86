"""$select judged against Graph's metadata (real properties accepted, unmodelled ones empty, unknown
ones refused), assignedLicenses, directoryObject collections, and application/servicePrincipal owners."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.csdl import render
from closegate.emulator.graph import GraphService
from closegate.emulator.scenarios import load_scenario
from closegate.emulator.wire import Principal
from tests.emulator.graph_helpers import app_principal, body, call
from tests.paths import GRAPH_METADATA

GA = "62e90394-69f5-4237-9190-012177145e10"
E5 = "06ebc4ee-1bb5-47dd-8120-11324bc54e06"  # the demo tenant's Microsoft 365 E5


@pytest.fixture
def demo():
    state = load_scenario("demo")
    return state, GraphService(state), app_principal(state.tenant_id)


def _all(svc, p, url):  # noqa: ANN001, ANN202
    out = []
    while url:
        page = body(call(svc, p, "GET", url))
        out += page["value"]
        url = page.get("@odata.nextLink")
    return out


def test_assigned_licenses_follow_the_scenarios_consumed_units(demo):
    state, svc, p = demo
    users = _all(svc, p, "/v1.0/users?$select=id,assignedLicenses&$top=999")
    holders = [u for u in users if any(lic["skuId"] == E5 for lic in u["assignedLicenses"])]
    assert len(holders) == state.skus[E5].consumed_units == 212
    assert all(lic == {"disabledPlans": [], "skuId": lic["skuId"]} for u in users for lic in u["assignedLicenses"])
    guests = {u.id for u in state.user_list if u.user_type == "Guest"}
    assert all(u["assignedLicenses"] == [] for u in users if u["id"] in guests)


def test_a_real_property_the_emulator_does_not_model_comes_back_empty(demo):
    _, svc, p = demo
    resp = call(svc, p, "GET", "/v1.0/users?$top=2&$select=id,employeeId,otherMails,onPremisesExtensionAttributes")
    assert resp.status == 200
    for user in body(resp)["value"]:
        assert user["employeeId"] is None and user["otherMails"] == []
        assert user["onPremisesExtensionAttributes"] is None


@pytest.mark.parametrize("url", ["/v1.0/users?$select=id,notAProperty", "/v1.0/groups?$select=userType"])
def test_a_property_the_type_does_not_have_is_graphs_400(demo, url):
    _, svc, p = demo
    resp = call(svc, p, "GET", url)
    assert resp.status == 400
    assert "Could not find a property named" in body(resp)["error"]["message"]


def test_beta_only_properties_are_judged_by_the_beta_metadata(demo):
    state, svc, p = demo
    admin = state.find_user(state.closing_admin_upn)["id"]
    assert call(svc, p, "GET", f"/v1.0/users/{admin}?$select=id,assignedLicenses").status == 200
    assert call(svc, p, "GET", f"/beta/users/{admin}?$select=id,assignedLicenses").status == 200


def test_group_members_take_a_derived_types_property_and_each_member_keeps_its_own():
    state = load_scenario(ScenarioBuilder("Fabrikam").user("ann").guest("bob@partner.example")
                          .service_principal("Robot", "22222222-2222-2222-2222-222222222222")
                          .group("Mixed", ["ann", "app:22222222-2222-2222-2222-222222222222"]))
    svc, p = GraphService(state), app_principal(state.tenant_id)
    gid = next(g.id for g in state.groups.values() if g.display_name == "Mixed")
    with state.lock:
        state.groups[gid].member_ids.append(state.find_user("bob_partner.example#EXT#@fabrikam.onmicrosoft.com")["id"])
    members = body(call(svc, p, "GET", f"/v1.0/groups/{gid}/members?$select=id,displayName,userType"))["value"]
    by_type = {m["@odata.type"]: m for m in members}
    assert sorted(m.get("userType") for m in members if m["@odata.type"] == "#microsoft.graph.user") == ["Guest", "Member"]
    assert set(by_type["#microsoft.graph.servicePrincipal"]) == {"@odata.type", "id", "displayName"}
    assert call(svc, p, "GET", f"/v1.0/groups/{gid}/members?$select=id,bogus").status == 400


def test_my_directory_roles_can_be_selected_after_the_cast(demo):
    state, svc, _ = demo
    grace = state.find_user("grace.it@contoso.onmicrosoft.com")["id"]
    me = Principal(state.tenant_id, "graph", "pc", "user", grace, scopes=frozenset({"User.Read"}))
    resp = call(svc, me, "GET", "/v1.0/me/transitiveMemberOf/microsoft.graph.directoryRole?$select=id,roleTemplateId")
    assert resp.status == 200
    assert [set(r) for r in body(resp)["value"]] == [{"@odata.type", "id", "roleTemplateId"}]
    assert body(resp)["value"][0]["roleTemplateId"] == GA
    assert call(svc, me, "GET", "/v1.0/me/transitiveMemberOf/microsoft.graph.directoryRole"
                "?$select=userType").status == 400


def test_application_and_service_principal_owners_are_listed(demo):
    state, svc, p = demo
    app = next(a for a in state.applications.values() if a.display_name == "Payroll Connector")
    owners = body(call(svc, p, "GET", f"/v1.0/applications/{app.id}/owners"))["value"]
    assert sorted(o["userPrincipalName"] for o in owners) == ["admin@contoso.onmicrosoft.com",
                                                              "grace.it@contoso.onmicrosoft.com"]
    assert all(o["@odata.type"] == "#microsoft.graph.user" for o in owners)
    sp = next(s for s in state.service_principals.values() if s.display_name == "Salesforce")
    owners = body(call(svc, p, "GET", f"/v1.0/servicePrincipals/{sp.id}/owners?$select=id,userType"))["value"]
    assert owners == [{"@odata.type": "#microsoft.graph.user", "id": state.find_user(state.closing_admin_upn)["id"],
                       "userType": "Member"}]
    by_app_id = body(call(svc, p, "GET", f"/v1.0/applications(appId='{app.app_id}')/owners"))["value"]
    assert len(by_app_id) == 2


def test_owners_need_an_application_read_permission(demo):
    state, svc, _ = demo
    app = next(iter(state.applications.values()))
    reader = app_principal(state.tenant_id, roles=frozenset({"User.Read.All"}))
    assert call(svc, reader, "GET", f"/v1.0/applications/{app.id}/owners").status == 403
    owned_by = app_principal(state.tenant_id, roles=frozenset({"Application.ReadWrite.OwnedBy"}))
    assert call(svc, owned_by, "GET", f"/v1.0/applications/{app.id}/owners").status == 200


def test_the_recycle_bin_still_empties_users_deleted_after_the_last_sweep(demo):
    state, svc, p = demo
    first, second = [u.id for u in state.user_list
                     if u.user_type == "Guest" and not state.active_role_template_ids(u.id)][:2]
    assert call(svc, p, "DELETE", f"/v1.0/users/{first}").status == 204
    state.clock.advance(timedelta(days=10))
    assert call(svc, p, "DELETE", f"/v1.0/users/{second}").status == 204
    state.clock.advance(timedelta(days=20))
    call(svc, p, "GET", "/v1.0/organization")
    assert state.user_record(first) is None and state.user_record(second) is not None
    state.clock.advance(timedelta(days=10))
    call(svc, p, "GET", "/v1.0/organization")
    assert state.user_record(second) is None


def test_the_stored_metadata_tables_match_graphs_csdl():
    stored = Path(__file__).parents[2] / "closegate" / "emulator" / "csdl_types.py"
    assert stored.read_text(encoding="utf-8") == render(GRAPH_METADATA)
