from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from closegate.checks.no_active_subscriptions import no_active_subscriptions
from closegate.errors import MalformedResponse
from closegate.facts import CompanySubscription, SubscribedSku
from closegate.models import Status
from tests.fakes import NOW, FakeTenant, run_check

READY = FakeTenant.ready()


def sub(status: str, **changes: object) -> CompanySubscription:
    base = CompanySubscription(f"sub-{status}", "sku", "SPE_E3", status, False, NOW - timedelta(days=90),
                               NOW + timedelta(days=30), None, 25)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_passes_when_nothing_is_active() -> None:
    assert no_active_subscriptions(READY.with_(company_subscriptions=(sub("Deleted"),))).status is Status.PASS


def test_fails_for_enabled_and_warning_and_names_partner_owned() -> None:
    subs = (sub("Enabled", is_trial=True), sub("Warning", id="w", owner_tenant_id="partner-tenant"))
    outcome = no_active_subscriptions(READY.with_(company_subscriptions=subs))
    assert outcome.status is Status.FAIL
    assert outcome.message.startswith("2 subscriptions are still active (1 trials, 1 owned by a partner)")
    assert outcome.evidence["active_subscriptions"][1]["partner_owned"] is True


def test_fails_for_a_sku_with_enabled_units() -> None:
    sku = SubscribedSku("s", "SPE_E3", "Enabled", 5, 0, 0, 0, 1)
    assert no_active_subscriptions(READY.with_(subscribed_skus=(sku,))).status is Status.FAIL


def test_errors_on_a_malformed_answer() -> None:
    result = run_check(no_active_subscriptions,
                       READY.with_(failing={"company_subscriptions": MalformedResponse("status missing")}))
    assert result.status is Status.ERROR and result.error["kind"] == "MalformedResponse"
