"""The operator surface through `emu.operator`: portal-only operations, time, faults, limits, safety."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
import requests

from closegate.emulator import Emulator
from closegate.emulator.app import EmulatorApp
from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.operator import OperatorError
from closegate.emulator.wire import Request

Factory = Callable[..., Emulator]


def closable_tenant() -> ScenarioBuilder:
    return (ScenarioBuilder("Northwind", now="2025-03-01T09:00:00Z").subscription("SPE_E3").azure_subscription("Dev")
            .mfa_provider("Legacy MFA").signup_product("Power BI (free)"))


def test_clock_advances_the_tenant_time(emulator_factory: Factory) -> None:
    emu = emulator_factory(ScenarioBuilder(now="2025-03-01T09:00:00Z"))  # pinned: moves only when advanced
    before = emu.state.clock.now()
    after = datetime.fromisoformat(emu.operator.advance_clock(hours=72, minutes=1))
    assert after - before == timedelta(hours=72, minutes=1) == emu.state.clock.now() - before
    assert datetime.fromisoformat(emu.operator.now()) == after


def test_an_unpinned_tenant_clock_follows_the_wall_clock_plus_what_was_advanced(emulator_factory: Factory) -> None:
    emu = emulator_factory(ScenarioBuilder())
    wall = datetime.now(timezone.utc)
    assert abs(emu.state.clock.now() - wall) < timedelta(seconds=5)
    emu.operator.advance_clock(days=3)
    assert abs(emu.state.clock.now() - (datetime.now(timezone.utc) + timedelta(days=3))) < timedelta(seconds=5)


def test_clock_needs_an_amount_and_never_runs_backwards(emulator_factory: Factory) -> None:
    emu = emulator_factory(ScenarioBuilder())
    with pytest.raises(OperatorError) as missing:
        emu.operator._call("POST", "/clock/advance", {})
    assert missing.value.status == 400
    with pytest.raises(OperatorError):
        emu.operator.advance_clock(hours=-1)


def test_faults_can_be_read_and_replaced_at_runtime(emulator_factory: Factory) -> None:
    emu = emulator_factory(ScenarioBuilder(), faults="429=0.5,seed=3")
    assert emu.operator.faults() == "429=0.5,seed=3"
    assert emu.operator.set_faults("latency=10ms..20ms,eventual=5s") == "latency=10ms..20ms,eventual=5s"
    assert emu.faults.spec.rate_429 == 0 and emu.state.eventual_delay == timedelta(seconds=5)
    with pytest.raises(OperatorError) as bad:
        emu.operator.set_faults("429=7")
    assert bad.value.status == 400


def test_throttle_limits_can_be_changed(emulator_factory: Factory) -> None:
    emu = emulator_factory(ScenarioBuilder())
    limits = emu.operator.set_limits(writes_per_window=5, ca_requests_per_second=None)
    assert limits["writes_per_window"] == 5 and limits["ca_requests_per_second"] is None
    assert emu.operator.limits()["writes_per_window"] == 5
    with pytest.raises(OperatorError) as bad:
        emu.operator.set_limits(requests_per_fortnight=1)
    assert bad.value.status == 400


def test_portal_only_subscription_operations(emulator_factory: Factory) -> None:
    emu = emulator_factory(closable_tenant())
    m365 = next(iter(emu.state.subscriptions.values()))
    azure = next(iter(emu.state.azure_subscriptions.values()))
    emu.operator.cancel_subscription(azure.subscription_id)
    assert azure.state == "Disabled" and azure.canceled_at == emu.state.clock.now()
    with pytest.raises(OperatorError) as active:
        emu.operator.delete_subscription(m365.id)  # an active subscription must be canceled first
    assert active.value.status == 409
    emu.operator.cancel_subscription(m365.id)
    assert m365.status == "Suspended"
    emu.operator.delete_subscription(m365.id)
    assert m365.status == "Deleted"
    emu.operator.advance_clock(hours=72)
    assert m365.id not in emu.state.subscriptions  # deprovisioned 72 h after the delete
    with pytest.raises(OperatorError) as unknown:
        emu.operator.delete_subscription("00000000-0000-0000-0000-000000000000")
    assert unknown.value.status == 404


def test_mfa_provider_and_signup_product_deletion(emulator_factory: Factory) -> None:
    emu = emulator_factory(closable_tenant())
    emu.operator.delete_mfa_provider("Legacy MFA")
    emu.operator.delete_signup_product("Power BI (free)")
    assert emu.state.mfa_providers == [] and emu.state.signup_products == []
    with pytest.raises(OperatorError) as again:
        emu.operator.delete_mfa_provider("Legacy MFA")
    assert again.value.status == 404


def test_tenant_deletion_is_refused_while_blockers_remain(emulator_factory: Factory) -> None:
    emu = emulator_factory(closable_tenant())
    with pytest.raises(OperatorError) as refused:
        emu.operator.delete_tenant()
    assert refused.value.status == 409 and "Multi-Factor Authentication" in str(refused.value)
    assert not emu.state.deleted
    emu.operator.delete_tenant(force=True)
    assert emu.state.deleted and emu.operator.summary()["deleted"] is True


def test_device_codes_are_listed_and_decided(emulator_factory: Factory,
                                             trusting_session: Callable[[Emulator], requests.Session]) -> None:
    emu = emulator_factory(ScenarioBuilder())
    http = trusting_session(emu)
    assert emu.apps is not None
    flow = http.post(f"{emu.authority}/oauth2/v2.0/devicecode",
                     data={"client_id": emu.apps.public.client_id, "scope": "User.Read"}).json()
    pending = emu.operator.pending_device_codes()
    assert [c["user_code"] for c in pending] == [flow["user_code"]]
    assert "device_code" not in pending[0]  # the secret half never leaves the token endpoint
    with pytest.raises(OperatorError) as nobody:
        emu.operator.approve_device_code(flow["user_code"], user="ghost@nowhere.example")
    assert nobody.value.status == 404
    approved = emu.operator.approve_device_code(flow["user_code"].lower())
    assert approved["user"] == emu.state.closing_admin_upn and approved["status"] == "approved"
    assert emu.operator.pending_device_codes() == []
    with pytest.raises(OperatorError):
        emu.operator.decline_device_code(flow["user_code"])  # already decided


def test_unknown_endpoints_and_wrong_methods(emulator_factory: Factory) -> None:
    emu = emulator_factory(ScenarioBuilder())
    with pytest.raises(OperatorError) as unknown:
        emu.operator._call("GET", "/nothing-here")
    assert unknown.value.status == 404
    with pytest.raises(OperatorError) as method:
        emu.operator._call("POST", "/requests")
    assert method.value.status == 405


def test_operator_calls_are_not_in_the_request_log(emulator_factory: Factory) -> None:
    emu = emulator_factory(ScenarioBuilder())
    emu.operator.summary()
    emu.operator.now()
    assert emu.operator.request_log() == []


def test_the_operator_surface_answers_loopback_only(emulator_factory: Factory) -> None:
    emu = emulator_factory(ScenarioBuilder())
    app: EmulatorApp = emu._running()._server.app  # type: ignore[assignment]
    request = Request("DELETE", "/_emulator/tenant", body=b'{"force": true}', base_url=emu.url)
    outcome = app.dispatch(request, "192.0.2.10")
    assert outcome.response is not None and outcome.response.status == 403
    assert not emu.state.deleted
    assert app.dispatch(Request("GET", "/_emulator/clock", base_url=emu.url), "::1").response.status == 200  # type: ignore[union-attr]


def test_operator_client_is_safe_from_many_threads(emulator_factory: Factory) -> None:
    emu = emulator_factory(ScenarioBuilder())
    errors: list[BaseException] = []

    def hammer() -> None:
        try:
            for _ in range(10):
                emu.operator.now()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
