"""The verdicts a Microsoft administrator expects on real tenants, and no PASS where Microsoft refuses.

`small-business` and `enterprise` answer only as Microsoft does (licences from SKUs, PIM 400 without
P2, RBAC-scoped ARM, the realistic first-party population, billing accounts). Their expected tables
are written out below. The matrix then varies licence x ARM visibility x first-party population x
throttle model on one tenant and asserts, in every cell, that no check PASSes while the emulator's
tenant delete (the Entra admin center's "Required action" list) would still be refused for what it
gates.

Rows CG-006, CG-007, CG-008, CG-010 and CG-014 belong to the Microsoft 365 subscription, MFA and
enterprise-application model (issue 12), which its own blocker-model tests pin down; here they are
asserted only as far as this part decides: never PASS where Microsoft refuses the delete. CG-019 to
CG-024 (records, holds and devices) are the records tests'.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping

import pytest

from closegate.emulator import Emulator
from closegate.emulator.builder import ScenarioBuilder
from closegate.models import RunRecord, Status, Verdict
from tests.checks.refusals import microsoft_refuses, passes_where_microsoft_refuses
from tests.checks.test_against_emulator import audit
from tests.fakes import keep_only_the_callers_service_principal

P, F, E, A, N = Status.PASS, Status.FAIL, Status.ERROR, Status.ATTEST, Status.NOT_APPLICABLE
OTHER_MODEL = ("CG-006", "CG-007", "CG-008", "CG-010", "CG-014")  # asserted by the blocker-model tests
# What a closure destroys beyond Microsoft's blockers (holds, retention, devices, issue 14): asserted by
# the records tests; Entra's delete does not wait for them, so "no PASS where Microsoft refuses" is moot.
RECORDS_MODEL = ("CG-019", "CG-020", "CG-021", "CG-022", "CG-023", "CG-024")

# Fourth Coffee: Business Standard, no P2, no Azure role for closegate's app, a MOSP billing account
# closegate holds no billing role on, concealed report names, no backup taken yet.
SMALL_BUSINESS: Mapping[str, Status] = {
    "CG-001": P,  # admin@ is named in closegate.toml and holds an active Global Administrator assignment
    "CG-002": F,  # no backup has been taken
    "CG-003": F,  # barista.lead is a second Global Administrator; no eligible one can exist without P2
    "CG-004": F,  # six other users
    "CG-005": P,  # never synced
    "CG-009": P,  # no app registration but closegate's own
    "CG-011": E,  # ARM lists nothing, and nothing proves closegate sees every subscription
    "CG-012": P,
    "CG-013": A,  # no API lists MFA providers
    "CG-015": A,  # no billing role: no API shows the invoices
    "CG-016": N,
    "CG-017": P,
    "CG-018": F,  # usage reports conceal names
    "CG-027": E,  # Domain Services: same visibility as CG-011
}
# Woodgrove Bank: E5 (P2) on an MCA, 3,386 users, four Azure subscriptions of which closegate's app
# reads two, Entra Domain Services in a hidden one, an overdue MCA invoice closegate's billing reader sees.
ENTERPRISE: Mapping[str, Status] = {
    "CG-001": P,  # closing.admin@ named and active
    "CG-002": F,
    "CG-003": F,  # breakglass1, ciso through Privileged Role Admins, cloud.owner eligible
    "CG-004": F,  # 3,385 other users
    "CG-005": P,  # sync turned off 400 days ago
    "CG-009": F,  # three app registrations
    "CG-011": F,  # two visible subscriptions remain, and there may be more
    "CG-012": P,
    "CG-013": A,
    "CG-015": F,  # G045112233 is overdue
    "CG-016": N,
    "CG-017": P,
    "CG-018": P,
    "CG-027": E,  # the managed domain sits in a subscription closegate cannot see
}


def scenario_audit(emulator_factory: Callable[..., Emulator], name: str, **kw: object) -> tuple[Emulator, RunRecord]:
    emu = emulator_factory(scenario=name, **kw)
    keep_only_the_callers_service_principal(emu, emu.apps.read_write.client_id)
    return emu, audit(emu, backup=None, attest=False)


@pytest.mark.parametrize(("name", "expected"), [("small-business", SMALL_BUSINESS), ("enterprise", ENTERPRISE)])
def test_each_check_gives_the_verdict_a_microsoft_administrator_expects(
        emulator_factory: Callable[..., Emulator], name: str, expected: Mapping[str, Status]) -> None:
    emu, record = scenario_audit(emulator_factory, name)
    got = {r.check_id: r.status for r in record.results}
    assert {c: got[c] for c in expected} == dict(expected)
    assert set(got) == set(expected) | set(OTHER_MODEL) | set(RECORDS_MODEL)  # every check is accounted for
    assert passes_where_microsoft_refuses(record, microsoft_refuses(emu)) == {}
    assert record.verdict is Verdict.NOT_READY


def test_small_business_says_why_no_eligible_assignment_counts(emulator_factory: Callable[..., Emulator]) -> None:
    _, record = scenario_audit(emulator_factory, "small-business")
    cg003, cg004 = record.result("CG-003"), record.result("CG-004")
    assert cg003 is not None and cg004 is not None
    assert "no eligible assignments are possible: the tenant has no P2 licence" in cg003.evidence["eligibility"]
    others = [h["display_name"] for h in cg003.evidence["holders"] if h["display_name"] != "Fiona Owner"]
    assert others == ["Marco Lead"]
    assert cg004.message.startswith("6 users besides the closing administrator remain")
    assert "elevate access" in record.result("CG-011").error["fix"]


def test_enterprise_counts_the_eligible_holder_and_names_the_overdue_invoice(
        emulator_factory: Callable[..., Emulator]) -> None:
    _, record = scenario_audit(emulator_factory, "enterprise")
    cg003, cg015, cg011 = record.result("CG-003"), record.result("CG-015"), record.result("CG-011")
    assert cg003.evidence["eligible_holders"] == 1 and cg003.evidence["eligibility"].startswith("read: 1")
    assert "G045112233" in cg015.message and cg015.evidence["outstanding"][0]["status"] == "OverDue"
    assert cg011.evidence["active"] == 2 and cg011.evidence["sees_every_subscription"] is False


# -- the matrix --------------------------------------------------------------------------------------

LICENCES = ("none", "business-standard", "E5")
VISIBILITY = ("none", "one-subscription", "root")
FIRST_PARTY = (None, "realistic")
THROTTLE = (None, "realistic")


def matrix_tenant(licence: str, visibility: str, first_party: str | None) -> ScenarioBuilder:
    """A tenant Microsoft refuses to delete on many counts: another user and Global Administrator, an
    eligible one where P2 allows, two Azure subscriptions with Entra Domain Services in one, an
    overdue invoice, an app registration."""
    b = (ScenarioBuilder("Fabrikam").licence(licence).user("bob").global_admin("eve")
         .global_admin("pim", via="eligible").application("Payroll").without_azure_access()
         .azure_subscription("Sandbox", offer="PayAsYouGo").azure_subscription("Prod", offer="AzurePlan")
         .azure_resource("Prod", "Microsoft.AAD/DomainServices", "aadds.fabrikam.com")
         .billing_account("mca", "MicrosoftCustomerAgreement", roles={"closegate": "Billing account reader"},
                          invoices=[{"invoiceDate": "-35d", "dueDate": "-5d", "amount": 812.5}]))
    if visibility == "one-subscription":
        b.azure_role("closegate", "Reader", "subscription:Sandbox")
    elif visibility == "root":
        b.azure_role("closegate", "Reader", "root")
    if first_party:
        b.first_party(first_party)
    return b


@pytest.fixture
def matrix_audit(emulator_factory: Callable[..., Emulator]) -> Iterator[Callable[..., tuple[Emulator, RunRecord]]]:
    def run_cell(licence: str, visibility: str, first_party: str | None,
                 throttle: str | None) -> tuple[Emulator, RunRecord]:
        emu = emulator_factory(scenario=matrix_tenant(licence, visibility, first_party), throttle=throttle)
        keep_only_the_callers_service_principal(emu, emu.apps.read_write.client_id)
        return emu, audit(emu, attest=False)

    yield run_cell


@pytest.mark.parametrize(("licence", "visibility", "first_party", "throttle"),
                         list(itertools.product(LICENCES, VISIBILITY, FIRST_PARTY, THROTTLE)))
def test_no_check_passes_where_microsoft_would_refuse_the_delete(
        matrix_audit: Callable[..., tuple[Emulator, RunRecord]], licence: str, visibility: str,
        first_party: str | None, throttle: str | None) -> None:
    emu, record = matrix_audit(licence, visibility, first_party, throttle)
    refusals = microsoft_refuses(emu)
    assert {"CG-004", "CG-011", "CG-015", "CG-027"} <= set(refusals)  # the cell is as hostile as meant
    assert passes_where_microsoft_refuses(record, refusals) == {}
    results = {r.check_id: r for r in record.results}
    # This part's verdicts, whatever the cell: read from what Graph and ARM really answer.
    assert results["CG-003"].status is F and results["CG-004"].status is F
    assert results["CG-015"].status is F and "outstanding" in results["CG-015"].message
    # ERROR only where ARM truly cannot be read: an empty subscription list nothing proves complete, and
    # Domain Services in a subscription closegate cannot see (Prod, unless closegate reads at root).
    assert results["CG-011"].status is (E if visibility == "none" else F)
    assert results["CG-027"].status is (F if visibility == "root" else E)
    unreadable = ({"CG-027"} if visibility != "root" else set()) | ({"CG-011"} if visibility == "none" else set())
    assert {r.check_id for r in record.results if r.status is E} == unreadable
    eligible = results["CG-003"].evidence["eligibility"]
    assert eligible.startswith("read: 1") if licence == "E5" else "no P2 licence" in eligible
