"""eDiscovery (Premium) through the Graph security API: who sees which cases, the licence app-only
access needs, custodians and the sources a hold names, legal holds on beta only, paging."""

from __future__ import annotations

import pytest
from graph_helpers import all_pages, app_principal, body, call, user_principal

from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.graph import GraphService, Limits
from closegate.emulator.scenarios import load_scenario

READ = frozenset({"eDiscovery.Read.All"})
CASES = "/v1.0/security/cases/ediscoveryCases"
FINANCE = "https://contoso.sharepoint.com/sites/finance"


@pytest.fixture
def demo():
    state = load_scenario("demo")
    return state, GraphService(state, Limits.off()), app_principal(state.tenant_id, roles=READ)


def _case_id(state, name):  # noqa: ANN001, ANN202
    return next(c.id for c in state.records.cases if c.display_name == name)


def test_app_only_lists_every_case_with_its_status(demo):
    _, svc, app = demo
    cases = body(call(svc, app, "GET", CASES))["value"]
    assert {c["displayName"]: c["status"] for c in cases} == {
        "Fabrikam v. Contoso": "active", "2023 HR investigation": "closed"}
    closed = next(c for c in cases if c["status"] == "closed")
    assert closed["closedDateTime"] and closed["closedBy"]["user"]["displayName"] == "Alex Admin"


def test_app_only_access_is_refused_without_ediscovery_premium():
    state = load_scenario(ScenarioBuilder().licensed("AAD_PREMIUM").ediscovery_case("Case").legal_hold(
        "Case", "Hold", users=("admin",)))
    resp = call(GraphService(state, Limits.off()), app_principal(state.tenant_id, roles=READ), "GET", CASES)
    assert resp.status == 403 and body(resp)["error"]["code"] == "Forbidden"


def test_app_only_access_works_once_a_subscription_carries_ediscovery_premium():
    state = load_scenario(ScenarioBuilder().licensed("EQUIVIO_ANALYTICS").ediscovery_case("Case"))
    resp = call(GraphService(state, Limits.off()), app_principal(state.tenant_id, roles=READ), "GET", CASES)
    assert resp.status == 200 and [c["displayName"] for c in body(resp)["value"]] == ["Case"]


def test_a_suspended_premium_subscription_no_longer_allows_app_only_access():
    state = load_scenario(ScenarioBuilder().licensed("EQUIVIO_ANALYTICS", status="Suspended").ediscovery_case("Case"))
    resp = call(GraphService(state, Limits.off()), app_principal(state.tenant_id, roles=READ), "GET", CASES)
    assert resp.status == 403


def test_delegated_callers_see_their_cases_administrators_every_case_others_none():
    b = (ScenarioBuilder().user("ann").user("bob").user("eve").ediscovery_admin("eve")
         .ediscovery_case("Ann's case", members=("ann",)).ediscovery_case("Bob's case", members=("bob",)))
    state = load_scenario(b)
    svc = GraphService(state, Limits.off())

    def names(upn: str) -> list[str]:
        who = user_principal(state.tenant_id, state.find_user(b.upn(upn))["id"], READ)
        return sorted(c["displayName"] for c in body(call(svc, who, "GET", CASES))["value"])

    assert names("ann") == ["Ann's case"]
    assert names("eve") == ["Ann's case", "Bob's case"]
    assert names("admin") == []  # a Global Administrator holds no eDiscovery role by that alone


def test_a_caller_without_an_ediscovery_permission_gets_graphs_403(demo):
    state, svc, _ = demo
    resp = call(svc, app_principal(state.tenant_id, roles=frozenset({"Directory.Read.All"})), "GET", CASES)
    error = body(resp)["error"]
    assert resp.status == 403 and error["code"] == "Authorization_RequestDenied"
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}


def test_custodians_and_their_sources_name_what_is_held(demo):
    state, svc, app = demo
    case = _case_id(state, "Fabrikam v. Contoso")
    (custodian,) = body(call(svc, app, "GET", f"{CASES}/{case}/custodians"))["value"]
    assert (custodian["email"], custodian["status"], custodian["holdStatus"]) == (
        "grace.it@contoso.onmicrosoft.com", "active", "applied")
    base = f"{CASES}/{case}/custodians/{custodian['id']}"
    (mailbox,) = body(call(svc, app, "GET", f"{base}/userSources"))["value"]
    assert mailbox["email"] == "grace.it@contoso.onmicrosoft.com" and mailbox["includedSources"] == "mailbox,site"
    (site,) = body(call(svc, app, "GET", f"{base}/siteSources?$expand=site"))["value"]
    assert site["holdStatus"] == "applied" and site["site"]["webUrl"] == FINANCE


def test_a_released_custodian_says_when_and_holds_nothing(demo):
    state, svc, app = demo
    case = _case_id(state, "2023 HR investigation")
    (custodian,) = body(call(svc, app, "GET", f"{CASES}/{case}/custodians"))["value"]
    assert custodian["status"] == "released" and custodian["holdStatus"] == "notApplied"
    assert custodian["releasedDateTime"]


def test_legal_holds_are_served_on_beta_only_with_their_state(demo):
    state, svc, app = demo
    active, released = _case_id(state, "Fabrikam v. Contoso"), _case_id(state, "2023 HR investigation")
    v1 = call(svc, app, "GET", f"{CASES}/{active}/legalHolds")
    assert v1.status == 400 and "legalHolds" in body(v1)["error"]["message"]
    beta = f"/beta/security/cases/ediscoveryCases/{active}/legalHolds"
    (hold,) = body(call(svc, app, "GET", beta))["value"]
    assert (hold["displayName"], hold["isEnabled"], hold["status"]) == ("Fabrikam litigation hold", True, "success")
    sites = body(call(svc, app, "GET", f"{beta}/{hold['id']}/siteSources?$expand=site"))["value"]
    users = body(call(svc, app, "GET", f"{beta}/{hold['id']}/userSources"))["value"]
    assert [s["site"]["webUrl"] for s in sites] == [FINANCE]
    assert [u["email"] for u in users] == ["grace.it@contoso.onmicrosoft.com"]
    (old,) = body(call(svc, app, "GET", f"/beta/security/cases/ediscoveryCases/{released}/legalHolds"))["value"]
    assert old["isEnabled"] is False


def test_cases_page_with_a_next_link_and_filter_by_status(demo):
    _, svc, app = demo
    first = body(call(svc, app, "GET", f"{CASES}?$top=1"))
    assert len(first["value"]) == 1 and "@odata.nextLink" in first
    assert len(all_pages(svc, app, f"{CASES}?$top=1")) == 2
    active = body(call(svc, app, "GET", f"{CASES}?$filter=status eq 'active'"))["value"]
    assert [c["displayName"] for c in active] == ["Fabrikam v. Contoso"]


def test_select_is_judged_by_the_case_type_and_unknown_names_are_refused(demo):
    _, svc, app = demo
    picked = body(call(svc, app, "GET", f"{CASES}?$select=id,status"))["value"]
    assert all(set(c) == {"id", "status"} for c in picked)
    assert call(svc, app, "GET", f"{CASES}?$select=id,holdStatus").status == 400


def test_an_unknown_case_or_expansion_is_an_error(demo):
    state, svc, app = demo
    assert call(svc, app, "GET", f"{CASES}/00000000-0000-0000-0000-000000000000").status == 404
    case = _case_id(state, "Fabrikam v. Contoso")
    custodian = state.records.cases[0].custodians[0].id
    resp = call(svc, app, "GET", f"{CASES}/{case}/custodians/{custodian}/userSources?$expand=site")
    assert resp.status == 400
