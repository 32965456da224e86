from __future__ import annotations

from collections.abc import Callable

from closegate.checks.no_autopilot_registrations import no_autopilot_registrations
from closegate.emulator import Emulator
from closegate.emulator.builder import ScenarioBuilder
from closegate.errors import Throttled
from closegate.facts_records import AutopilotDevice, Listing
from closegate.models import Status
from closegate.registry import catalog
from closegate.runner import RunSettings, run
from closegate.session import open_session
from tests.fakes import FakeTenant, run_check

LAPTOP = AutopilotDevice("a1", "SN-1", "Contoso", "Laptop 5", managed_device_id="m1")


def test_passes_when_no_registration_remains() -> None:
    assert no_autopilot_registrations(FakeTenant.ready()).status is Status.PASS


def test_fails_naming_the_serials_that_outlive_the_tenant() -> None:
    outcome = no_autopilot_registrations(FakeTenant.ready(autopilot_devices=Listing((LAPTOP,))))
    assert outcome.status is Status.FAIL and "1 Windows Autopilot registrations remain (SN-1)" in outcome.message
    assert outcome.evidence["registrations"][0]["enrolled_in_intune"] is True


def test_a_licence_refusal_is_attest_with_where_to_look() -> None:
    hidden = Listing[AutopilotDevice](refusal="no subscription in force carries INTUNE_A")
    outcome = no_autopilot_registrations(FakeTenant.ready(autopilot_devices=hidden))
    assert outcome.status is Status.ATTEST and "Windows enrollment" in outcome.evidence["where_to_look"]


def test_errors_when_intune_keeps_throttling() -> None:
    result = run_check(no_autopilot_registrations,
                       FakeTenant.ready(failing={"autopilot_devices": Throttled("429 after 5 attempts")}))
    assert result.status is Status.ERROR and result.blocking


def test_against_the_emulator_it_fails_with_intune_and_is_attest_without(
        emulator_factory: Callable[..., Emulator]) -> None:
    def audit(builder: ScenarioBuilder) -> Status:
        emu = emulator_factory(scenario=builder)
        session = open_session(emu.config_path, sleep=lambda s: None)
        return run(session.reader(), catalog(), RunSettings(only={"CG-022"})).results[0].status

    assert audit(ScenarioBuilder("Fabrikam").licensed("INTUNE_A").autopilot("SN-9")) is Status.FAIL
    assert audit(ScenarioBuilder("Fabrikam").autopilot("SN-9")) is Status.ATTEST
    assert audit(ScenarioBuilder("Fabrikam").licensed("INTUNE_A")) is Status.PASS
