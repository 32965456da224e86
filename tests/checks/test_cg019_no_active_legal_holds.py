from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from closegate.checks.no_active_legal_holds import no_active_legal_holds
from closegate.emulator import Emulator
from closegate.emulator.builder import ScenarioBuilder
from closegate.errors import PermissionDenied
from closegate.facts import CALLER
from closegate.facts_records import Custodian, EdiscoveryCase, HoldPolicy, Listing, RecordedCases
from closegate.models import Status
from closegate.registry import catalog
from closegate.runner import RunSettings, run
from closegate.session import open_session
from tests.fakes import NOW, FakeTenant, run_check

READY = FakeTenant.ready()
APP = READY.with_(caller=replace(READY.value(CALLER), kind="app"))
HOLD = HoldPolicy("h1", "Fabrikam litigation hold", True, "success", ("grace@contoso.com",),
                  ("https://contoso.sharepoint.com/sites/finance",))
RELEASED = HoldPolicy("h2", "HR hold", False, "success", ("carlos@contoso.com",))
CASE = EdiscoveryCase("c1", "Fabrikam v. Contoso", "active", holds=(HOLD,))
OLD = EdiscoveryCase("c2", "2023 HR investigation", "closed", holds=(RELEASED,),
                     custodians=(Custodian("u1", "Carlos", "carlos@contoso.com", "released", "notApplied"),))
REFUSED = Listing[EdiscoveryCase](refusal="Graph answered 403 Forbidden: no eDiscovery (Premium) in force")


def test_passes_for_an_app_that_sees_every_case_and_only_released_holds() -> None:
    outcome = no_active_legal_holds(APP.with_(ediscovery_cases=Listing((OLD,))))
    assert outcome.status is Status.PASS
    assert outcome.message == "1 eDiscovery (Premium) cases, no active legal hold (1 released)"


def test_fails_naming_each_case_and_active_hold_with_what_it_holds() -> None:
    outcome = no_active_legal_holds(APP.with_(ediscovery_cases=Listing((CASE, OLD))))
    assert outcome.status is Status.FAIL
    assert "'Fabrikam litigation hold' (case 'Fabrikam v. Contoso')" in outcome.message
    (held,) = outcome.evidence["active_holds"]
    assert held["mailboxes"] == ["grace@contoso.com"] and held["sites"] == ["https://contoso.sharepoint.com/sites/finance"]
    assert [h["hold"] for h in outcome.evidence["released_holds"]] == ["HR hold"]


def test_an_active_custodian_hold_fails_too() -> None:
    held = EdiscoveryCase("c3", "Audit", "active",
                          custodians=(Custodian("u2", "Grace", "grace@contoso.com", "active", "applied"),))
    outcome = no_active_legal_holds(APP.with_(ediscovery_cases=Listing((held,))))
    assert outcome.status is Status.FAIL and "custodian grace@contoso.com" in outcome.message


def test_when_graph_refuses_for_the_licence_the_holds_the_backup_recorded_still_fail() -> None:
    recorded = RecordedCases(NOW, "backup/", (CASE,))
    outcome = no_active_legal_holds(APP.with_(ediscovery_cases=REFUSED, recorded_cases=recorded))
    assert outcome.status is Status.FAIL and "Fabrikam litigation hold" in outcome.message
    assert outcome.evidence["source"].startswith("the backup taken 2026-03-01 12:00 UTC")
    assert outcome.evidence["graph_refused"] == REFUSED.refusal


def test_refused_with_a_backup_showing_no_active_hold_is_attest_not_pass() -> None:
    recorded = RecordedCases(NOW, "b/", (OLD,))
    outcome = no_active_legal_holds(APP.with_(ediscovery_cases=REFUSED, recorded_cases=recorded))
    assert outcome.status is Status.ATTEST and "can no longer confirm" in outcome.message


def test_refused_without_any_record_is_attest_with_the_place_to_look() -> None:
    outcome = no_active_legal_holds(APP.with_(ediscovery_cases=REFUSED))
    assert outcome.status is Status.ATTEST
    assert "Get-ComplianceCase" in outcome.evidence["where_to_look"]


def test_a_signed_in_user_seeing_no_hold_may_see_only_their_cases_so_it_is_attest() -> None:
    outcome = no_active_legal_holds(READY.with_(ediscovery_cases=Listing((OLD,))))
    assert outcome.status is Status.ATTEST and "eDiscovery Administrator" in outcome.message


def test_errors_when_graph_refuses_for_another_reason() -> None:
    result = run_check(no_active_legal_holds, APP.with_(failing={"ediscovery_cases": PermissionDenied("403")}))
    assert result.status is Status.ERROR


def _audit(emu: Emulator) -> Status:
    session = open_session(emu.config_path, sleep=lambda s: None)
    return run(session.reader(), catalog(), RunSettings(only={"CG-019"})).results[0]


@pytest.fixture
def tenant(emulator_factory: Callable[..., Emulator]) -> Callable[[ScenarioBuilder], Emulator]:
    return lambda builder: emulator_factory(scenario=builder)


def test_against_the_emulator_an_active_hold_fails_and_passes_once_legal_releases_it(tenant) -> None:
    emu = tenant(ScenarioBuilder("Fabrikam").licensed("EQUIVIO_ANALYTICS").user("grace")
                 .legal_hold("Fabrikam v. Contoso", "Litigation hold", users=("grace",)))
    result = _audit(emu)
    assert result.status is Status.FAIL and "'Litigation hold' (case 'Fabrikam v. Contoso')" in result.message
    (hold,) = [h for c in emu.state.records.cases for h in c.holds]
    emu.operator.release_legal_hold(hold.id)
    assert _audit(emu).status is Status.PASS


def test_against_the_emulator_without_the_licence_it_is_attest(tenant) -> None:
    emu = tenant(ScenarioBuilder("Fabrikam").legal_hold("Fabrikam v. Contoso", "Litigation hold"))
    result = _audit(emu)
    assert result.status is Status.ATTEST and "EQUIVIO_ANALYTICS" in result.evidence["graph_refused"]


def test_against_the_emulator_a_missing_permission_is_error_naming_it(tenant) -> None:
    emu = tenant(ScenarioBuilder("Fabrikam").licensed("EQUIVIO_ANALYTICS"))
    object.__setattr__(emu.apps.read_write, "roles", emu.apps.read_write.roles - {"eDiscovery.Read.All"})
    result = _audit(emu)
    assert result.status is Status.ERROR and "eDiscovery.Read.All" in result.error["cause"]
