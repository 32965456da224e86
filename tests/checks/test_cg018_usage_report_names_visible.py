from __future__ import annotations

from dataclasses import replace

from closegate.checks.usage_report_names_visible import usage_report_names_visible
from closegate.facts import CALLER, ReportSettings
from closegate.models import Status
from tests.fakes import FakeTenant, run_check

READY = FakeTenant.ready()


def test_passes_when_names_are_shown() -> None:
    assert usage_report_names_visible(READY).status is Status.PASS


def test_fails_advisory_when_names_are_concealed() -> None:
    result = run_check(usage_report_names_visible, READY.with_(report_settings=ReportSettings(True)))
    assert result.status is Status.FAIL and not result.blocking


def test_errors_in_preflight_without_report_settings_permission() -> None:
    tenant = READY.with_(caller=replace(READY.value(CALLER), permissions=frozenset({"User.Read.All"})))
    result = run_check(usage_report_names_visible, tenant)
    assert result.status is Status.ERROR and "ReportSettings.Read.All" in result.error["cause"]
