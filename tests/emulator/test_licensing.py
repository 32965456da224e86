"""The licence model: capabilities come from the tenant's SKUs, and Graph refuses what a tenant lacks."""

from __future__ import annotations

import pytest

from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.graph import GraphService, Limits
from closegate.emulator.licensing import (
    AAD_PREMIUM,
    AAD_PREMIUM_P2,
    ENTRA_GOVERNANCE,
    TIERS,
    has_plan,
    has_premium,
    pim_available,
)
from closegate.emulator.scenarios import load_scenario
from tests.emulator.graph_helpers import app_principal, body, call

PIM = "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances"
REGISTRATIONS = "/v1.0/reports/authenticationMethods/userRegistrationDetails"


def _tenant(tier: str):
    state = load_scenario(ScenarioBuilder().strict().licence(tier))
    return state, GraphService(state, Limits.off()), app_principal(state.tenant_id)


@pytest.mark.parametrize(("tier", "p1", "pim"), [
    ("none", False, False), ("business-basic", False, False), ("business-standard", False, False),
    ("business-premium", True, False), ("E3", True, False), ("P1", True, False), ("P2", True, True),
    ("E5", True, True), ("governance", True, True),
])
def test_capabilities_follow_the_service_plans_of_the_tenants_skus(tier, p1, pim):
    state, _, _ = _tenant(tier)
    assert has_premium(state) is p1 and has_plan(state, AAD_PREMIUM) is p1
    assert pim_available(state) is pim
    assert set(TIERS) >= {tier}


def test_pim_eligibility_without_p2_is_graphs_400_aad_premium_license_required():
    _, svc, p = _tenant("business-standard")
    resp = call(svc, p, "GET", PIM + "?$expand=principal", headers={"client-request-id": "c-1"})
    assert resp.status == 400
    error = body(resp)["error"]
    assert error["code"] == "AadPremiumLicenseRequired" and "P2" in error["message"]
    assert error["innerError"]["client-request-id"] == "c-1" and error["innerError"]["request-id"]
    assert error["innerError"]["date"]
    request = {"action": "adminRemove", "principalId": "x", "roleDefinitionId": "y"}
    assert call(svc, p, "POST", "/v1.0/roleManagement/directory/roleEligibilityScheduleRequests",
                request).status == 400


@pytest.mark.parametrize("tier", ["P2", "E5", "governance"])
def test_pim_eligibility_answers_when_p2_or_id_governance_is_held(tier):
    _, svc, p = _tenant(tier)
    assert call(svc, p, "GET", PIM).status == 200


def test_a_missing_permission_is_refused_before_the_licence_is_looked_at():
    state, svc, _ = _tenant("business-standard")
    unprivileged = app_principal(state.tenant_id, roles=frozenset({"User.Read.All"}))
    assert body(call(svc, unprivileged, "GET", PIM))["error"]["code"] == "Authorization_RequestDenied"


def test_a_suspended_p2_no_longer_answers_and_a_p2_in_its_grace_period_still_does():
    state = load_scenario(ScenarioBuilder().strict().subscription("AAD_PREMIUM_P2", status="Warning"))
    svc, p = GraphService(state, Limits.off()), app_principal(state.tenant_id)
    assert call(svc, p, "GET", PIM).status == 200 and has_plan(state, AAD_PREMIUM_P2)
    next(iter(state.subscriptions.values())).status = "Suspended"
    assert call(svc, p, "GET", PIM).status == 400


def test_registration_details_need_a_premium_licence_403():
    _, svc, p = _tenant("business-standard")
    resp = call(svc, p, "GET", REGISTRATIONS)
    assert resp.status == 403
    assert body(resp)["error"]["code"] == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    _, premium, p1 = _tenant("business-premium")
    assert call(premium, p1, "GET", REGISTRATIONS).status == 200


def test_registration_details_refuse_select_even_with_premium_in_every_scenario():
    _, svc, p = _tenant("E5")
    refused = call(svc, p, "GET", REGISTRATIONS + "?$select=id,isMfaRegistered")
    assert refused.status == 400 and "Select" in body(refused)["error"]["message"]
    assert call(svc, p, "GET", REGISTRATIONS + "?$filter=isMfaRegistered eq true").status == 200
    builder = load_scenario(ScenarioBuilder())  # P2 assumed, and still no $select: the product sends none
    assert call(GraphService(builder, Limits.off()), app_principal(builder.tenant_id), "GET",
                REGISTRATIONS + "?$select=id").status == 400


def test_a_licence_tier_adds_a_real_sku_and_an_enabled_subscription():
    state, svc, p = _tenant("governance")
    parts = {s["skuPartNumber"] for s in body(call(svc, p, "GET", "/v1.0/subscribedSkus"))["value"]}
    assert parts == {"AAD_PREMIUM", "Microsoft_Entra_ID_Governance"}
    assert has_plan(state, ENTRA_GOVERNANCE) and not has_plan(state, AAD_PREMIUM_P2)


def test_built_in_scenarios_hold_only_the_licences_their_skus_give():
    demo = load_scenario("demo")
    assert demo.compat.assumed_plans == frozenset() and pim_available(demo)  # Microsoft 365 E5, until cancelled
    ready = load_scenario("ready")  # a READY tenant has no subscription left, so no P2 and no PIM
    assert ready.compat.assumed_plans == frozenset() and not pim_available(ready)
    assert ScenarioBuilder().build()["compat"]["assumedPlans"] == [AAD_PREMIUM_P2]  # test tenants say they assume it
