from __future__ import annotations

from datetime import timedelta

from closegate.checks.no_disabled_subscriptions import no_disabled_subscriptions
from closegate.errors import PermissionDenied
from closegate.facts import CompanySubscription
from closegate.models import Status
from tests.fakes import NOW, FakeTenant, run_check

READY = FakeTenant.ready()


def sub(status: str, next_lifecycle: timedelta | None) -> CompanySubscription:
    return CompanySubscription(f"sub-{status}", "sku", "SPE_E3", status, False, None,
                               NOW + next_lifecycle if next_lifecycle is not None else None, None, 25)


def test_passes_with_only_active_subscriptions_left_to_cg006() -> None:
    assert no_disabled_subscriptions(READY.with_(company_subscriptions=(sub("Enabled", None),))).status is Status.PASS


def test_deleted_subscription_is_blocked_until_its_deprovisioning_date() -> None:
    outcome = no_disabled_subscriptions(READY.with_(company_subscriptions=(sub("Deleted", timedelta(hours=40)),)))
    assert outcome.status is Status.FAIL
    assert outcome.blocked_until == NOW + timedelta(hours=40)
    assert "SPE_E3" in outcome.blocked_because


def test_suspended_subscription_is_gone_72_hours_after_a_delete_made_now_at_the_latest() -> None:
    outcome = no_disabled_subscriptions(READY.with_(company_subscriptions=(sub("Suspended", timedelta(days=60)),)))
    assert outcome.status is Status.FAIL
    assert outcome.blocked_until == NOW + timedelta(hours=72)
    assert outcome.message.startswith("1 subscriptions are not yet deprovisioned (0 deleted and waiting, 1 still")


def test_errors_when_subscriptions_cannot_be_read() -> None:
    result = run_check(no_disabled_subscriptions,
                       READY.with_(failing={"company_subscriptions": PermissionDenied("403")}))
    assert result.status is Status.ERROR
