"""Graph roles, PIM, groups, apps, permissions, $batch and throttling."""

from __future__ import annotations

import pytest

from closegate.emulator.graph import GraphService, Limits
from closegate.emulator.scenarios import load_scenario
from closegate.emulator.wire import Principal
from tests.emulator.graph_helpers import app_principal, body, call

GA = "62e90394-69f5-4237-9190-012177145e10"


@pytest.fixture
def demo():
    state = load_scenario("demo")
    return state, GraphService(state, Limits.off()), app_principal(state.tenant_id)


def test_global_admins_with_expanded_principals_include_group_and_guest(demo):
    _, svc, p = demo
    page = body(call(svc, p, "GET", f"/v1.0/roleManagement/directory/roleAssignments?$filter=roleDefinitionId eq "
                                   f"'{GA}'&$expand=principal"))
    kinds = sorted(a["principal"]["@odata.type"] for a in page["value"])
    assert kinds == ["#microsoft.graph.group", "#microsoft.graph.user", "#microsoft.graph.user"]
    eligible = body(call(svc, p, "GET", "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances"))["value"]
    assert [e["roleDefinitionId"] for e in eligible] == [GA]


def test_nobody_removes_their_own_global_admin_assignment(demo):
    state, svc, _ = demo
    admin = state.find_user(state.closing_admin_upn)["id"]
    me = Principal(state.tenant_id, "graph", "pc", "user", admin, scopes=frozenset({"RoleManagement.ReadWrite.Directory"}),
                   wids=frozenset({GA}))
    mine = body(call(svc, me, "GET", f"/v1.0/roleManagement/directory/roleAssignments?$filter=principalId eq '{admin}'"))
    resp = call(svc, me, "DELETE", f"/v1.0/roleManagement/directory/roleAssignments/{mine['value'][0]['id']}")
    assert resp.status == 400
    guest = next(a for a in state.role_assignments.values() if a.principal_id != admin and a.role_definition_id == GA)
    assert call(svc, me, "DELETE", f"/v1.0/roleManagement/directory/roleAssignments/{guest.id}").status == 204


def test_eligibility_removed_through_admin_remove_request(demo):
    state, svc, p = demo
    el = next(iter(state.eligibilities.values()))
    req = {"action": "adminRemove", "principalId": el.principal_id, "roleDefinitionId": GA, "directoryScopeId": "/"}
    resp = call(svc, p, "POST", "/v1.0/roleManagement/directory/roleEligibilityScheduleRequests", req)
    assert resp.status == 201 and body(resp)["status"] == "Revoked"
    assert body(call(svc, p, "GET", "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances"))["value"] == []
    again = call(svc, p, "POST", "/v1.0/roleManagement/directory/roleEligibilityScheduleRequests", req)
    assert again.status == 400


def test_missing_permission_is_403_authorization_request_denied(demo):
    state, svc, _ = demo
    weak = app_principal(state.tenant_id, frozenset({"User.Read.All"}))
    resp = call(svc, weak, "GET", "/v1.0/subscribedSkus")
    err = body(resp)["error"]
    assert resp.status == 403 and err["code"] == "Authorization_RequestDenied"
    assert err["message"] == "Insufficient privileges to complete the operation."
    assert set(err["innerError"]) == {"date", "request-id", "client-request-id"}


def test_untyped_deleted_items_list_is_an_error(demo):
    _, svc, p = demo
    assert call(svc, p, "GET", "/v1.0/directory/deletedItems").status == 400


def test_first_party_service_principal_refuses_deletion_but_can_be_disabled(demo):
    state, svc, p = demo
    graph_sp = "/v1.0/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')"
    assert call(svc, p, "DELETE", graph_sp).status == 403
    assert call(svc, p, "PATCH", graph_sp, {"accountEnabled": False}).status == 204
    assert body(call(svc, p, "GET", graph_sp))["accountEnabled"] is False
    app = body(call(svc, p, "GET", "/v1.0/applications"))["value"][0]
    assert call(svc, p, "DELETE", f"/v1.0/applications/{app['id']}").status == 204
    deleted = body(call(svc, p, "GET", "/v1.0/directory/deletedItems/microsoft.graph.application"))["value"]
    assert [a["id"] for a in deleted] == [app["id"]]


