"""Deregistering Windows Autopilot devices through the executor (CG-022): the Intune managed device is
deleted first, as Microsoft orders, the deregistration's 204 is journaled as accepted (the identity
stays listed until Microsoft completes it), and the check passes once it is gone."""

from __future__ import annotations

from datetime import timedelta

from closegate.emulator.builder import ScenarioBuilder
from closegate.facts import AUTOPILOT_DEVICES
from closegate.registry import catalog
from closegate.remediation.executor import ExecutionOptions
from closegate.remediation.journal import verify
from closegate.remediation.outcomes import Outcome
from closegate.remediation.workflow import apply_plan
from closegate.runner import RunSettings, run


def _tenant() -> ScenarioBuilder:
    return (ScenarioBuilder("Tailspin").licensed("INTUNE_A")
            .device("TS-LT-1", owner="admin", intune=True, autopilot_serial="SN-ENROLLED")
            .autopilot("SN-NEVER-JOINED"))


def test_managed_devices_go_first_and_the_deregistration_is_accepted_then_completes(planned) -> None:
    p = planned(_tenant())
    ids = [i.action_id for i in p.plan.items]
    assert ids.index("delete_autopilot_managed_devices") < ids.index("deregister_autopilot_devices")
    managed_item = p.plan.item("delete_autopilot_managed_devices")
    assert managed_item is not None and [t.fields["serial_number"] for t in managed_item.targets] == ["SN-ENROLLED"]
    p.emu.operator.clear_request_log()

    reports = apply_plan(p.path, p.session, confirm=p.plan.primary_domain, options=ExecutionOptions())

    deletes = [e["path"] for e in p.emu.operator.request_log() if e["method"] == "DELETE"]
    assert deletes and "/managedDevices/" in deletes[0]
    assert sum("/windowsAutopilotDeviceIdentities/" in d for d in deletes) == 2
    deregistered = next(r for r in reports if r.action_id == "deregister_autopilot_devices")
    assert deregistered.outcomes == {Outcome.APPLIED: 2}
    assert any("completes it asynchronously" in reason for reason in deregistered.reasons)
    assert verify(p.path.parent / "journal.jsonl").records > 0

    # Still listed right after the 204: CG-022 keeps failing until Microsoft completes it.
    reader = p.session.reader()
    assert len(reader.read(AUTOPILOT_DEVICES).items) == 2
    assert run(reader, catalog(), RunSettings(only={"CG-022"})).results[0].status.value == "FAIL"
    p.emu.operator.advance_clock(hours=1)
    after = run(p.session.reader(), catalog(), RunSettings(only={"CG-022"})).results[0]
    assert after.status.value == "PASS", after.message


def test_a_rerun_sends_nothing_again_for_an_accepted_deregistration(planned) -> None:
    p = planned(_tenant())
    apply_plan(p.path, p.session, confirm=p.plan.primary_domain, options=ExecutionOptions())
    p.emu.operator.clear_request_log()
    again = apply_plan(p.path, p.session, confirm=p.plan.primary_domain, options=ExecutionOptions(),
                       now=p.plan.created + timedelta(minutes=1))
    assert [e for e in p.emu.operator.request_log() if e["method"] == "DELETE"] == []
    assert all(r.outcomes[Outcome.DONE_EARLIER] for r in again
               if r.action_id in ("delete_autopilot_managed_devices", "deregister_autopilot_devices"))
