"""Microsoft.Billing 2024-04-01: billing accounts by agreement type, invoices Due, OverDue and Paid."""

from __future__ import annotations

from datetime import timedelta

from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.scenarios import load_scenario
from tests.emulator.arm_helpers import app, arm, payload, user

V = "api-version=2024-04-01"
ACCOUNTS = "/providers/Microsoft.Billing/billingAccounts"


def _billed(**roles: str):
    b = (ScenarioBuilder("Tailspin").azure_subscription("Prod", offer="AzurePlan", billing_account="mca")
         .billing_account("mca", "MicrosoftCustomerAgreement", roles=roles, invoices=[
             {"name": "G000000001", "invoiceDate": "-40d", "dueDate": "-10d", "amount": 310.0},
             {"name": "G000000002", "invoiceDate": "-10d", "dueDate": "+20d", "amount": 95.5},
             {"name": "G000000003", "invoiceDate": "-70d", "dueDate": "-40d", "amount": 80.0, "paid": True}])
         .billing_account("ea", "EnterpriseAgreement", roles=roles))
    return load_scenario(b)


def test_billing_accounts_list_only_those_the_caller_has_a_billing_role_on():
    state = _billed(closegate="Billing account reader")
    rows = payload(arm(state, app(state), "GET", ACCOUNTS, V))["value"]
    assert [(r["name"], r["properties"]["agreementType"], r["properties"]["hasReadAccess"]) for r in rows] == [
        ("ea", "EnterpriseAgreement", True), ("mca", "MicrosoftCustomerAgreement", True)]
    assert rows[1]["id"] == "/providers/Microsoft.Billing/billingAccounts/mca"
    nobody = _billed()
    assert payload(arm(nobody, app(nobody), "GET", ACCOUNTS, V)) == {"value": []}  # 200, empty: not proof


def test_invoices_are_due_then_overdue_after_their_due_date_and_paid_ones_owe_nothing():
    state = _billed(closegate="Billing account reader")
    rows = payload(arm(state, app(state), "GET", f"{ACCOUNTS}/mca/invoices", V))["value"]
    status = {r["name"]: (r["properties"]["status"], r["properties"]["amountDue"]["value"]) for r in rows}
    assert status == {"G000000001": ("OverDue", 310.0), "G000000002": ("Due", 95.5), "G000000003": ("Paid", 0.0)}
    assert "Directory has one or more outstanding invoices" in state.deletion_blockers()
    state.clock.advance(timedelta(days=21))
    later = payload(arm(state, app(state), "GET", f"{ACCOUNTS}/mca/invoices", V))["value"]
    assert {r["properties"]["status"] for r in later if r["name"] == "G000000002"} == {"OverDue"}


def test_invoices_need_a_billing_role_and_an_agreement_type_the_api_serves():
    state = _billed(closegate="Billing account reader")
    ea = arm(state, app(state), "GET", f"{ACCOUNTS}/ea/invoices", V)
    assert ea.status == 400 and "Microsoft Online Services Program" in payload(ea)["error"]["message"]
    admin = user(state, state.closing_admin_upn)
    refused = arm(state, admin, "GET", f"{ACCOUNTS}/mca/invoices", V)
    assert refused.status == 403 and payload(refused)["error"]["code"] == "AuthorizationFailed"
    assert arm(state, app(state), "GET", ACCOUNTS, "api-version=2019-10-01-preview").status == 400


def test_the_period_filter_keeps_the_invoices_whose_period_overlaps():
    state = _billed(closegate="Billing account owner")
    since = (state.clock.now() - timedelta(days=15)).strftime("%Y-%m-%d")
    rows = payload(arm(state, app(state), "GET", f"{ACCOUNTS}/mca/invoices", f"{V}&periodStartDate={since}"))["value"]
    assert [r["name"] for r in rows] == ["G000000002"]


def test_the_last_invoice_arrives_3_days_after_the_azure_cancel_so_an_earlier_all_clear_is_stale():
    state = _billed(closegate="Billing account owner")
    for inv in state.azure.billing_accounts["mca"].invoices:
        inv.status = "Paid"
    assert not any("invoices" in b for b in state.deletion_blockers())
    sid = next(iter(state.azure_subscriptions))
    arm(state, app(state), "POST", f"/subscriptions/{sid}/providers/Microsoft.Subscription/cancel",
        "api-version=2021-10-01")
    state.clock.advance(timedelta(days=2))
    state.tick()
    assert len(state.azure.billing_accounts["mca"].invoices) == 3
    state.clock.advance(timedelta(days=1))
    state.tick()
    final = state.azure.billing_accounts["mca"].invoices[-1]
    assert final.status == "Due" and final.invoice_date == state.azure_subscriptions[sid].canceled_at + timedelta(days=3)
    assert "Directory has one or more outstanding invoices" in state.deletion_blockers()


def test_the_operator_pays_an_invoice(emulator_factory):
    emu = emulator_factory(ScenarioBuilder().billing_account("mosa", "MicrosoftOnlineServicesProgram", invoices=[
        {"name": "E1", "invoiceDate": "-5d", "amount": 12.0}]))
    assert emu.operator.pay_invoice("mosa", "E1")["status"] == "Paid"
    assert emu.state.azure.billing_accounts["mosa"].invoices[0].status == "Paid"
