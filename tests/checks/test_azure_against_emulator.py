"""CG-011, CG-027 and CG-015 against ARM as the emulator answers it: RBAC-scoped subscription lists,
root-scope role assignments, Domain Services, Microsoft.Billing invoices (graph-facts §12.2, §12.3,
§12.7). Each check PASSes, FAILs and ends in ERROR (or asks for an attestation) the way a Microsoft
administrator would expect from what ARM shows closegate's app."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from closegate.emulator import Emulator
from closegate.emulator.builder import ScenarioBuilder
from closegate.models import Status
from tests.checks.test_against_emulator import audit
from tests.fakes import keep_only_the_callers_service_principal

AADDS = "Microsoft.AAD/DomainServices"
Start = Callable[[ScenarioBuilder], Emulator]


@pytest.fixture
def tenant_of(emulator_factory: Callable[..., Emulator]) -> Iterator[Start]:
    def begin(builder: ScenarioBuilder) -> Emulator:
        emu = emulator_factory(scenario=builder)
        keep_only_the_callers_service_principal(emu, emu.apps.read_write.client_id)
        return emu

    yield begin


def azure(visibility: str, *, domain_services_in: str | None = None) -> ScenarioBuilder:
    """Two subscriptions (a pay-as-you-go one and an Azure plan); closegate's app sees `visibility`."""
    b = (ScenarioBuilder("Fabrikam").without_azure_access()
         .azure_subscription("Sandbox", offer="PayAsYouGo").azure_subscription("Prod", offer="AzurePlan"))
    if visibility == "root":
        b.azure_role("closegate", "Reader", "root")
    elif visibility == "elevated":
        b.azure_role("closegate", "User Access Administrator", "/")
    elif visibility == "sandbox":
        b.azure_role("closegate", "Reader", "subscription:Sandbox")
    if domain_services_in:
        b.azure_resource(domain_services_in, AADDS, "aadds.fabrikam.com", resourceGroup="rg-identity")
    return b


def only(emu: Emulator, *ids: str) -> dict[str, object]:
    record = audit(emu, only=set(ids))
    return {r.check_id: r for r in record.results}


@pytest.mark.parametrize("visibility", ["root", "elevated"])
def test_cg011_passes_without_subscriptions_when_a_root_role_proves_it_sees_every_one(
        tenant_of: Start, visibility: str) -> None:
    b = ScenarioBuilder("Fabrikam").without_azure_access()
    b.azure_role("closegate", "Reader" if visibility == "root" else "User Access Administrator",
                 "root" if visibility == "root" else "/")
    result = only(tenant_of(b), "CG-011")["CG-011"]
    assert result.status is Status.PASS, result
    assert result.evidence["sees_every_subscription"] is True


def test_cg011_is_error_on_an_empty_list_seen_by_an_app_without_an_azure_role(tenant_of: Start) -> None:
    result = only(tenant_of(ScenarioBuilder("Fabrikam").without_azure_access()), "CG-011")["CG-011"]
    assert result.status is Status.ERROR
    assert "proves nothing" in result.error["cause"] and "403 AuthorizationFailed" in result.error["cause"]
    assert "elevate access" in result.error["fix"]


def test_cg011_fails_as_a_lower_bound_when_the_app_sees_some_subscriptions(tenant_of: Start) -> None:
    result = only(tenant_of(azure("sandbox")), "CG-011")["CG-011"]
    assert result.status is Status.FAIL
    assert result.message.startswith("1 Azure subscriptions remain") and "there may be more" in result.message


def test_cg011_with_root_visibility_sees_both_offers_and_dates_the_longest_wait(tenant_of: Start) -> None:
    emu = tenant_of(azure("root"))
    result = only(emu, "CG-011")["CG-011"]
    assert result.status is Status.FAIL and result.evidence["active"] == 2
    offers = {row["name"]: row["offer"] for row in result.evidence["subscriptions"]}
    assert offers == {"Sandbox": "pay-as-you-go", "Prod": "offer EnterpriseAgreement_2014-09-01"}
    wait = result.blocked_until - emu.state.clock.now()  # the tenant clock is Graph's Date header: whole seconds
    assert round(wait.total_seconds() / 86400) == 90 and "Prod" in result.blocked_because


@pytest.mark.parametrize(("visibility", "where", "expected"), [
    ("root", None, Status.PASS),
    ("root", "Prod", Status.FAIL),
    ("sandbox", "Sandbox", Status.FAIL),
    ("sandbox", "Prod", Status.ERROR),  # the managed domain sits in a subscription the app cannot see
    ("none", None, Status.ERROR),
])
def test_cg027_finds_domain_services_only_where_it_can_look(tenant_of: Start, visibility: str,
                                                           where: str | None, expected: Status) -> None:
    result = only(tenant_of(azure(visibility, domain_services_in=where)), "CG-027")["CG-027"]
    assert result.status is expected, result
    if expected is Status.FAIL:
        assert "aadds.fabrikam.com" in result.message


def test_the_tenant_delete_is_refused_while_the_domain_services_cg027_fails_on_remain(
        tenant_of: Start) -> None:
    emu = tenant_of(azure("root", domain_services_in="Prod"))
    assert only(emu, "CG-027")["CG-027"].status is Status.FAIL
    assert any("Domain Services" in b for b in emu.state.deletion_blockers())


def billing(agreement: str, *, reader: bool, due: str = "-5d", paid: bool = False) -> ScenarioBuilder:
    b = ScenarioBuilder("Fabrikam")
    b.billing_account("acct", agreement, roles={"closegate": "Billing account reader"} if reader else {},
                      invoices=[{"name": "G000111", "invoiceDate": "-35d", "dueDate": due, "amount": 812.5,
                                 "paid": paid}])
    return b


@pytest.mark.parametrize(("agreement", "reader", "paid", "expected"), [
    ("MicrosoftCustomerAgreement", True, False, Status.FAIL),  # an OverDue invoice the billing reader sees
    ("MicrosoftOnlineServicesProgram", True, False, Status.FAIL),
    ("MicrosoftCustomerAgreement", True, True, Status.PASS),
    ("MicrosoftCustomerAgreement", False, False, Status.ATTEST),  # no billing role: no API answers
    ("EnterpriseAgreement", True, False, Status.ATTEST),  # ARM does not list an EA account's invoices
])
def test_cg015_decides_from_the_billing_api_where_it_answers(tenant_of: Start, agreement: str,
                                                             reader: bool, paid: bool, expected: Status) -> None:
    result = audit(tenant_of(billing(agreement, reader=reader, paid=paid)), attest=False, only={"CG-015"}).results[0]
    assert result.status is expected, result
    if expected is Status.FAIL:
        assert "G000111" in result.message and "OverDue" in result.message


def test_cg015_waits_for_the_last_invoice_of_a_cancelled_azure_subscription(tenant_of: Start) -> None:
    b = billing("MicrosoftCustomerAgreement", reader=True, paid=True)
    b.azure_subscription("Sandbox", offer="PayAsYouGo", billing_account="acct")
    emu = tenant_of(b)
    with emu.state.lock:
        sub = next(iter(emu.state.azure_subscriptions.values()))
        emu.state.cancel_azure(sub)
    first = audit(emu, only={"CG-015"}).results[0]  # attested, yet the last invoice is still to come
    assert first.status is Status.FAIL and "may still be invoiced" in first.message
    emu.operator.advance_clock(hours=73)  # Azure issues the final invoice: now it is due and visible
    later = audit(emu, only={"CG-015"}).results[0]
    assert later.status is Status.FAIL and "outstanding" in later.message
