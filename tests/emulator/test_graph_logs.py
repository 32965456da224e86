"""Activity logs: directory audits and sign-ins, the licence sign-ins need, Entra's retention
periods on the simulated clock, date-range filters, ordering, paging and reader roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from graph_helpers import all_pages, app_principal, body, call, user_principal

from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.clock import format_time
from closegate.emulator.graph import GraphService, Limits
from closegate.emulator.scenarios import load_scenario

AUDITS = "/v1.0/auditLogs/directoryAudits"
SIGN_INS = "/v1.0/auditLogs/signIns"
READ = frozenset({"AuditLog.Read.All"})
NOW = "2025-03-01T09:00:00Z"


@pytest.fixture
def demo():
    state = load_scenario("demo")
    return state, GraphService(state, Limits.off()), app_principal(state.tenant_id, roles=READ)


def _logged(premium: bool) -> ScenarioBuilder:
    b = ScenarioBuilder(now=NOW)
    if premium:
        b.licensed("AAD_PREMIUM")
    for days in (1, 3, 10, 29, 31):
        b.audit(f"Audit {days}d ago", f"-{days}d", by="admin").sign_in("admin", f"-{days}d")
    return b


def _activities(svc, principal, url=AUDITS):  # noqa: ANN001, ANN202
    return [a["activityDisplayName"] for a in all_pages(svc, principal, url)]


def test_with_entra_p1_audits_go_back_30_days_newest_first():
    state = load_scenario(_logged(premium=True))
    svc = GraphService(state, Limits.off())
    assert _activities(svc, app_principal(state.tenant_id, roles=READ)) == [
        "Audit 1d ago", "Audit 3d ago", "Audit 10d ago", "Audit 29d ago"]


def test_without_a_premium_licence_audits_go_back_seven_days():
    state = load_scenario(_logged(premium=False))
    svc = GraphService(state, Limits.off())
    assert _activities(svc, app_principal(state.tenant_id, roles=READ)) == ["Audit 1d ago", "Audit 3d ago"]


def test_retention_follows_the_simulated_clock():
    state = load_scenario(_logged(premium=True))
    svc, app = GraphService(state, Limits.off()), app_principal(state.tenant_id, roles=READ)
    state.clock.advance(timedelta(days=5))
    assert _activities(svc, app) == ["Audit 1d ago", "Audit 3d ago", "Audit 10d ago"]


def test_audits_filter_by_date_range_and_order_oldest_first_on_request():
    state = load_scenario(_logged(premium=True))
    svc, app = GraphService(state, Limits.off()), app_principal(state.tenant_id, roles=READ)
    since = format_time(state.clock.now() - timedelta(days=5))
    assert _activities(svc, app, f"{AUDITS}?$filter=activityDateTime ge {since}") == ["Audit 1d ago", "Audit 3d ago"]
    until = format_time(state.clock.now() - timedelta(days=2))
    ranged = f"{AUDITS}?$filter=activityDateTime ge {since} and activityDateTime le {until}"
    assert _activities(svc, app, ranged) == ["Audit 3d ago"]
    assert _activities(svc, app, f"{AUDITS}?$orderby=activityDateTime asc")[0] == "Audit 29d ago"


def test_range_operators_are_refused_on_properties_that_are_not_dates(demo):
    _, svc, app = demo
    resp = call(svc, app, "GET", f"{AUDITS}?$filter=category ge 'Policy'")
    assert resp.status == 400 and body(resp)["error"]["code"] == "Request_UnsupportedQuery"


def test_audits_page_with_next_links(demo):
    _, svc, app = demo
    first = body(call(svc, app, "GET", f"{AUDITS}?$top=2"))
    assert len(first["value"]) == 2 and "@odata.nextLink" in first
    assert len(all_pages(svc, app, f"{AUDITS}?$top=2")) == 4  # the demo's fifth entry is 45 days old


def test_sign_ins_need_entra_p1():
    state = load_scenario(_logged(premium=False))
    resp = call(GraphService(state, Limits.off()), app_principal(state.tenant_id, roles=READ), "GET", SIGN_INS)
    error = body(resp)["error"]
    assert resp.status == 403 and error["code"] == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"


def test_sign_ins_go_back_30_days_newest_first_a_page_of_1000(demo):
    state, svc, app = demo
    page = body(call(svc, app, "GET", SIGN_INS))
    assert [s["appDisplayName"] for s in page["value"]] == [
        "Microsoft 365 admin center", "Microsoft Teams", "Office 365 Exchange Online"]
    failed = page["value"][-1]
    assert failed["status"]["errorCode"] == 50126 and failed["userPrincipalName"] == "pim.carlos@contoso.onmicrosoft.com"
    many = ScenarioBuilder(now=NOW).licensed("AAD_PREMIUM")
    for minute in range(1100):
        many.sign_in("admin", f"-{minute // 60 + 1}h")
    big = load_scenario(many)
    big_svc, big_app = GraphService(big, Limits.off()), app_principal(big.tenant_id, roles=READ)
    first = body(call(big_svc, big_app, "GET", SIGN_INS))
    assert len(first["value"]) == 1000 and "@odata.nextLink" in first
    assert call(big_svc, big_app, "GET", f"{SIGN_INS}?$top=1000").status == 200  # above other endpoints' 999
    assert call(big_svc, big_app, "GET", f"{SIGN_INS}?$top=1001").status == 400


def test_sign_ins_filter_by_date_and_user(demo):
    state, svc, app = demo
    since = format_time(state.clock.now() - timedelta(days=2))
    recent = body(call(svc, app, "GET", f"{SIGN_INS}?$filter=createdDateTime ge {since}"))["value"]
    assert [s["userPrincipalName"] for s in recent] == ["admin@contoso.onmicrosoft.com"]
    graces = body(call(svc, app, "GET", f"{SIGN_INS}?$filter=userPrincipalName eq 'grace.it@contoso.onmicrosoft.com'"))
    assert [s["appDisplayName"] for s in graces["value"]] == ["Microsoft Teams"]


def test_delegated_readers_need_a_reports_role(demo):
    state, svc, _ = demo
    grace = state.find_user("grace.it@contoso.onmicrosoft.com")["id"]
    plain = user_principal(state.tenant_id, grace, READ)
    reader = user_principal(state.tenant_id, grace, READ, frozenset({"f2ef992c-3afb-46b9-b7cf-a126ee74c451"}))
    assert call(svc, plain, "GET", AUDITS).status == 403
    assert call(svc, reader, "GET", AUDITS).status == 200 and call(svc, reader, "GET", SIGN_INS).status == 200


def test_logs_need_audit_log_read_all(demo):
    state, svc, _ = demo
    other = app_principal(state.tenant_id, roles=frozenset({"Directory.Read.All"}))
    assert call(svc, other, "GET", AUDITS).status == 403 and call(svc, other, "GET", SIGN_INS).status == 403
