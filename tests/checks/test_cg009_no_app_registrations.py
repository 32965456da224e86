from __future__ import annotations

from dataclasses import replace

from closegate.checks.no_app_registrations import no_app_registrations
from closegate.errors import PermissionDenied
from closegate.facts import CALLER, Application
from closegate.models import Status
from tests.fakes import APP_ID, FakeTenant, run_check

READY = FakeTenant.ready()


def test_passes_with_only_closegates_own_registration() -> None:
    outcome = no_app_registrations(READY.with_(applications=(Application("o1", APP_ID, "closegate"),)))
    assert outcome.status is Status.PASS
    assert outcome.evidence["closegate_registration"] == ["closegate"]


def test_fails_with_another_registration() -> None:
    outcome = no_app_registrations(READY.with_(applications=(Application("o2", "other", "Payroll"),)))
    assert outcome.status is Status.FAIL and outcome.message == "1 app registrations remain"


def test_errors_in_preflight_without_application_read() -> None:
    tenant = READY.with_(caller=replace(READY.value(CALLER), permissions=frozenset({"User.Read.All"})))
    result = run_check(no_app_registrations, tenant)
    assert result.status is Status.ERROR and "Application.Read.All" in result.error["cause"]
    assert "admin consent" in result.error["fix"]


def test_errors_when_graph_denies() -> None:
    assert run_check(no_app_registrations,
                     READY.with_(failing={"applications": PermissionDenied("403")})).status is Status.ERROR
