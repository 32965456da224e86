"""Graph user endpoints: paging, query options, deletion rules, sync turn-off and the recycle bin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from graph_helpers import app_principal, body, call

from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.graph import GraphService
from closegate.emulator.scenarios import load_scenario


@pytest.fixture
def demo():
    state = load_scenario("demo")
    return state, GraphService(state), app_principal(state.tenant_id)


def test_users_page_through_every_user_with_opaque_next_links(demo):
    state, svc, p = demo
    seen, url = [], "/v1.0/users?$top=100&$select=id,userPrincipalName"
    while url:
        page = body(call(svc, p, "GET", url))
        seen += [u["id"] for u in page["value"]]
        assert all(set(u) == {"id", "userPrincipalName"} for u in page["value"])
        url = page.get("@odata.nextLink")
        assert url is None or "$skiptoken=" in url and url.startswith("https://127.0.0.1:8443/v1.0/users?")
    assert len(seen) == len(set(seen)) == len(state.users)


def test_users_default_properties_without_select(demo):
    _, svc, p = demo
    user = body(call(svc, p, "GET", "/v1.0/users?$top=1"))["value"][0]
    assert set(user) == {"businessPhones", "displayName", "givenName", "id", "jobTitle", "mail", "mobilePhone",
                         "officeLocation", "preferredLanguage", "surname", "userPrincipalName"}


@pytest.mark.parametrize("top", ["0", "1000", "x"])
def test_users_top_outside_1_to_999_is_unsupported_query(demo, top):
    _, svc, p = demo
    resp = call(svc, p, "GET", f"/v1.0/users?$top={top}")
    assert resp.status == 400 and body(resp)["error"]["code"] == "Request_UnsupportedQuery"


def test_filter_eq_startswith_in_and_null(demo):
    _, svc, p = demo
    guests = body(call(svc, p, "GET", "/v1.0/users?$top=999&$filter=userType eq 'Guest'&$select=userType"))["value"]
    assert len(guests) == 21 and {g["userType"] for g in guests} == {"Guest"}
    synced = body(call(svc, p, "GET", "/v1.0/users?$top=999&$filter=onPremisesSyncEnabled eq true"))["value"]
    assert len(synced) == 80
    both = body(call(svc, p, "GET", "/v1.0/users?$filter=startswith(userPrincipalName,'ADMIN@') or "
                                   "userPrincipalName in ('grace.it@contoso.onmicrosoft.com')"))["value"]
    assert sorted(u["userPrincipalName"] for u in both) == ["admin@contoso.onmicrosoft.com",
                                                            "grace.it@contoso.onmicrosoft.com"]
    cloud = body(call(svc, p, "GET", "/v1.0/users?$top=999&$filter=onPremisesSyncEnabled eq null"))["value"]
    assert len(cloud) == 256 - 80


def test_ne_filter_needs_eventual_consistency_and_count(demo):
    _, svc, p = demo
    url = "/v1.0/users?$filter=userType ne 'Guest'"
    assert body(call(svc, p, "GET", url))["error"]["code"] == "Request_UnsupportedQuery"
    ok = body(call(svc, p, "GET", url + "&$count=true&$top=5", headers={"ConsistencyLevel": "eventual"}))
    assert ok["@odata.count"] == 235 and len(ok["value"]) == 5


def test_count_only_on_first_page_and_header_not_carried_to_next_page(demo):
    _, svc, p = demo
    first = body(call(svc, p, "GET", "/v1.0/users?$count=true&$top=100", headers={"ConsistencyLevel": "eventual"}))
    assert first["@odata.count"] == 256
    bare = call(svc, p, "GET", first["@odata.nextLink"])
    assert bare.status == 400 and body(bare)["error"]["message"] == "$count is not currently supported."
    second = body(call(svc, p, "GET", first["@odata.nextLink"], headers={"ConsistencyLevel": "eventual"}))
    assert "@odata.count" not in second and len(second["value"]) == 100


def test_raw_count_is_text_plain(demo):
    _, svc, p = demo
    resp = call(svc, p, "GET", "/v1.0/users/$count", headers={"ConsistencyLevel": "eventual"})
    assert resp.status == 200 and resp.header("Content-Type") == "text/plain" and resp.body == b"256"


def test_get_user_by_upn_and_unknown_select_property(demo):
    _, svc, p = demo
    user = body(call(svc, p, "GET", "/v1.0/users/admin@contoso.onmicrosoft.com?$select=id,accountEnabled"))
    assert user["accountEnabled"] is True and user["@odata.context"].endswith("#users/$entity")
    bad = call(svc, p, "GET", "/v1.0/users?$select=nope")
    assert bad.status == 400 and "nope" in body(bad)["error"]["message"]


def test_synced_user_cannot_be_deleted_until_sync_turn_off_completes_after_72_hours(demo):
    state, svc, p = demo
    synced = body(call(svc, p, "GET", "/v1.0/users?$top=1&$filter=onPremisesSyncEnabled eq true"))["value"][0]
    refused = call(svc, p, "DELETE", f"/v1.0/users/{synced['id']}")
    assert refused.status == 400 and body(refused)["error"]["code"] == "Request_BadRequest"
    assert call(svc, p, "PATCH", f"/v1.0/organization/{state.tenant_id}",
                {"onPremisesSyncEnabled": False}).status == 204
    state.clock.advance(timedelta(hours=71))
    org = body(call(svc, p, "GET", "/v1.0/organization"))["value"][0]
    assert org["onPremisesSyncEnabled"] is True
    assert call(svc, p, "DELETE", f"/v1.0/users/{synced['id']}").status == 400
    state.clock.advance(timedelta(hours=1))
    assert body(call(svc, p, "GET", "/v1.0/organization"))["value"][0]["onPremisesSyncEnabled"] is False
    user = body(call(svc, p, "GET", f"/v1.0/users/{synced['id']}?$select=onPremisesSyncEnabled"))
    assert user["onPremisesSyncEnabled"] is False
    assert call(svc, p, "DELETE", f"/v1.0/users/{synced['id']}").status == 204


def test_deleted_user_sits_in_recycle_bin_30_days_and_can_be_restored(demo):
    state, svc, p = demo
    uid = body(call(svc, p, "GET", "/v1.0/users/ops.break-glass@contoso.onmicrosoft.com"))["id"]
    assert call(svc, p, "DELETE", f"/v1.0/users/{uid}").status == 204
    assert call(svc, p, "GET", f"/v1.0/users/{uid}").status == 404
    bin_ = body(call(svc, p, "GET", "/v1.0/directory/deletedItems/microsoft.graph.user"))["value"]
    assert [u["id"] for u in bin_] == [uid] and bin_[0]["deletedDateTime"]
    assert call(svc, p, "POST", f"/v1.0/directory/deletedItems/{uid}/restore").status == 200
    assert call(svc, p, "DELETE", f"/v1.0/users/{uid}").status == 204
    state.clock.advance(timedelta(days=30))
    assert body(call(svc, p, "GET", "/v1.0/directory/deletedItems/microsoft.graph.user"))["value"] == []
    assert state.user_record(uid) is None


def test_eventual_consistency_keeps_a_deleted_user_listed_for_the_configured_delay(demo):
    state, svc, p = demo
    state.eventual_delay = timedelta(seconds=5)
    uid = state.find_user("ops.break-glass@contoso.onmicrosoft.com")["id"]
    call(svc, p, "DELETE", f"/v1.0/users/{uid}")
    listed = lambda: any(u["id"] == uid for u in body(call(svc, p, "GET", "/v1.0/users?$top=999"))["value"])  # noqa: E731
    assert listed()
    state.clock.advance(timedelta(seconds=5))
    assert not listed()


def test_app_only_delete_of_a_privileged_user_needs_an_admin_role_on_the_app():
    builder = ScenarioBuilder().global_admin("second")
    state = load_scenario(builder)
    svc = GraphService(state)
    p = app_principal(state.tenant_id, frozenset({"User.ReadWrite.All"}))
    target = state.find_user(builder.upn("second"))["id"]
    assert body(call(svc, p, "DELETE", f"/v1.0/users/{target}"))["error"]["code"] == "Authorization_RequestDenied"
    sp = state.ensure_service_principal(p.app_id, "closegate")
    state.add_role_assignment(sp, "62e90394-69f5-4237-9190-012177145e10")
    p2 = app_principal(state.tenant_id, frozenset({"User.ReadWrite.All"}), oid=sp)
    assert call(svc, p2, "DELETE", f"/v1.0/users/{target}").status == 204


def test_per_user_mfa_is_beta_only_and_patchable(demo):
    _, svc, p = demo
    url = "/users/admin@contoso.onmicrosoft.com/authentication/requirements"
    assert call(svc, p, "GET", "/v1.0" + url).status == 400
    assert call(svc, p, "PATCH", "/beta" + url, {"perUserMfaState": "disabled"}).status == 204
    assert body(call(svc, p, "GET", "/beta" + url))["perUserMfaState"] == "disabled"
    assert call(svc, p, "PATCH", "/beta" + url, {"perUserMfaState": "off"}).status == 400
