"""Subscriptions and Azure on the simulated clock, usage reports and report settings."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from closegate.emulator.arm import ArmService
from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.graph import GraphService, Limits
from closegate.emulator.reports import MAILBOX_COLUMNS
from closegate.emulator.scenarios import load_scenario
from closegate.emulator.state import Refused
from closegate.emulator.wire import Principal, Request
from tests.emulator.graph_helpers import app_principal, body, call


def test_explicit_delete_deprovisions_72_hours_later_and_units_drop():
    state = load_scenario(ScenarioBuilder().subscription("SPE_E3", licenses=40).subscription("SPE_E3", licenses=10))
    svc, p = GraphService(state, Limits.off()), app_principal(state.tenant_id)
    subs = body(call(svc, p, "GET", "/v1.0/directory/subscriptions"))["value"]
    with pytest.raises(Refused):
        state.delete_subscription(subs[0]["id"])
    state.cancel_subscription(subs[0]["id"])
    assert body(call(svc, p, "GET", f"/v1.0/directory/subscriptions/{subs[0]['id']}"))["status"] == "Suspended"
    state.delete_subscription(subs[0]["id"])
    state.clock.advance(timedelta(hours=71))
    sku = body(call(svc, p, "GET", "/v1.0/subscribedSkus"))["value"][0]
    assert sku["prepaidUnits"] == {"enabled": 10, "lockedOut": 40, "suspended": 0, "warning": 0}
    state.clock.advance(timedelta(hours=1))
    assert len(body(call(svc, p, "GET", "/v1.0/directory/subscriptions"))["value"]) == 1
    assert body(call(svc, p, "GET", "/v1.0/subscribedSkus"))["value"][0]["prepaidUnits"]["lockedOut"] == 0


def test_unrenewed_trial_walks_enabled_warning_suspended_lockedout_deleted():
    state = load_scenario(ScenarioBuilder().subscription("TRIAL", trial=True, next_lifecycle="+1d"))
    sub = next(iter(state.subscriptions.values()))
    seen = []
    for _ in range(120):
        state.clock.advance(timedelta(days=1))
        state.tick()
        if not state.subscriptions:
            break
        if not seen or seen[-1] != sub.status:
            seen.append(sub.status)
    assert seen == ["Warning", "Suspended", "LockedOut", "Deleted"] and not state.subscriptions


def test_azure_cancel_through_arm_and_an_enterprise_offer_is_only_ever_deleted_by_azure_90_days_later():
    state = load_scenario(ScenarioBuilder().azure_subscription("Dev", offer="EnterpriseAgreement"))
    state.azure.bind_closegate(("oid",))
    arm = ArmService(state, page_size=1)
    p = Principal(state.tenant_id, "arm", "app", "app", "oid")
    sid = next(iter(state.azure_subscriptions))
    listed = arm.handle(Request("GET", "/subscriptions", "api-version=2022-12-01", base_url="https://h"), p)
    assert body(listed)["value"][0]["state"] == "Enabled"
    cancel = arm.handle(Request("POST", f"/subscriptions/{sid}/providers/Microsoft.Subscription/cancel",
                                "api-version=2021-10-01"), p)
    assert cancel.status == 200 and state.azure_subscriptions[sid].state == "Disabled"
    state.clock.advance(timedelta(days=30))
    with pytest.raises(Refused, match="cannot be deleted by the customer"):  # graph-facts §12.3
        state.delete_subscription(sid)
    state.clock.advance(timedelta(days=60))
    state.tick()
    assert body(arm.handle(Request("GET", "/subscriptions", "api-version=2022-12-01"), p))["value"] == []


def test_arm_list_pages_with_next_link():
    state = load_scenario(ScenarioBuilder().azure_subscription("A").azure_subscription("B"))
    state.azure.bind_closegate(("oid",))
    arm, p = ArmService(state, page_size=1), Principal(state.tenant_id, "arm", "app", "app", "oid")
    first = body(arm.handle(Request("GET", "/subscriptions", "api-version=2022-12-01", base_url="https://h"), p))
    link = first["nextLink"]
    second = body(arm.handle(Request("GET", "/subscriptions", link.split("?", 1)[1], base_url="https://h"), p))
    assert len(first["value"]) == len(second["value"]) == 1 and "nextLink" not in second


def test_usage_report_redirects_to_csv_with_exact_headers_and_concealed_names():
    state = load_scenario("demo")
    svc, p = GraphService(state, Limits.off()), app_principal(state.tenant_id)
    resp = call(svc, p, "GET", "/v1.0/reports/getMailboxUsageDetail(period='D7')")
    assert resp.status == 302
    location = resp.header("Location")
    csv_resp = svc.handle_download(Request("GET", location.split("8443", 1)[1]))
    rows = list(csv.reader(io.StringIO(csv_resp.body.decode("utf-8-sig"))))
    assert tuple(rows[0]) == MAILBOX_COLUMNS
    assert "admin@contoso.onmicrosoft.com" not in csv_resp.body.decode()
    call(svc, p, "PATCH", "/v1.0/admin/reportSettings", {"displayConcealedNames": False})
    again = call(svc, p, "GET", "/v1.0/reports/getMailboxUsageDetail(period='D7')")
    text = svc.handle_download(Request("GET", again.header("Location").split("8443", 1)[1])).body.decode()
    assert "admin@contoso.onmicrosoft.com" in text
    assert call(svc, p, "GET", "/v1.0/reports/getMailboxUsageDetail(period='D8')").status == 400


def test_usage_report_needs_a_reports_role_for_delegated_callers():
    state = load_scenario("demo")
    svc = GraphService(state, Limits.off())
    user = Principal(state.tenant_id, "graph", "pc", "user", "x", scopes=frozenset({"Reports.Read.All"}))
    assert call(svc, user, "GET", "/v1.0/reports/getOneDriveUsageAccountDetail(period='D30')").status == 403
