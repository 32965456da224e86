"""Microsoft 365 subscriptions by billing type: what the admin center lets an administrator do, and when."""

from __future__ import annotations

from datetime import timedelta

import pytest

from closegate.emulator import commerce
from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.graph import GraphService, Limits
from closegate.emulator.scenarios import load_scenario
from closegate.emulator.state import Refused
from tests.emulator.graph_helpers import app_principal, body, call

PARTNER = "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"


def _one(**kwargs):
    state = load_scenario(ScenarioBuilder(now="2025-03-01T09:00:00Z").strict().subscription("SPE_E3", **kwargs))
    return state, next(iter(state.subscriptions.values()))


def test_a_subscription_in_its_grace_period_cannot_be_cancelled_it_lapses():
    state, sub = _one(status="Warning", next_lifecycle="+10d")
    with pytest.raises(Refused, match="cannot be cancelled; it lapses"):
        state.cancel_subscription(sub.id)
    state.clock.advance(timedelta(days=10))
    state.tick()
    assert sub.status == "Suspended"


def test_mca_cancels_within_7_days_of_the_term_start_only():
    state, sub = _one(billing="mca", term_start="-6d")
    state.cancel_subscription(sub.id)
    assert sub.status == "Suspended" and sub.auto_renew is False
    late, old = _one(billing="mca", term_start="-8d", next_lifecycle="+300d")
    with pytest.raises(Refused, match="7-day cancellation window"):
        late.cancel_subscription(old.id)


def test_mca_turns_recurring_billing_off_and_ends_at_the_term_end_never_deleted_by_hand():
    state, sub = _one(billing="mca", term_start="-40d", next_lifecycle="+5d")
    commerce.turn_off_recurring_billing(state, sub)
    state.clock.advance(timedelta(days=5))
    state.tick()
    assert sub.status == "Warning"  # expired at the term end instead of renewing
    with pytest.raises(Refused, match="Microsoft Customer Agreement subscription cannot be deleted"):
        state.delete_subscription(sub.id)


def test_an_mca_renewal_opens_a_new_cancel_window():
    state, sub = _one(billing="mca", term_start="-300d", next_lifecycle="+1d")
    with pytest.raises(Refused):
        state.cancel_subscription(sub.id)
    state.clock.advance(timedelta(days=2))
    state.tick()
    assert sub.status == "Enabled" and sub.term_start == state.clock.now() - timedelta(days=1)
    state.cancel_subscription(sub.id)
    assert sub.status == "Suspended"


def test_direct_purchases_over_25_licences_are_reduced_before_cancelling():
    state, sub = _one(licenses=40)
    with pytest.raises(Refused, match="reduce the subscription to 25 licences"):
        state.cancel_subscription(sub.id)
    commerce.reduce_licenses(state, sub, 25)
    state.cancel_subscription(sub.id)
    assert sub.status == "Suspended"
    with pytest.raises(Refused):
        commerce.reduce_licenses(state, sub, 30)  # licences only go down


def test_csp_subscriptions_are_the_partners_to_cancel_and_name_the_partner_tenant():
    state, sub = _one(billing="csp", owner_tenant_id=PARTNER)
    with pytest.raises(Refused, match=f"partner tenant {PARTNER}"):
        state.cancel_subscription(sub.id)
    svc, p = GraphService(state, Limits.off()), app_principal(state.tenant_id)
    assert body(call(svc, p, "GET", "/v1.0/directory/subscriptions"))["value"][0]["ownerTenantId"] == PARTNER
    with pytest.raises(Exception, match="partner"):
        load_scenario(ScenarioBuilder().strict().subscription("SPE_E3", billing="csp"))


def test_a_direct_purchase_may_carry_the_tenants_own_id_as_owner():
    state, sub = _one(owner_tenant_id="self")
    assert sub.owner_tenant_id == state.tenant_id


def test_trials_run_out_and_free_products_are_deleted_not_cancelled():
    state, trial = _one(trial=True)
    with pytest.raises(Refused, match="runs out on its own"):
        state.cancel_subscription(trial.id)
    free = load_scenario(ScenarioBuilder().strict().subscription("FLOW_FREE", kind="free"))
    product = next(iter(free.subscriptions.values()))
    with pytest.raises(Refused, match="Self-service sign-up products"):
        free.cancel_subscription(product.id)
    free.delete_subscription(product.id)
    assert free.subscriptions == {}  # immediate and irrevocable


def test_legacy_scenarios_keep_the_old_permissive_cancel():
    state = load_scenario(ScenarioBuilder().subscription("SPE_E3", licenses=250))
    sub = next(iter(state.subscriptions.values()))
    state.cancel_subscription(sub.id)
    assert sub.status == "Suspended"


def test_the_operator_turns_recurring_billing_off_and_reduces_licences(emulator_factory):
    emu = emulator_factory(ScenarioBuilder().strict().subscription("SPE_E3", licenses=40))
    sub = next(iter(emu.state.subscriptions.values()))
    assert emu.operator.reduce_licenses(sub.id, 10)["licenses"] == 10
    assert emu.operator.turn_off_recurring_billing(sub.id)["auto_renew"] is False
