from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from closegate.checks.no_azure_subscriptions import no_azure_subscriptions
from closegate.errors import PermissionDenied
from closegate.facts import CALLER, AzureSubscription
from closegate.models import Status
from tests.fakes import NOW, FakeTenant, run_check

READY = FakeTenant.ready()


def test_passes_without_subscriptions_or_with_deleted_ones_only() -> None:
    assert no_azure_subscriptions(READY).status is Status.PASS
    gone = AzureSubscription("s", "Old", "Deleted")
    assert no_azure_subscriptions(READY.with_(azure_subscriptions=(gone,))).status is Status.PASS


def test_fails_for_an_active_subscription_without_a_date() -> None:
    outcome = no_azure_subscriptions(READY.with_(azure_subscriptions=(AzureSubscription("s", "Prod", "Enabled"),)))
    assert outcome.status is Status.FAIL and outcome.blocked_until is None


def test_cancelled_pay_as_you_go_is_deletable_within_three_days() -> None:
    sub = AzureSubscription("s", "Dev", "Disabled", "PayAsYouGo_2014-09-01")
    outcome = no_azure_subscriptions(READY.with_(azure_subscriptions=(sub,)))
    assert outcome.status is Status.FAIL
    assert outcome.blocked_until == NOW + timedelta(days=3)


def test_cancelled_other_offer_takes_seven_days() -> None:
    sub = AzureSubscription("s", "EA", "Disabled", "EnterpriseAgreement_2014-09-01")
    assert no_azure_subscriptions(READY.with_(azure_subscriptions=(sub,))).blocked_until == NOW + timedelta(days=7)


def test_errors_with_elevate_access_fix_when_caller_has_no_arm_access() -> None:
    result = run_check(no_azure_subscriptions, READY.with_(caller=replace(READY.value(CALLER), arm_access=False)))
    assert result.status is Status.ERROR
    assert "elevate access" in result.error["fix"]


def test_errors_when_arm_denies() -> None:
    denied = PermissionDenied("ARM refused the subscription list", "elevate access")
    result = run_check(no_azure_subscriptions, READY.with_(failing={"azure_subscriptions": denied}))
    assert result.status is Status.ERROR
