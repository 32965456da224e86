from __future__ import annotations

from dataclasses import replace

from closegate.checks.not_partner_directory import not_partner_directory
from closegate.errors import TransportError
from closegate.facts import ORGANIZATION
from closegate.models import Status
from tests.fakes import FakeTenant, run_check

READY = FakeTenant.ready()


def test_passes_for_an_ordinary_directory() -> None:
    assert not_partner_directory(READY).status is Status.PASS


def test_fails_for_a_partner_directory() -> None:
    outcome = not_partner_directory(READY.with_(organization=replace(READY.value(ORGANIZATION), partner_tenant_type="resellerPartnerDelegatedAdmin")))
    assert outcome.status is Status.FAIL and "resellerPartnerDelegatedAdmin" in outcome.message


def test_errors_when_the_organization_cannot_be_read() -> None:
    assert run_check(not_partner_directory,
                     READY.with_(failing={"organization": TransportError("timeout")})).status is Status.ERROR
