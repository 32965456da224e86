from __future__ import annotations

from closegate.checks.devices_inventoried import devices_inventoried
from closegate.errors import PermissionDenied
from closegate.facts_records import Device, Listing, ManagedDevice
from closegate.models import Status
from tests.fakes import FakeTenant, run_check

JOINED = Device("d1", "dev-1", "LT-1", "AzureAd", "Windows")
HYBRID = Device("d2", "dev-2", "DT-1", "ServerAd", "Windows", synced=True)
PHONE = Device("d3", "dev-3", "Phone", "Workplace", "iOS")
MANAGED = ManagedDevice("m1", "LT-1", "Windows", "SN-1", "company", "dev-1")


def test_passes_when_no_device_is_bound_to_the_tenant() -> None:
    assert devices_inventoried(FakeTenant.ready()).status is Status.PASS


def test_fails_advisory_counting_devices_by_kind_and_intune_by_ownership() -> None:
    tenant = FakeTenant.ready(devices=(JOINED, HYBRID, PHONE), managed_devices=Listing((MANAGED,)))
    outcome = devices_inventoried(tenant)
    assert outcome.status is Status.FAIL
    assert outcome.message == ("3 devices are bound to the tenant (1 Entra joined, 1 hybrid joined, 1 registered); "
                               "1 managed by Intune (1 company)")
    assert outcome.evidence["by_kind"] == {"Entra joined": 1, "hybrid joined": 1, "registered": 1}


def test_says_when_intune_is_not_visible() -> None:
    hidden = Listing[ManagedDevice](refusal="no subscription in force carries INTUNE_A")
    outcome = devices_inventoried(FakeTenant.ready(devices=(JOINED,), managed_devices=hidden))
    assert "Intune managed devices are not visible" in outcome.message
    assert outcome.evidence["intune_not_visible"] == hidden.refusal


def test_errors_without_device_access() -> None:
    result = run_check(devices_inventoried, FakeTenant.ready(failing={"devices": PermissionDenied("403 on /devices")}))
    assert result.status is Status.ERROR
