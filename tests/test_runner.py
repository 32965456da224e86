from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from closegate.attestations import Attestation
from closegate.errors import AuthError, ConfigError, PermissionDenied
from closegate.facts import CALLER, Fact
from closegate.models import Outcome, Severity, Status, Step, Verdict, failed
from closegate.registry import Catalog, catalog, check, spec_of
from closegate.runner import RunSettings, run
from tests.fakes import ATTESTED_READY, NOW, BackedUpTenant, FakeTenant

FULL = catalog(plugins=False)
SIGNED = tuple(Attestation(i, "checked in the portal", "Dana", NOW - timedelta(hours=1)) for i in ATTESTED_READY)


def settings(**changes: object) -> RunSettings:
    return replace(RunSettings(clock=lambda: NOW, tenant_id="tenant-1"), **changes)  # type: ignore[arg-type]


def test_a_ready_backed_up_attested_tenant_is_ready_and_can_close_now() -> None:
    record = run(BackedUpTenant(), FULL, settings(attestations=SIGNED))
    assert [r.check_id for r in record.results if r.status not in (Status.PASS, Status.NOT_APPLICABLE)] == []
    assert record.verdict is Verdict.READY and record.complete
    assert record.earliest_closure.date == NOW


def test_without_attestations_the_attest_checks_keep_it_undetermined() -> None:
    record = run(BackedUpTenant(), FULL, settings())
    assert {r.check_id for r in record.results if r.status is Status.ATTEST} == set(ATTESTED_READY)
    assert record.verdict is Verdict.CANNOT_DETERMINE


def test_a_subset_is_recorded_as_partial_and_never_ready() -> None:
    record = run(BackedUpTenant(), FULL, settings(only={"CG-004", "CG-005"}))
    assert [r.check_id for r in record.results] == ["CG-004", "CG-005"]
    assert not record.complete and record.selection["only"] == ["CG-004", "CG-005"]
    assert record.verdict is Verdict.CANNOT_DETERMINE
    assert not run(BackedUpTenant(), FULL, settings(skip={"CG-018"})).complete


def test_unknown_ids_in_only_or_skip_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="CG-999"):
        run(FakeTenant.ready(), FULL, settings(only={"CG-999"}))


def test_a_check_cannot_return_error_itself() -> None:
    with pytest.raises(ValueError):
        Outcome(Status.ERROR, "no")


def test_a_crashing_check_is_error_without_leaking_its_message() -> None:
    @check(id="CG-950", title="boom", severity=Severity.LOW, blocking=True, step=Step.BACKUP, permissions=(),
           doc_url="https://x", why="w", fix="f")
    def boom(tenant: object) -> Outcome:
        raise KeyError("secret=hunter2")

    record = run(FakeTenant.ready(), Catalog((spec_of(boom),)), settings())
    result = record.results[0]
    assert result.status is Status.ERROR and result.error["kind"] == "CheckCrashed"
    assert "hunter2" not in record.dumps()


def test_a_check_returning_a_non_outcome_is_error() -> None:
    @check(id="CG-951", title="bad", severity=Severity.LOW, blocking=True, step=Step.BACKUP, permissions=(),
           doc_url="https://x", why="w", fix="f")
    def bad(tenant: object) -> Outcome:
        return True  # type: ignore[return-value]

    assert run(FakeTenant.ready(), Catalog((spec_of(bad),)), settings()).results[0].status is Status.ERROR


def test_preflight_marks_every_check_lacking_permissions_before_running_it() -> None:
    tenant = FakeTenant.ready()
    who = replace(tenant.value(CALLER), permissions=frozenset({"User.Read.All", "Organization.Read.All"}), arm_access=False)
    record = run(tenant.with_(caller=who), FULL, settings())
    errors = {r.check_id: r.error["cause"] for r in record.results if r.status is Status.ERROR}
    assert {"CG-001", "CG-003", "CG-008", "CG-009", "CG-010", "CG-011", "CG-017", "CG-018"} <= set(errors)
    assert "Policy.Read.All" in errors["CG-008"]
    assert record.result("CG-005").status is Status.PASS


def test_a_caller_that_cannot_be_identified_makes_every_check_error() -> None:
    record = run(FakeTenant.ready().with_(failing={"caller": PermissionDenied("403 on roleAssignments")}),
                 FULL, settings())
    assert {r.status for r in record.results} == {Status.ERROR}
    assert record.caller == {}


def test_a_sign_in_failure_stops_the_run() -> None:
    with pytest.raises(AuthError):
        run(FakeTenant.ready().with_(failing={"caller": AuthError("bad secret")}), FULL, settings())


def test_the_earliest_closure_date_is_the_latest_dated_blocker() -> None:
    @check(id="CG-960", title="a", severity=Severity.LOW, blocking=True, step=Step.BACKUP, permissions=(),
           doc_url="https://x", why="w", fix="f")
    def soon(tenant: object) -> Outcome:
        return failed("x", blocked_until=NOW + timedelta(days=1), because="sync is turning off")

    @check(id="CG-961", title="b", severity=Severity.LOW, blocking=True, step=Step.BACKUP, permissions=(),
           doc_url="https://x", why="w", fix="f")
    def later(tenant: object) -> Outcome:
        return failed("y", blocked_until=NOW + timedelta(days=5), because="a subscription deprovisions")

    record = run(FakeTenant.ready(), Catalog((spec_of(soon), spec_of(later))), settings())
    closure = record.earliest_closure
    assert closure.date == NOW + timedelta(days=5)
    assert closure.reason == "blocked until 2026-03-06 because a subscription deprovisions"
    assert closure.check_ids == ("CG-961", "CG-960")


class CountingTenant:
    """A ready tenant that records which facts were read."""

    def __init__(self) -> None:
        self.tenant = BackedUpTenant()
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.tenant, name)

    def read(self, fact: Fact[Any]) -> Any:
        self.calls.append(fact.name)
        return self.tenant.read(fact)


def test_prefetch_loads_only_the_facts_the_selected_checks_read_and_reports_progress() -> None:
    tenant = CountingTenant()
    seen: list[str] = []
    run(tenant, FULL, settings(only={"CG-012"}, progress=lambda label, done, total: seen.append(label)))
    assert "users" not in tenant.calls and "organization" in tenant.calls
    assert "loaded organization" in seen