def test_me_and_transitive_member_of_show_roles_through_groups(demo):
    state, svc, _ = demo
    grace = state.find_user("grace.it@contoso.onmicrosoft.com")["id"]
    me = Principal(state.tenant_id, "graph", "pc", "user", grace, scopes=frozenset({"User.Read"}))
    assert body(call(svc, me, "GET", "/v1.0/me"))["id"] == grace
    roles = body(call(svc, me, "GET", "/v1.0/me/transitiveMemberOf/microsoft.graph.directoryRole"))["value"]
    assert [r["roleTemplateId"] for r in roles] == [GA]


def test_batch_limits_ids_dependencies_and_out_of_order(demo):
    _, svc, p = demo
    too_many = {"requests": [{"id": str(i), "method": "GET", "url": "/organization"} for i in range(21)]}
    assert call(svc, p, "POST", "/v1.0/$batch", too_many).status == 400
    dup = {"requests": [{"id": "a", "method": "GET", "url": "/users"}, {"id": "A", "method": "GET", "url": "/users"}]}
    assert call(svc, p, "POST", "/v1.0/$batch", dup).status == 400
    assert call(svc, p, "POST", "/v1.0/$batch", {"nope": 1}).status == 400
    reqs = {"requests": [
        {"id": "1", "method": "GET", "url": "/users/nobody@nowhere"},
        {"id": "2", "method": "GET", "url": "/organization", "dependsOn": ["1"]},
        *({"id": str(i), "method": "GET", "url": "/users?$top=1"} for i in range(3, 12)),
    ]}
    out = body(call(svc, p, "POST", "/v1.0/$batch", reqs))["responses"]
    status = {r["id"]: r["status"] for r in out}
    assert status["1"] == 404 and status["2"] == 424 and status["3"] == 200
    assert [r["id"] for r in out] != [r["id"] for r in reqs["requests"]]


def test_resource_unit_throttling_429_with_headers_and_per_item_429_in_batch():
    state = load_scenario("ready")
    now = [0.0]
    svc = GraphService(state, Limits(ru_per_window={"S": 4, "M": 4, "L": 4}), monotonic=lambda: now[0])
    p = app_principal(state.tenant_id)
    assert call(svc, p, "GET", "/v1.0/users").header("x-ms-resource-unit") == "2"
    assert call(svc, p, "GET", "/v1.0/users").status == 200
    throttled = call(svc, p, "GET", "/v1.0/organization")
    assert throttled.status == 429 and throttled.header("Retry-After") == "10"
    assert throttled.header("x-ms-throttle-information") == "ResourceUnitLimitExceeded"
    assert throttled.header("x-ms-throttle-scope") == f"Tenant_Application/ReadWrite/{p.app_id}/{state.tenant_id}"
    now[0] = 10.0
    batch = {"requests": [{"id": str(i), "method": "GET", "url": "/users"} for i in range(3)]}
    statuses = sorted(r["status"] for r in body(call(svc, p, "POST", "/v1.0/$batch", batch))["responses"])
    assert statuses == [200, 200, 429]


def test_write_quota_and_conditional_access_rate_without_retry_after():
    state = load_scenario("demo")
    now = [0.0]
    svc = GraphService(state, Limits(writes_per_window=1), monotonic=lambda: now[0])
    p = app_principal(state.tenant_id)
    assert call(svc, p, "PATCH", "/v1.0/admin/reportSettings", {"displayConcealedNames": False}).status == 204
    second = call(svc, p, "PATCH", "/v1.0/admin/reportSettings", {"displayConcealedNames": False})
    assert second.status == 429 and second.header("x-ms-throttle-information") == "WriteLimitExceeded"
    assert call(svc, p, "GET", "/v1.0/identity/conditionalAccess/policies").status == 200
    ca = call(svc, p, "GET", "/v1.0/identity/conditionalAccess/policies")
    assert ca.status == 429 and ca.header("Retry-After") is None
    now[0] = 1.0
    assert call(svc, p, "GET", "/v1.0/identity/conditionalAccess/policies").status == 200
