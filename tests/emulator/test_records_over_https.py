"""The records endpoints end to end over HTTPS with msal tokens of the emulator's own apps: what the
read-only and read-write apps may do, a key read landing in the audit log, an Autopilot
deregistration finishing on the operator's clock, and the legal team releasing a hold."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from test_msgraph_sdk_judge import GRAPH_DEFAULT, MsalCredential, read_config

from closegate.emulator import Emulator
from closegate.emulator.operator import OperatorError
from closegate.emulator.records_devices import AUTOPILOT_DEREGISTRATION

Factory = Callable[..., Emulator]
UA = {"User-Agent": "closegate-tests/1.0"}


def _session(emu: Emulator, app: str, trusting_session: Callable[[Emulator], requests.Session]) -> requests.Session:
    credential = MsalCredential(read_config(emu, app))
    try:
        token = credential.get_token(GRAPH_DEFAULT).token
    finally:
        credential.close()
    session = trusting_session(emu)
    session.headers.update({"Authorization": f"Bearer {token}", **UA})
    return session


def test_the_read_only_app_reads_key_metadata_but_not_key_material(
        emulator_factory: Factory, trusting_session: Callable[[Emulator], requests.Session]) -> None:
    emu = emulator_factory("demo")
    http = _session(emu, "read_only", trusting_session)
    keys = http.get(f"{emu.url}/v1.0/informationProtection/bitlocker/recoveryKeys").json()["value"]
    assert len(keys) == 4
    denied = http.get(f"{emu.url}/v1.0/informationProtection/bitlocker/recoveryKeys/{keys[0]['id']}?$select=key")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "Authorization_RequestDenied"
    assert http.get(f"{emu.url}/v1.0/security/cases/ediscoveryCases").status_code == 200
    spare = next(a for a in emu.state.records.autopilot if a.managed_device_id is None)
    assert http.delete(f"{emu.url}/v1.0/deviceManagement/windowsAutopilotDeviceIdentities/{spare.id}").status_code == 403


def test_a_key_read_by_the_read_write_app_is_audited_and_deregistration_completes_later(
        emulator_factory: Factory, trusting_session: Callable[[Emulator], requests.Session]) -> None:
    emu = emulator_factory("demo")
    http = _session(emu, "read_write", trusting_session)
    key = emu.state.records.bitlocker_keys[0]
    read = http.get(f"{emu.url}/v1.0/informationProtection/bitlocker/recoveryKeys/{key.id}?$select=key")
    assert read.status_code == 200 and read.json()["key"] == key.key
    audits = http.get(f"{emu.url}/v1.0/auditLogs/directoryAudits?$filter=category eq 'KeyManagement'").json()["value"]
    assert [a["targetResources"][0]["displayName"] for a in audits] == [key.id]

    autopilot = f"{emu.url}/v1.0/deviceManagement/windowsAutopilotDeviceIdentities"
    spare = next(a for a in emu.state.records.autopilot if a.managed_device_id is None)
    assert http.delete(f"{autopilot}/{spare.id}").status_code == 204
    assert spare.id in {a["id"] for a in http.get(autopilot).json()["value"]}
    emu.operator.advance_clock(seconds=AUTOPILOT_DEREGISTRATION.total_seconds())
    assert spare.id not in {a["id"] for a in http.get(autopilot).json()["value"]}


def test_the_legal_team_releases_a_hold_through_the_operator_surface(
        emulator_factory: Factory, trusting_session: Callable[[Emulator], requests.Session]) -> None:
    emu = emulator_factory("demo")
    http = _session(emu, "read_write", trusting_session)
    case = next(c for c in emu.state.records.cases if c.status == "active")
    holds = f"{emu.url}/beta/security/cases/ediscoveryCases/{case.id}/legalHolds"
    (hold,) = http.get(holds).json()["value"]
    assert hold["isEnabled"] is True
    emu.operator.release_legal_hold(hold["id"])
    assert http.get(holds).json()["value"][0]["isEnabled"] is False
    users = http.get(f"{holds}/{hold['id']}/userSources").json()["value"]
    assert {u["holdStatus"] for u in users} == {"notApplied"}
    with pytest.raises(OperatorError) as refused:
        emu.operator.release_legal_hold("no-such-hold")
    assert refused.value.status == 404
