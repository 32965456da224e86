from __future__ import annotations

from datetime import timedelta

import pytest

from closegate.checks.no_azure_subscriptions import cancel_azure_subscriptions, no_azure_subscriptions
from closegate.errors import PermissionDenied
from closegate.facts import AzureResource, AzureResources, AzureSubscription, AzureVisibility
from closegate.models import Status, Step
from closegate.remediation.actions import Scope, action_of
from tests.fakes import NOW, FakeTenant, run_check

SEES_ALL = AzureVisibility(True, "the caller holds Reader at /, above every subscription", ("Reader at /",))
SEES_SOME = AzureVisibility(False, "the caller holds no Azure role at the tenant root management group or at root "
                            "scope '/', so ARM's subscription list may leave some out")
READY = FakeTenant.ready(azure_visibility=SEES_ALL)
SCOPE = Scope(None, "caller", "app", frozenset())


def test_passes_without_subscriptions_or_with_deleted_ones_only_when_it_sees_every_subscription() -> None:
    outcome = no_azure_subscriptions(READY)
    assert outcome.status is Status.PASS and "Reader at /" in outcome.message
    gone = AzureSubscription("s", "Old", "Deleted")
    assert no_azure_subscriptions(READY.with_(azure_subscriptions=(gone,))).status is Status.PASS


def test_an_empty_list_from_a_caller_that_cannot_see_every_subscription_is_error_naming_elevate_access() -> None:
    result = run_check(no_azure_subscriptions, READY.with_(azure_visibility=SEES_SOME))
    assert result.status is Status.ERROR
    assert "proves nothing" in result.error["cause"] and "elevate access" in result.error["fix"]
    assert "Reader at root scope '/'" in result.error["fix"]


def test_subscriptions_it_does_see_fail_as_a_lower_bound_when_it_cannot_see_them_all() -> None:
    sub = AzureSubscription("s", "Prod", "Enabled", "EnterpriseAgreement_2014-09-01")
    outcome = no_azure_subscriptions(READY.with_(azure_visibility=SEES_SOME, azure_subscriptions=(sub,)))
    assert outcome.status is Status.FAIL
    assert "there may be more" in outcome.message and outcome.evidence["sees_every_subscription"] is False


@pytest.mark.parametrize(
    ("state", "quota", "days", "said"),
    [
        ("Enabled", "PayAsYouGo_2014-09-01", 3, "you delete it in the Azure portal 3 days after cancelling"),
        ("Enabled", "FreeTrial_2014-09-01", 3, "you delete it in the Azure portal 3 days after cancelling"),
        ("Enabled", "EnterpriseAgreement_2014-09-01", 90, "Azure deletes it 90 days after cancelling"),
        ("Disabled", "PayAsYouGo_2014-09-01", 3, "ARM does not date the cancellation"),
        ("Disabled", "EnterpriseAgreement_2014-09-01", 90, "it cannot be deleted earlier"),
        ("Disabled", "CSP_2015-05-01", 90, "it cannot be deleted earlier"),
        ("Warned", "MSDN_2014-09-01", 90, "Azure deletes it 90 days after cancelling"),
    ],
)
def test_the_earliest_closure_counts_each_offers_window(state: str, quota: str, days: int, said: str) -> None:
    sub = AzureSubscription("s", "Prod", state, quota)
    outcome = no_azure_subscriptions(READY.with_(azure_subscriptions=(sub,)))
    assert outcome.status is Status.FAIL
    assert outcome.blocked_until == NOW + timedelta(days=days)
    assert said in outcome.blocked_because


def test_the_longest_wait_decides_the_date() -> None:
    subs = (AzureSubscription("a", "Sandbox", "Enabled", "PayAsYouGo_2014-09-01"),
            AzureSubscription("b", "Prod", "Enabled", "EnterpriseAgreement_2014-09-01"))
    outcome = no_azure_subscriptions(READY.with_(azure_subscriptions=subs))
    assert outcome.blocked_until == NOW + timedelta(days=90) and "Prod" in outcome.blocked_because


def test_shows_the_resources_and_marketplace_saas_subscriptions_to_remove_first() -> None:
    sub = AzureSubscription("s1", "Prod", "Enabled", "PayAsYouGo_2014-09-01")
    inside = AzureResources((
        AzureResource("/subscriptions/s1/rg/web", "s1", "web", "Microsoft.Web/sites", identity_principal_id="mi-1"),
        AzureResource("/subscriptions/s1/rg/saas", "s1", "fraud", "Microsoft.SaaS/resources", plan="fab/fraud/annual"),
        AzureResource("/subscriptions/s2/rg/other", "s2", "other", "Microsoft.Storage/storageAccounts"),
    ))
    row = no_azure_subscriptions(READY.with_(azure_subscriptions=(sub,), azure_resources=inside)).evidence[
        "subscriptions"][0]
    assert row["resources"] == 2 and row["resources_shown"] == [{"name": "web", "type": "Microsoft.Web/sites"}]
    assert row["marketplace_saas"] == [{"name": "fraud", "plan": "fab/fraud/annual"}]
    assert row["managed_identities"] == 1 and row["offer"] == "pay-as-you-go"


def test_errors_when_arm_denies() -> None:
    denied = PermissionDenied("ARM refused the subscription list", "elevate access")
    result = run_check(no_azure_subscriptions, READY.with_(failing={"azure_subscriptions": denied}))
    assert result.status is Status.ERROR


def test_cancelling_is_step_two_first_and_says_how_to_undo_per_offer() -> None:
    spec = action_of(cancel_azure_subscriptions)
    assert spec is not None and spec.step is Step.CANCEL_SUBSCRIPTIONS and spec.order < 10
    subs = (AzureSubscription("a", "Sandbox", "Enabled", "PayAsYouGo_2014-09-01"),
            AzureSubscription("b", "Prod", "Enabled", "EnterpriseAgreement_2014-09-01"),
            AzureSubscription("c", "Old", "Disabled", "PayAsYouGo_2014-09-01"))
    targets = {t.object_id: t for t in cancel_azure_subscriptions(READY.with_(azure_subscriptions=subs), SCOPE)}
    assert set(targets) == {"a", "b"}
    assert "reactivate it in the Azure portal" in targets["a"].params["undo"]
    assert "only Microsoft support can reactivate it" in targets["b"].params["undo"]
    assert targets["b"].params["deletable_after_days"] == 90 and targets["a"].params["deletable_after_days"] == 3
