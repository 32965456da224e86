"""Graph's throttling as documented (§12.8): burst, refill, debt, app-wide and reports limits, headers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.graph import GraphService
from closegate.emulator.scenarios import load_scenario
from closegate.emulator.throttle import Limits, make_throttle
from tests.emulator.graph_helpers import app_principal, body, call

REGISTRATIONS = "/v1.0/reports/authenticationMethods/userRegistrationDetails"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _service(**overrides):
    clock = Clock()
    state = load_scenario(ScenarioBuilder())  # under 50 users: the S class, 3,500 RU per 10 s
    limits = replace(Limits.realistic(), **overrides)
    return state, GraphService(state, limits, monotonic=clock), app_principal(state.tenant_id), clock


def test_the_bucket_bursts_to_its_quota_then_refills_at_quota_per_window():
    state, svc, p, clock = _service(ru_per_window={"S": 10, "M": 10, "L": 10})
    assert [call(svc, p, "GET", "/v1.0/organization").status for _ in range(10)] == [200] * 10  # the burst
    throttled = call(svc, p, "GET", "/v1.0/organization")
    assert throttled.status == 429
    assert throttled.header("x-ms-throttle-scope") == f"Tenant_Application/ReadWrite/{p.app_id}/{state.tenant_id}"
    assert throttled.header("x-ms-throttle-information") == "ResourceUnitLimitExceeded"
    # one unit of debt, one unit for the next request, at 1 unit per second
    assert throttled.header("Retry-After") == "2.000"
    clock.now += 2.0
    assert call(svc, p, "GET", "/v1.0/organization").status == 200


def test_requests_keep_costing_while_throttled_so_hammering_deepens_the_debt():
    _, svc, p, clock = _service(ru_per_window={"S": 10, "M": 10, "L": 10})
    for _ in range(10):
        call(svc, p, "GET", "/v1.0/organization")
    waits = [float(call(svc, p, "GET", "/v1.0/organization").header("Retry-After")) for _ in range(5)]
    assert waits == [2.0, 3.0, 4.0, 5.0, 6.0]
    clock.now += 5.0
    assert call(svc, p, "GET", "/v1.0/organization").status == 429  # still 1 unit short
    clock.now += 2.0
    assert call(svc, p, "GET", "/v1.0/organization").status == 200


def test_retry_after_is_fractional():
    _, svc, p, clock = _service(ru_per_window={"S": 4, "M": 4, "L": 4})
    for _ in range(4):
        call(svc, p, "GET", "/v1.0/organization")
    clock.now += 0.3  # 0.12 units refilled at 0.4 per second; the request leaves 0.88 of debt
    assert call(svc, p, "GET", "/v1.0/organization").header("Retry-After") == "4.700"


def test_the_app_wide_limit_throttles_with_application_scope():
    state, svc, p, _ = _service(app_ru_per_window=5)
    statuses = [call(svc, p, "GET", "/v1.0/organization").status for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    last = call(svc, p, "GET", "/v1.0/organization")
    assert last.header("x-ms-throttle-scope") == f"Application/ReadWrite/{p.app_id}/{state.tenant_id}"


def test_writes_have_their_own_buckets_per_app_and_tenant_per_app_and_per_tenant():
    state, svc, p, _ = _service(tenant_writes_per_window=2)
    other = app_principal(state.tenant_id, app_id="22222222-2222-2222-2222-222222222222")
    patch = {"isEnabled": False}
    assert call(svc, p, "PATCH", "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy", patch).status == 204
    assert call(svc, other, "PATCH", "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy", patch).status == 204
    refused = call(svc, p, "PATCH", "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy", patch)
    assert refused.status == 429 and refused.header("x-ms-throttle-information") == "WriteLimitExceeded"
    assert refused.header("x-ms-throttle-scope").startswith("Tenant/Write/")


def test_identity_reports_allow_5_requests_per_10_seconds_per_app_and_tenant():
    _, svc, p, clock = _service()
    statuses = [call(svc, p, "GET", REGISTRATIONS).status for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    clock.now += 10.0
    assert call(svc, p, "GET", REGISTRATIONS).status == 200
    for _ in range(50):
        assert call(svc, p, "GET", "/v1.0/organization").status == 200  # a report's limit is its own


def test_sign_in_activity_reads_of_users_are_limited_to_10_per_minute():
    _, svc, p, clock = _service()
    url = "/v1.0/users?$select=id,signInActivity"
    assert [call(svc, p, "GET", url).status for _ in range(11)] == [200] * 10 + [429]
    assert call(svc, p, "GET", "/v1.0/users?$select=id").status == 200


def test_the_limit_percentage_header_appears_past_80_percent():
    _, svc, p, _ = _service(ru_per_window={"S": 10, "M": 10, "L": 10})
    seen = [call(svc, p, "GET", "/v1.0/organization").header("x-ms-throttle-limit-percentage") for _ in range(10)]
    assert seen[:8] == [None] * 8 and seen[8:] == ["0.9", "1.0"]
    assert call(svc, p, "GET", "/v1.0/users").header("x-ms-resource-unit") is None  # a 429 carries no RU


def test_the_window_model_stays_the_default_and_the_operator_switches_models(emulator_factory):
    assert type(make_throttle(Limits())).__name__ == "Throttle"
    assert type(make_throttle(Limits.realistic())).__name__ == "BucketThrottle"
    with pytest.raises(ValueError):
        make_throttle(Limits(model="leaky"))
    emu = emulator_factory(ScenarioBuilder(), throttle="realistic")
    assert emu.operator.limits()["model"] == "bucket"
    assert emu.operator.set_limits(model="window")["model"] == "window"


def test_throttle_stats_count_every_resource_unit_charged(emulator_factory):
    state, svc, p, _ = _service(ru_per_window={"S": 4, "M": 4, "L": 4})
    for _ in range(3):
        call(svc, p, "GET", "/v1.0/users")
    assert svc.throttle.stats() == {"requests": 3, "resource_units": 6, "throttled": 1, "throttled_resource_units": 2,
                                    "report_requests": 0, "report_requests_throttled": 0}
    assert body(call(svc, p, "GET", "/v1.0/domains"))["error"]["code"] == "TooManyRequests"
