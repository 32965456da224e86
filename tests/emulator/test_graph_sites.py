"""Teams and Microsoft 365 groups with their owners, the SharePoint sites list, and which
mailboxes are shared (mailboxSettings.userPurpose)."""

from __future__ import annotations

import pytest
from graph_helpers import app_principal, body, call, user_principal

from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.graph import GraphService, Limits
from closegate.emulator.scenarios import load_scenario

GROUPS = frozenset({"GroupMember.Read.All"})
SITES = frozenset({"Sites.Read.All"})
MAIL = frozenset({"MailboxSettings.Read"})


@pytest.fixture
def tenant():
    b = (ScenarioBuilder().user("ann").user("bob")
         .team("Sales", owners=("ann",), members=("ann", "bob"))
         .team("Newsletter", owners=("bob",), team=False)
         .team("Legacy (on-premises)", owners=("ann",), team=False, synced=True)
         .group("Security group", ["ann"]))
    state = load_scenario(b)
    return b, state, GraphService(state, Limits.off())


def _names(resp):  # noqa: ANN001, ANN202
    assert resp.status == 200, resp.body[:300]
    return sorted(g["displayName"] for g in body(resp)["value"])


def test_microsoft_365_groups_and_teams_are_found_with_lambda_filters(tenant):
    _, state, svc = tenant
    app = app_principal(state.tenant_id, roles=frozenset({"Group.Read.All"}))
    unified = call(svc, app, "GET", "/v1.0/groups?$filter=groupTypes/any(c:c eq 'Unified')")
    assert _names(unified) == ["Legacy (on-premises)", "Newsletter", "Sales"]
    teams = call(svc, app, "GET", "/v1.0/groups?$filter=resourceProvisioningOptions/Any(x:x eq 'Team')")
    assert _names(teams) == ["Sales"]


def test_a_malformed_lambda_is_a_syntax_error(tenant):
    _, state, svc = tenant
    app = app_principal(state.tenant_id, roles=frozenset({"Group.Read.All"}))
    assert call(svc, app, "GET", "/v1.0/groups?$filter=groupTypes/any(c:d eq 'Unified')").status == 400


def test_owners_are_listed_as_users_except_for_synced_groups(tenant):
    b, state, svc = tenant
    app = app_principal(state.tenant_id, roles=GROUPS)
    ids = {g.display_name: g.id for g in state.groups.values()}
    (owner,) = body(call(svc, app, "GET", f"/v1.0/groups/{ids['Sales']}/owners"))["value"]
    assert owner["@odata.type"] == "#microsoft.graph.user" and owner["userPrincipalName"] == b.upn("ann")
    assert body(call(svc, app, "GET", f"/v1.0/groups/{ids['Legacy (on-premises)']}/owners"))["value"] == []


def test_owners_need_a_group_read_permission(tenant):
    _, state, svc = tenant
    gid = next(iter(state.groups))
    assert call(svc, app_principal(state.tenant_id, roles=SITES), "GET", f"/v1.0/groups/{gid}/owners").status == 403


def test_a_deleted_owner_is_no_longer_listed(tenant):
    b, state, svc = tenant
    app = app_principal(state.tenant_id, roles=GROUPS)
    sales = next(g.id for g in state.groups.values() if g.display_name == "Sales")
    state.delete_user(state.user_record(b.upn("ann")))
    assert body(call(svc, app, "GET", f"/v1.0/groups/{sales}/owners"))["value"] == []


def test_sites_are_listed_for_applications_with_graph_site_ids():
    state = load_scenario("demo")
    svc, app = GraphService(state, Limits.off()), app_principal(state.tenant_id, roles=SITES)
    sites = body(call(svc, app, "GET", "/v1.0/sites"))["value"]
    assert [s["webUrl"] for s in sites] == ["https://contoso.sharepoint.com/sites/finance",
                                           "https://contoso.sharepoint.com/sites/intranet"]
    host, collection, web = sites[0]["id"].split(",")
    assert host == "contoso.sharepoint.com" and collection and web
    assert body(call(svc, app, "GET", "/v1.0/sites/getAllSites"))["value"] == sites
    assert body(call(svc, app, "GET", f"/v1.0/sites/{sites[0]['id']}"))["webUrl"] == sites[0]["webUrl"]
    found = body(call(svc, app, "GET", "/v1.0/sites?$search=intranet"))["value"]
    assert [s["name"] for s in found] == ["intranet"]


def test_listing_every_site_is_refused_to_delegated_callers():
    state = load_scenario("demo")
    admin = state.find_user(state.closing_admin_upn)["id"]
    resp = call(GraphService(state, Limits.off()), user_principal(state.tenant_id, admin, SITES), "GET", "/v1.0/sites")
    assert resp.status == 403 and body(resp)["error"]["code"] == "accessDenied"


def test_mailbox_settings_tell_shared_and_room_mailboxes_from_user_mailboxes():
    state = load_scenario("demo")
    svc, app = GraphService(state, Limits.off()), app_principal(state.tenant_id, roles=MAIL)

    def purpose(upn: str) -> str:
        return body(call(svc, app, "GET", f"/v1.0/users/{upn}/mailboxSettings"))["userPurpose"]

    assert purpose("user000216@contoso.onmicrosoft.com") == "shared"
    assert purpose("user000218@contoso.onmicrosoft.com") == "room"
    assert purpose("grace.it@contoso.onmicrosoft.com") == "user"
    only = body(call(svc, app, "GET", "/v1.0/users/user000217@contoso.onmicrosoft.com/mailboxSettings/userPurpose"))
    assert only["value"] == "shared"


def test_a_user_without_an_exchange_mailbox_has_no_mailbox_settings():
    state = load_scenario(ScenarioBuilder().user("ann"))  # the builder's SKUs carry no Exchange plan
    resp = call(GraphService(state, Limits.off()), app_principal(state.tenant_id, roles=MAIL), "GET",
                f"/v1.0/users/{state.user_list[1].id}/mailboxSettings")
    assert resp.status == 404 and body(resp)["error"]["code"] == "MailboxNotEnabledForRESTAPI"


def test_delegated_callers_read_only_their_own_mailbox_settings():
    state = load_scenario("demo")
    svc = GraphService(state, Limits.off())
    grace = state.find_user("grace.it@contoso.onmicrosoft.com")["id"]
    user = user_principal(state.tenant_id, grace, MAIL)
    assert call(svc, user, "GET", f"/v1.0/users/{grace}/mailboxSettings").status == 200
    assert call(svc, user, "GET", "/v1.0/users/user000216@contoso.onmicrosoft.com/mailboxSettings").status == 403
