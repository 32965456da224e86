"""Resources in Azure subscriptions, managed identities behind them, Entra Domain Services, and the
cancel -> delete rules of each Azure offer (graph-facts §12.3)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.graph import GraphService, Limits
from closegate.emulator.scenarios import load_scenario
from closegate.emulator.state import Refused
from tests.emulator.arm_helpers import app, arm, payload
from tests.emulator.graph_helpers import app_principal, body, call

RESOURCES = "api-version=2021-04-01"


def _estate(offer: str = "PayAsYouGo"):
    b = (ScenarioBuilder("Tailspin").azure_subscription("Prod", offer=offer)
         .azure_resource("Prod", "Microsoft.Web/sites", "tailspin-web", resourceGroup="rg-web", identity="SystemAssigned")
         .azure_resource("Prod", "Microsoft.ManagedIdentity/userAssignedIdentities", "deploy-id", resourceGroup="rg-ops")
         .azure_resource("Prod", "Microsoft.SaaS/resources", "contoso-crm", resourceGroup="rg-saas",
                         plan={"publisher": "contoso", "product": "crm", "name": "gold"})
         .azure_resource("Prod", "Microsoft.SaaS/resources", "metered-tool", resourceGroup="rg-saas", payAsYouGo=True)
         .azure_resource("Prod", "Microsoft.AAD/DomainServices", "aadds.tailspin.com", resourceGroup="rg-aadds"))
    state = load_scenario(b)
    return state, next(iter(state.azure_subscriptions)), app(state)


def test_resources_list_every_resource_with_marketplace_plans_and_managed_identities():
    state, sid, p = _estate()
    rows = payload(arm(state, p, "GET", f"/subscriptions/{sid}/resources", RESOURCES))["value"]
    by_name = {r["name"]: r for r in rows}
    assert set(by_name) == {"tailspin-web", "deploy-id", "contoso-crm", "metered-tool", "aadds.tailspin.com"}
    web = by_name["tailspin-web"]
    assert web["id"] == f"/subscriptions/{sid}/resourceGroups/rg-web/providers/Microsoft.Web/sites/tailspin-web"
    assert web["identity"]["type"] == "SystemAssigned" and web["identity"]["tenantId"] == state.tenant_id
    assert by_name["contoso-crm"]["plan"]["product"] == "crm"
    assert by_name["contoso-crm"]["properties"]["saasSubscriptionStatus"] == "Subscribed"


def test_managed_identities_are_service_principals_graph_will_not_delete():
    state, _, _ = _estate()
    svc, p = GraphService(state, Limits.off()), app_principal(state.tenant_id)
    listed = body(call(svc, p, "GET", "/v1.0/servicePrincipals?$filter=servicePrincipalType eq 'ManagedIdentity'"))
    names = {sp["displayName"]: sp for sp in listed["value"]}
    assert set(names) == {"tailspin-web", "deploy-id"}
    assert names["deploy-id"]["alternativeNames"][0] == "isExplicit=True"
    assert names["tailspin-web"]["alternativeNames"][0] == "isExplicit=False"
    assert names["tailspin-web"]["alternativeNames"][1].endswith("/Microsoft.Web/sites/tailspin-web")
    refused = call(svc, p, "DELETE", f"/v1.0/servicePrincipals/{names['deploy-id']['id']}")
    assert refused.status == 403


def test_deleting_the_resource_removes_its_managed_identity_from_graph():
    state, sid, p = _estate()
    web = f"/subscriptions/{sid}/resourceGroups/rg-web/providers/Microsoft.Web/sites/tailspin-web"
    sp_id = state.azure.resources[web.lower()].identity_sp_id
    assert sp_id in state.service_principals
    assert arm(state, p, "DELETE", web, "api-version=2022-03-01").status == 200
    assert sp_id not in state.service_principals
    assert arm(state, p, "DELETE", web, "api-version=2022-03-01").status == 404


def test_reading_resources_needs_a_role_on_the_subscription():
    state = load_scenario(ScenarioBuilder().without_azure_access().azure_subscription("Prod"))
    sid, p = next(iter(state.azure_subscriptions)), app(state)
    refused = arm(state, p, "GET", f"/subscriptions/{sid}/resources", RESOURCES)
    assert refused.status == 403 and payload(refused)["error"]["code"] == "AuthorizationFailed"


def test_domain_services_are_listed_the_way_arm_does_and_block_the_tenant_delete():
    state, sid, p = _estate()
    rows = payload(arm(state, p, "GET", f"/subscriptions/{sid}/providers/Microsoft.AAD/domainServices",
                       "api-version=2022-12-01"))["value"]
    assert [(r["type"], r["name"], r["properties"]["domainName"]) for r in rows] == [
        ("Microsoft.AAD/DomainServices", "aadds.tailspin.com", "aadds.tailspin.com")]
    assert "Directory has Microsoft Entra Domain Services enabled" in state.deletion_blockers()


def test_pay_as_you_go_is_deletable_3_days_after_cancel_once_its_resources_are_gone():
    state, sid, p = _estate("PayAsYouGo")
    arm(state, p, "POST", f"/subscriptions/{sid}/providers/Microsoft.Subscription/cancel", "api-version=2021-10-01")
    names = {r.name for r in state.azure.resources_in(sid)}
    assert "metered-tool" not in names and "contoso-crm" in names  # only pay-as-you-go SaaS goes with Azure
    state.clock.advance(timedelta(days=2, hours=23))
    with pytest.raises(Refused, match="can be deleted from"):
        state.delete_subscription(sid)
    state.clock.advance(timedelta(hours=1))
    with pytest.raises(Refused, match="resources first"):
        state.delete_subscription(sid)
    for resource in state.azure.resources_in(sid):
        assert arm(state, p, "DELETE", resource.id, "api-version=2022-03-01").status == 200
    state.delete_subscription(sid)
    assert sid not in state.azure_subscriptions


@pytest.mark.parametrize("offer", ["AzurePlan", "EnterpriseAgreement", "CSP", "VisualStudio"])
def test_other_offers_are_never_deletable_by_the_customer_and_go_90_days_after_cancel(offer):
    state, sid, p = _estate(offer)
    arm(state, p, "POST", f"/subscriptions/{sid}/providers/Microsoft.Subscription/cancel", "api-version=2021-10-01")
    for resource in state.azure.resources_in(sid):
        arm(state, p, "DELETE", resource.id, "api-version=2022-03-01")
    state.clock.advance(timedelta(days=89))
    with pytest.raises(Refused, match="cannot be deleted by the customer"):
        state.delete_subscription(sid)
    state.clock.advance(timedelta(days=1))
    state.tick()
    assert sid not in state.azure_subscriptions


def test_an_active_subscription_cannot_be_deleted():
    state, sid, _ = _estate()
    with pytest.raises(Refused, match="canceled before"):
        state.delete_subscription(sid)


def test_the_quota_id_tells_the_offer_apart():
    state = load_scenario(ScenarioBuilder().azure_subscription("A", offer="AzurePlan")
                          .azure_subscription("B", offer="FreeTrial").azure_subscription("C", offer="CSP"))
    quotas = {s.display_name: s.quota_id for s in state.azure_subscriptions.values()}
    assert quotas == {"A": "EnterpriseAgreement_2014-09-01", "B": "FreeTrial_2014-09-01", "C": "CSP_2015-05-01"}
