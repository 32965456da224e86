from __future__ import annotations

from datetime import timedelta

import pytest

from closegate.attestations import Attestation
from closegate.checks.invoices_paid import invoices_paid
from closegate.errors import TransportError
from closegate.facts import AzureSubscription, BillingAccount, Invoice
from closegate.models import Status
from tests.fakes import NOW, FakeTenant, run_check

READY = FakeTenant.ready()
ITEM = "CG-015"
PAID = Invoice("G1", "Paid", 0.0, "USD", NOW - timedelta(days=35), NOW - timedelta(days=65))
OVERDUE = Invoice("G2", "OverDue", 41820.55, "USD", NOW - timedelta(days=5), NOW - timedelta(days=35))
DUE = Invoice("G3", "Due", 100.0, "USD", NOW + timedelta(days=10), NOW - timedelta(days=20))


def mca(*invoices: Invoice) -> BillingAccount:
    return BillingAccount("mca", "Woodgrove Bank", "MicrosoftCustomerAgreement", "Enterprise", tuple(invoices))


EA = BillingAccount("ea", "Woodgrove EA", "EnterpriseAgreement", "Enterprise", None,
                    "ARM lists invoices only for Microsoft Customer Agreement, Partner Agreement and Online Services "
                    "Program accounts, not EnterpriseAgreement")


def test_asks_for_an_attestation_when_no_billing_account_is_visible_and_says_where_to_look() -> None:
    outcome = invoices_paid(READY)
    assert outcome.status is Status.ATTEST and "holds no billing role" in outcome.message
    assert "https://" in outcome.evidence["where_to_look"]


@pytest.mark.parametrize("invoice", [OVERDUE, DUE], ids=["overdue", "due"])
def test_fails_on_an_outstanding_invoice_the_billing_api_shows(invoice: Invoice) -> None:
    outcome = invoices_paid(READY.with_(billing_accounts=(mca(PAID, invoice),)))
    assert outcome.status is Status.FAIL and invoice.name in outcome.message
    assert outcome.evidence["outstanding"][0]["invoice"] == invoice.name


def test_an_attestation_does_not_turn_a_visible_overdue_invoice_into_pass() -> None:
    signed = Attestation(ITEM, "all paid", "Dana", NOW - timedelta(hours=1))
    result = run_check(invoices_paid, READY.with_(billing_accounts=(mca(OVERDUE),)), attestations=(signed,))
    assert result.status is Status.FAIL


def test_passes_when_every_visible_account_answers_with_nothing_due() -> None:
    outcome = invoices_paid(READY.with_(billing_accounts=(mca(PAID),)))
    assert outcome.status is Status.PASS and "1 billing accounts" in outcome.message


def test_an_account_type_whose_invoices_no_api_lists_asks_for_an_attestation() -> None:
    outcome = invoices_paid(READY.with_(billing_accounts=(mca(PAID), EA)))
    assert outcome.status is Status.ATTEST and "EnterpriseAgreement" in outcome.message


def test_a_cancelled_azure_subscription_may_still_be_invoiced_so_nothing_counts_yet() -> None:
    cancelled = AzureSubscription("s", "Dev", "Disabled", "PayAsYouGo_2014-09-01")
    signed = Attestation(ITEM, "all paid", "Dana", NOW - timedelta(hours=1))
    for billing in ((), (mca(PAID),)):
        result = run_check(invoices_paid, READY.with_(billing_accounts=billing, azure_subscriptions=(cancelled,)),
                           attestations=(signed,))
        assert result.status is Status.FAIL
        assert result.blocked_until == NOW + timedelta(days=3)
        assert "up to 3 days after cancelling" in result.message


def test_passes_with_a_valid_attestation_as_evidence() -> None:
    signed = Attestation(ITEM, "checked, none left", "Dana", NOW - timedelta(hours=1), "screenshot-1")
    result = run_check(invoices_paid, READY, attestations=(signed,))
    assert result.status is Status.PASS
    assert result.attestation["by"] == "Dana"
    assert result.evidence["attestation"]["evidence"] == "screenshot-1"


def test_stays_attest_when_the_attestation_expired() -> None:
    old = Attestation(ITEM, "ok", "Dana", NOW - timedelta(days=40), expires=NOW - timedelta(days=10))
    assert run_check(invoices_paid, READY, attestations=(old,)).status is Status.ATTEST


def test_stays_attest_when_the_attestation_is_for_another_item() -> None:
    other = Attestation("CG-099", "ok", "Dana", NOW - timedelta(hours=1))
    assert run_check(invoices_paid, READY, attestations=(other,)).status is Status.ATTEST


def test_errors_when_the_caller_cannot_be_identified() -> None:
    result = run_check(invoices_paid, READY.with_(failing={"caller": TransportError("reset")}))
    assert result.status is Status.ERROR
