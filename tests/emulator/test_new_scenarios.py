"""The two realistic scenarios say what they claim: a small Business Standard shop and a large P2 bank."""

from __future__ import annotations

from collections import Counter

from closegate.emulator import licensing
from closegate.emulator.graph import GraphService, Limits
from closegate.emulator.scenarios import load_scenario
from tests.emulator.arm_helpers import app, arm, payload, user
from tests.emulator.graph_helpers import app_principal, body, call

V = "api-version=2022-12-01"


def test_small_business_is_business_standard_without_p2_with_a_few_users_and_one_direct_subscription():
    state = load_scenario("small-business")
    assert not state.compat.any  # only Microsoft's answers
    assert not licensing.has_premium(state) and not licensing.pim_available(state)
    assert 5 <= len(state.users) <= 10
    (sub,) = state.subscriptions.values()
    assert (state.skus[sub.sku_id].sku_part_number, sub.billing, sub.owner_tenant_id) == (
        "O365_BUSINESS_PREMIUM", "direct", state.tenant_id)
    svc, p = GraphService(state, Limits.off()), app_principal(state.tenant_id)
    assert body(call(svc, p, "GET", "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances"))[
        "error"]["code"] == "AadPremiumLicenseRequired"
    assert call(svc, p, "GET", "/v1.0/reports/authenticationMethods/userRegistrationDetails").status == 403
    assert payload(arm(state, app(state), "GET", "/subscriptions", V)) == {"value": []}  # no Azure at all


def test_enterprise_is_a_p2_bank_of_thousands_with_microsofts_principals_and_managed_identities():
    state = load_scenario("enterprise")
    assert not state.compat.any and licensing.pim_available(state)
    assert len(state.users) > 3000
    types = Counter(sp.service_principal_type for sp in state.service_principals.values())
    assert types["Application"] > 400 and types["ManagedIdentity"] == 4
    e5 = next(s for s in state.subscriptions.values() if state.skus[s.sku_id].sku_part_number == "SPE_E5")
    assert e5.billing == "mca"
    billing = {s.billing for s in state.subscriptions.values()}
    kinds = {s.kind for s in state.subscriptions.values()}
    assert billing == {"mca", "csp", "direct"} and "free" in kinds
    assert any(s.status == "Warning" for s in state.subscriptions.values())
    assert {a.agreement_type for a in state.azure.billing_accounts.values()} == {"MicrosoftCustomerAgreement"}


def test_enterprise_shows_the_app_only_some_azure_subscriptions_until_the_admin_elevates():
    state = load_scenario("enterprise")
    seen = sorted(s["displayName"] for s in payload(arm(state, app(state), "GET", "/subscriptions", V))["value"])
    assert seen == ["Innovation Sandbox", "Woodgrove Production"] and len(state.azure_subscriptions) == 4
    admin = user(state, state.closing_admin_upn)
    assert arm(state, admin, "POST", "/providers/Microsoft.Authorization/elevateAccess",
               "api-version=2016-07-01").status == 200
    assert len(payload(arm(state, admin, "GET", "/subscriptions", V))["value"]) == 4
    hidden = next(s.subscription_id for s in state.azure_subscriptions.values() if s.display_name == "Data Platform")
    services = payload(arm(state, admin, "GET", f"/subscriptions/{hidden}/providers/Microsoft.AAD/domainServices",
                           "api-version=2022-12-01"))["value"]
    assert [s["name"] for s in services] == ["aadds.woodgrovebank.com"]


def test_enterprise_invoices_are_readable_by_the_app_through_its_billing_role():
    state = load_scenario("enterprise")
    rows = payload(arm(state, app(state), "GET", "/providers/Microsoft.Billing/billingAccounts/woodgrove-mca/invoices",
                       "api-version=2024-04-01"))["value"]
    assert sorted(r["properties"]["status"] for r in rows) == ["OverDue", "Paid"]
