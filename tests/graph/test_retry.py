from __future__ import annotations

from datetime import datetime, timezone

import pytest

from closegate.graph.endpoints import describe, resource_units, template
from closegate.graph.retry import RetryPolicy, may_retry, parse_retry_after


@pytest.mark.parametrize(("method", "status", "idempotent", "expected"), [
    ("GET", 429, False, True), ("GET", 503, False, True), ("GET", 504, False, True), ("GET", None, False, True),
    ("GET", 500, False, False), ("DELETE", 503, False, True), ("POST", 429, False, True),
    ("POST", 503, False, False), ("POST", None, False, False), ("PATCH", 504, False, False),
    ("PATCH", 504, True, True), ("PATCH", None, True, True),
])
def test_what_may_be_sent_again(method, status, idempotent, expected):
    assert may_retry(method, status, idempotent=idempotent) is expected


def test_retry_after_as_seconds_or_http_date():
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("") is None and parse_retry_after("soon") is None


def test_backoff_is_capped_and_jittered_below_the_cap():
    policy = RetryPolicy(base_delay=1, max_delay=10, jitter=lambda cap: cap / 2)
    assert [policy.backoff(a) for a in (1, 2, 3, 4, 5, 6)] == [0.5, 1, 2, 4, 5, 5]
    assert policy.delay(3, 42.0) == 42.0
    assert policy.delay(3, 10_000.0) == policy.max_retry_after


def test_templates_hide_ids_and_keep_function_names():
    assert template("GET", "https://h/v1.0/users/0b5a1c2e-1111-2222-3333-444455556666?$select=id") == "GET /v1.0/users/{id}"
    assert template("GET", "/v1.0/reports/getMailboxUsageDetail(period='D7')") == \
        "GET /v1.0/reports/getMailboxUsageDetail(...)"
    assert template("GET", "/v1.0/servicePrincipals(appId='0b5a1c2e-1111-2222-3333-444455556666')") == \
        "GET /v1.0/servicePrincipals({id})"
    assert describe("GET", "/beta/users/x@y.z/authentication/requirements").permissions[0] == "Policy.Read.All"


def test_resource_unit_estimates_follow_the_documented_costs():
    assert resource_units("GET", "https://h/v1.0/users?$top=999") == 2
    assert resource_units("GET", "https://h/v1.0/users?$select=id&$top=999") == 1
    assert resource_units("GET", "https://h/v1.0/subscribedSkus") == 3
    assert resource_units("GET", "https://h/v1.0/roleManagement/directory/roleAssignments?$expand=principal") == 2
    assert resource_units("POST", "https://h/beta/$batch") == 0
    assert resource_units("DELETE", "https://h/v1.0/users/x") == 1


def test_fixed_singletons_are_not_mistaken_for_ids():
    assert template("GET", "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy") == \
        "GET /v1.0/policies/identitySecurityDefaultsEnforcementPolicy"
    assert template("PATCH", "/v1.0/identity/conditionalAccess/policies/abc") == \
        "PATCH /v1.0/identity/conditionalAccess/policies/{id}"
    assert template("GET", "/v1.0/directory/deletedItems/microsoft.graph.user") == \
        "GET /v1.0/directory/deletedItems/microsoft.graph.user"
