"""Under any schedule of transient faults the audit never reaches a different decision: each check
keeps its fault-free status or becomes ERROR, so the verdict is the fault-free one or CANNOT DETERMINE.
A fault may cost an answer; it must never turn into a PASS (or a FAIL) that the tenant does not earn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closegate.emulator import Emulator
from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.certs import Pki
from closegate.models import RunRecord, Status, Verdict
from tests.checks.test_against_emulator import audit
from tests.fakes import keep_only_the_callers_service_principal

pytestmark = pytest.mark.timeout(240)

TENANTS = {
    "ready": ScenarioBuilder("Fabrikam"),
    "not-ready": (ScenarioBuilder("Contoso").user("bob").guest("ext@partner.com").subscription()
                  .ca_policy("Require MFA").azure_subscription("Dev", state="Disabled")),
}

faults = st.builds(
    lambda p429, p503, p504, reset, lifetime, seed: (
        f"429={p429},503={p503},504={p504},reset={reset},seed={seed}"
        + (f",token_lifetime={lifetime}s" if lifetime else "")
    ),
    st.sampled_from([0, 0.05, 0.3]), st.sampled_from([0, 0.05, 0.2]), st.sampled_from([0, 0.05]),
    st.sampled_from([0, 0.02, 0.1]), st.sampled_from([0, 2, 60]), st.integers(0, 10_000),
)


@pytest.fixture(scope="module")
def tenants(emulator_pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[Emulator, RunRecord]]]:
    started: dict[str, tuple[Emulator, RunRecord]] = {}
    for name, builder in TENANTS.items():
        emu = Emulator(scenario=builder, state_dir=tmp_path_factory.mktemp(name), pki=emulator_pki).start()
        keep_only_the_callers_service_principal(emu, emu.apps.read_write.client_id)
        # The 1 request/s Conditional Access limit is real-time; audits back to back would meet it and
        # turn CG-008 into ERROR on every example, hiding what the injected faults do.
        emu.operator.set_limits(ca_requests_per_second=None)
        started[name] = (emu, audit(emu))
    yield started
    for emu, _ in started.values():
        emu.stop()


def test_fault_free_baselines_differ(tenants: dict[str, tuple[Emulator, RunRecord]]) -> None:
    assert tenants["ready"][1].verdict is Verdict.READY
    assert tenants["not-ready"][1].verdict is Verdict.NOT_READY


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(TENANTS)), spec=faults)
def test_faults_never_change_a_decision(tenants: dict[str, tuple[Emulator, RunRecord]], name: str, spec: str) -> None:
    emu, baseline = tenants[name]
    emu.operator.set_faults(spec)
    try:
        record = audit(emu)
    finally:
        emu.operator.set_faults("")
    for result in record.results:
        expected = baseline.result(result.check_id)
        assert expected is not None
        assert result.status in (expected.status, Status.ERROR), (spec, result.check_id, result.message)
    assert record.verdict in (baseline.verdict, Verdict.CANNOT_DETERMINE), spec
