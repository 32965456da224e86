from __future__ import annotations

from closegate.checks.no_deletable_service_principals import no_deletable_service_principals
from closegate.errors import Throttled
from closegate.facts import ServicePrincipal
from closegate.models import Status
from tests.fakes import APP_ID, FakeTenant, run_check

READY = FakeTenant.ready()
MICROSOFT = ServicePrincipal("sp1", "00000003-0000-0000-c000-000000000000", "Microsoft Graph", True,
                             "f8cdef31-a31e-4b4a-93e4-5f571e91255a", "Application")
OWN = ServicePrincipal("sp2", APP_ID, "closegate", True, "tenant-1", "Application")
CUSTOM = ServicePrincipal("sp3", "x", "Payroll", True, "tenant-1", "Application")


def test_passes_with_only_first_party_and_closegate_principals() -> None:
    outcome = no_deletable_service_principals(READY.with_(service_principals=(MICROSOFT, OWN)))
    assert outcome.status is Status.PASS
    assert "1 Microsoft first-party" in outcome.message


def test_fails_with_a_customer_principal() -> None:
    outcome = no_deletable_service_principals(READY.with_(service_principals=(MICROSOFT, OWN, CUSTOM)))
    assert outcome.status is Status.FAIL
    assert [sp["display_name"] for sp in outcome.evidence["service_principals"]] == ["Payroll"]


def test_errors_when_throttled_out() -> None:
    result = run_check(no_deletable_service_principals, READY.with_(failing={"service_principals": Throttled("x")}))
    assert result.status is Status.ERROR
