"""Retention labels (delegated only, as documented) and event-based retention (event types, events)."""

from __future__ import annotations

import pytest
from graph_helpers import app_principal, body, call, user_principal

from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.graph import GraphService, Limits
from closegate.emulator.scenarios import load_scenario

READ = frozenset({"RecordsManagement.Read.All"})
LABELS = "/v1.0/security/labels/retentionLabels"


@pytest.fixture
def demo():
    state = load_scenario("demo")
    admin = state.find_user(state.closing_admin_upn)["id"]
    return state, GraphService(state, Limits.off()), user_principal(state.tenant_id, admin, READ)


def test_labels_carry_their_duration_behaviour_and_event_trigger(demo):
    _, svc, user = demo
    labels = {lb["displayName"]: lb for lb in body(call(svc, user, "GET", f"{LABELS}?$expand=retentionEventType"))["value"]}
    tax, personnel = labels["Tax records (7 years)"], labels["Personnel file"]
    assert tax["retentionDuration"] == {"@odata.type": "#microsoft.graph.security.retentionDurationInDays", "days": 2555}
    assert (tax["behaviorDuringRetentionPeriod"], tax["retentionTrigger"]) == ("retainAsRecord", "dateCreated")
    assert personnel["retentionTrigger"] == "dateOfEvent"
    assert personnel["retentionEventType"]["displayName"] == "Employee departure"
    assert tax["retentionEventType"] is None


def test_a_label_kept_forever_says_so():
    state = load_scenario(ScenarioBuilder().retention_label("Board minutes", days=None))
    admin = state.find_user(state.closing_admin_upn)["id"]
    (label,) = body(call(GraphService(state, Limits.off()), user_principal(state.tenant_id, admin, READ),
                         "GET", LABELS))["value"]
    assert label["retentionDuration"] == {"@odata.type": "#microsoft.graph.security.retentionDurationForever"}


def test_labels_refuse_application_permissions_as_documented(demo):
    state, svc, _ = demo
    resp = call(svc, app_principal(state.tenant_id, roles=READ), "GET", LABELS)
    assert resp.status == 403 and body(resp)["error"]["code"] == "Authorization_RequestDenied"


def test_event_types_and_events_accept_application_permissions(demo):
    state, svc, _ = demo
    app = app_principal(state.tenant_id, roles=READ)
    (event_type,) = body(call(svc, app, "GET", "/v1.0/security/triggerTypes/retentionEventTypes"))["value"]
    (event,) = body(call(svc, app, "GET", "/v1.0/security/triggers/retentionEvents?$expand=retentionEventType"))["value"]
    assert event["retentionEventType"]["id"] == event_type["id"]
    assert event["eventStatus"]["status"] == "success" and event["eventTriggerDateTime"]


def test_records_reads_need_a_records_management_permission(demo):
    state, svc, _ = demo
    other = app_principal(state.tenant_id, roles=frozenset({"Directory.Read.All"}))
    assert call(svc, other, "GET", "/v1.0/security/triggers/retentionEvents").status == 403


def test_only_the_documented_navigation_properties_can_be_expanded(demo):
    _, svc, user = demo
    assert call(svc, user, "GET", f"{LABELS}?$expand=descriptors").status == 200
    assert call(svc, user, "GET", f"{LABELS}?$expand=owner").status == 400
    assert call(svc, user, "GET", "/v1.0/security/triggers/retentionEvents?$expand=descriptors").status == 400
