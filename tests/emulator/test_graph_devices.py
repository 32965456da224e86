"""Devices: Entra device objects by kind, Intune (licence-dependent), Autopilot deregistration
(refused while enrolled, completing later on the simulated clock), BitLocker keys (key only on
$select=key with BitLockerKey.Read.All, every read in the directory audit log)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from graph_helpers import all_pages, app_principal, body, call, user_principal

from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.graph import GraphService, Limits
from closegate.emulator.records_devices import AUTOPILOT_DEREGISTRATION
from closegate.emulator.scenarios import load_scenario

UA = {"User-Agent": "closegate-tests/1.0"}
KEYS = "/v1.0/informationProtection/bitlocker/recoveryKeys"
AUTOPILOT = "/v1.0/deviceManagement/windowsAutopilotDeviceIdentities"
MANAGED = "/v1.0/deviceManagement/managedDevices"
INTUNE_RW = frozenset({"DeviceManagementManagedDevices.ReadWrite.All", "DeviceManagementServiceConfig.ReadWrite.All"})
KEY_READ = frozenset({"BitLockerKey.Read.All", "AuditLog.Read.All"})


@pytest.fixture
def demo():
    state = load_scenario("demo")
    return state, GraphService(state, Limits.off())


def _app(state, *roles: str):  # noqa: ANN001, ANN202
    return app_principal(state.tenant_id, roles=frozenset(roles))


def test_devices_are_listed_by_trust_type_and_hybrid_ones_are_synced(demo):
    state, svc = demo
    devices = all_pages(svc, _app(state, "Device.Read.All"), "/v1.0/devices?$top=2")
    assert Counter(d["trustType"] for d in devices) == {"AzureAd": 2, "ServerAd": 1, "Workplace": 2}
    hybrid = body(call(svc, _app(state, "Device.Read.All"), "GET", "/v1.0/devices?$filter=trustType eq 'ServerAd'"))
    assert [d["onPremisesSyncEnabled"] for d in hybrid["value"]] == [True]


def test_devices_need_a_device_or_directory_read_permission(demo):
    state, svc = demo
    assert call(svc, _app(state, "Directory.Read.All"), "GET", "/v1.0/devices").status == 200
    assert call(svc, _app(state, "User.Read.All"), "GET", "/v1.0/devices").status == 403


def test_intune_lists_managed_devices_and_autopilot_identities(demo):
    state, svc = demo
    managed = body(call(svc, _app(state, *INTUNE_RW), "GET", MANAGED))["value"]
    assert sorted(m["deviceName"] for m in managed) == ["CONTOSO-LT-0142", "CONTOSO-LT-0157", "Grace's iPhone"]
    identities = body(call(svc, _app(state, *INTUNE_RW), "GET", AUTOPILOT))["value"]
    assert Counter(i["enrollmentState"] for i in identities) == {"enrolled": 2, "notContacted": 1}


def test_intune_endpoints_are_refused_without_an_intune_licence():
    state = load_scenario(ScenarioBuilder().licensed("AAD_PREMIUM").device("LT1", intune=True, autopilot_serial="S1"))
    svc = GraphService(state, Limits.off())
    for url in (MANAGED, AUTOPILOT):
        resp = call(svc, _app(state, *INTUNE_RW), "GET", url)
        assert resp.status == 403 and body(resp)["error"]["code"] == "UnknownError"


def test_autopilot_deregistration_waits_for_the_intune_record_then_completes_later():
    state = load_scenario(ScenarioBuilder(now="2025-03-01T09:00:00Z").licensed("INTUNE_A")
                          .device("LT1", owner="admin", intune=True, autopilot_serial="S1"))
    svc, app = GraphService(state, Limits.off()), _app(state, *INTUNE_RW)
    (identity,) = body(call(svc, app, "GET", AUTOPILOT))["value"]
    refused = call(svc, app, "DELETE", f"{AUTOPILOT}/{identity['id']}")
    assert refused.status == 400 and identity["managedDeviceId"] in body(refused)["error"]["message"]
    assert call(svc, app, "DELETE", f"{MANAGED}/{identity['managedDeviceId']}").status == 204
    assert call(svc, app, "DELETE", f"{AUTOPILOT}/{identity['id']}").status == 204
    assert [i["id"] for i in body(call(svc, app, "GET", AUTOPILOT))["value"]] == [identity["id"]]  # still there
    state.clock.advance(AUTOPILOT_DEREGISTRATION)
    assert body(call(svc, app, "GET", AUTOPILOT))["value"] == []
    assert call(svc, app, "GET", f"{AUTOPILOT}/{identity['id']}").status == 404


def test_an_identity_never_enrolled_can_be_deregistered_directly(demo):
    state, svc = demo
    app = _app(state, *INTUNE_RW)
    spare = next(i for i in body(call(svc, app, "GET", AUTOPILOT))["value"] if i["enrollmentState"] == "notContacted")
    assert call(svc, app, "DELETE", f"{AUTOPILOT}/{spare['id']}").status == 204
    assert call(svc, app, "DELETE", f"{AUTOPILOT}/{spare['id']}").status == 204  # while it completes


def test_deregistration_needs_the_service_config_write_permission(demo):
    state, svc = demo
    reader = _app(state, "DeviceManagementServiceConfig.Read.All")
    (spare,) = [i for i in state.records.autopilot if i.managed_device_id is None]
    assert call(svc, reader, "GET", AUTOPILOT).status == 200
    assert call(svc, reader, "DELETE", f"{AUTOPILOT}/{spare.id}").status == 403


def test_the_key_list_never_returns_key_material_and_refuses_top(demo):
    state, svc = demo
    app = _app(state, "BitLockerKey.Read.All")
    keys = body(call(svc, app, "GET", f"{KEYS}?$select=id,key,deviceId", headers=UA))["value"]
    assert len(keys) == 4 and all("key" not in k for k in keys)
    assert call(svc, app, "GET", f"{KEYS}?$top=1", headers=UA).status == 400
    device = state.records.devices[1].device_id
    mine = body(call(svc, app, "GET", f"{KEYS}?$filter=deviceId eq '{device}'", headers=UA))["value"]
    assert len(mine) == 2 and {k["deviceId"] for k in mine} == {device}


def test_bitlocker_requests_need_a_user_agent(demo):
    state, svc = demo
    assert call(svc, _app(state, "BitLockerKey.Read.All"), "GET", KEYS).status == 400


def test_reading_a_key_needs_read_all_and_is_audited_under_key_management(demo):
    state, svc = demo
    key = state.records.bitlocker_keys[0]
    basic = call(svc, _app(state, "BitLockerKey.ReadBasic.All"), "GET", f"{KEYS}/{key.id}?$select=key", headers=UA)
    assert basic.status == 403
    metadata = body(call(svc, _app(state, "BitLockerKey.ReadBasic.All"), "GET", f"{KEYS}/{key.id}", headers=UA))
    assert "key" not in metadata
    audits_before = len(state.records.audits)
    app = _app(state, *KEY_READ)
    read = body(call(svc, app, "GET", f"{KEYS}/{key.id}?$select=key,deviceId", headers=UA))
    assert re.fullmatch(r"(\d{6}-){7}\d{6}", read["key"])
    assert len(state.records.audits) == audits_before + 1  # the metadata read above was not audited
    entries = body(call(svc, app, "GET", "/v1.0/auditLogs/directoryAudits?$filter=category eq 'KeyManagement'"))["value"]
    (entry,) = entries
    assert entry["activityDisplayName"] == "Read BitLocker key"
    assert entry["targetResources"][0]["displayName"] == key.id
    assert entry["initiatedBy"]["app"]["appId"] == app.app_id and entry["initiatedBy"]["user"] is None


def test_a_delegated_user_without_a_device_role_reads_only_their_own_devices_keys(demo):
    state, svc = demo
    grace = state.find_user("grace.it@contoso.onmicrosoft.com")["id"]
    user = user_principal(state.tenant_id, grace, frozenset({"BitLockerKey.Read.All"}))
    (own,) = body(call(svc, user, "GET", KEYS, headers=UA))["value"]
    other = next(k for k in state.records.bitlocker_keys if k.id != own["id"])
    assert call(svc, user, "GET", f"{KEYS}/{other.id}?$select=key", headers=UA).status == 403
    assert call(svc, user, "GET", f"{KEYS}/{own['id']}?$select=key", headers=UA).status == 200
    assert state.records.audits[-1].initiator_user[2] == "grace.it@contoso.onmicrosoft.com"


def test_a_cloud_device_administrator_reads_every_key(demo):
    state, svc = demo
    grace = state.find_user("grace.it@contoso.onmicrosoft.com")["id"]
    admin = user_principal(state.tenant_id, grace, frozenset({"BitLockerKey.ReadBasic.All"}),
                           frozenset({"7698a772-787b-4ac8-901f-60d6b08affd2"}))
    assert len(body(call(svc, admin, "GET", KEYS, headers=UA))["value"]) == 4
