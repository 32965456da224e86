from __future__ import annotations

from closegate.checks.no_domain_services import no_domain_services
from closegate.facts import AzureSubscription, AzureVisibility, DomainService, DomainServices
from closegate.models import Status
from tests.fakes import FakeTenant, run_check

SEES_ALL = AzureVisibility(True, "the caller holds Reader at /, above every subscription")
SEES_SOME = AzureVisibility(False, "the caller holds no Azure role at the tenant root management group")
SUB = AzureSubscription("s1", "Data Platform", "Enabled", "EnterpriseAgreement_2014-09-01")
AADDS = DomainService("/subscriptions/s1/resourceGroups/rg/providers/Microsoft.AAD/DomainServices/aadds.contoso.com",
                      "aadds.contoso.com", "s1", "aadds.contoso.com", "Succeeded")
READY = FakeTenant.ready(azure_visibility=SEES_ALL, azure_subscriptions=(SUB,))


def test_passes_when_no_subscription_it_sees_holds_a_managed_domain_and_it_sees_them_all() -> None:
    outcome = no_domain_services(READY)
    assert outcome.status is Status.PASS and outcome.evidence["subscriptions_searched"] == 1


def test_fails_naming_the_managed_domain_and_its_subscription() -> None:
    outcome = no_domain_services(READY.with_(domain_services=DomainServices((AADDS,))))
    assert outcome.status is Status.FAIL and "aadds.contoso.com" in outcome.message
    assert outcome.evidence["managed_domains"][0]["subscription"] == "Data Platform"


def test_a_managed_domain_found_fails_even_when_it_cannot_see_every_subscription() -> None:
    outcome = no_domain_services(READY.with_(azure_visibility=SEES_SOME, domain_services=DomainServices((AADDS,))))
    assert outcome.status is Status.FAIL and "there may be more" in outcome.message


def test_none_found_is_error_when_it_cannot_see_every_subscription() -> None:
    result = run_check(no_domain_services, READY.with_(azure_visibility=SEES_SOME))
    assert result.status is Status.ERROR and "elevate access" in result.error["fix"]


def test_a_subscription_it_cannot_search_is_error() -> None:
    unreadable = DomainServices((), (("s1", "403 AuthorizationFailed"),))
    result = run_check(no_domain_services, READY.with_(domain_services=unreadable))
    assert result.status is Status.ERROR and "1 of 1 subscriptions" in result.error["cause"]
