"""Every check against the emulated tenant: PASS on a clean tenant, FAIL on a tenant built to fail it,
ERROR when Graph cannot answer or the app lacks a permission. The checks see Graph's real behaviour
(paging, $select, role expansion, the tenant clock) through closegate.tenant, not a fake."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from closegate.attestations import Attestation
from closegate.emulator import Emulator
from closegate.emulator.builder import ScenarioBuilder
from closegate.facts import ORGANIZATION, Backup
from closegate.models import RunRecord, Status, Verdict
from closegate.registry import catalog
from closegate.runner import RunSettings, run
from closegate.session import open_session
from tests.fakes import ATTESTED_CLEAN, WithBackup, keep_only_the_callers_service_principal

ATTESTED = ATTESTED_CLEAN


def _no_sleep(seconds: float) -> None:
    return None


def emulator_flags(emu: Emulator, which: str = "readonly") -> dict[str, str]:
    table = tomllib.loads(emu.config_path.read_text("utf-8"))["emulator"]
    return {"client_id": table[f"{which}_client_id"], "client_secret": table[f"{which}_client_secret"]}


B2C_READ = frozenset({"IdentityUserFlow.Read.All", "IdentityProvider.Read.All", "TrustFrameworkKeySet.Read.All"})


def consent(emu: Emulator, app: Any, granted: frozenset[str]) -> None:
    """What an administrator's consent does: the app's next token carries these application permissions."""
    object.__setattr__(app, "roles", frozenset(granted))


def audit(emu: Emulator, *, backup: bool | None = True, attest: bool = True, flags: dict[str, str] | None = None,
          **settings: Any) -> RunRecord:
    session = open_session(emu.config_path, flags=flags, sleep=_no_sleep)
    tenant, stats, tenant_id, cloud = (session.reader(), session.stats, session.settings.tenant_id,
                                       session.settings.cloud.name)
    now = emu.state.clock.now()
    if backup is not None:
        known = Backup(now - timedelta(hours=1), "backup/", 10, 1000, True, timedelta(days=7)) if backup else None
        tenant = WithBackup(tenant, known)  # type: ignore[assignment]
    attestations = tuple(Attestation(i, "looked in the portal: none", "Dana (GA)", now - timedelta(minutes=5))
                         for i in ATTESTED) if attest else ()
    return run(tenant, catalog(), RunSettings(tenant_id=tenant_id, cloud=cloud, request_stats=stats.snapshot,
                                              attestations=attestations, clock=lambda: now, **settings))


@pytest.fixture
def start(emulator_factory: Callable[..., Emulator]) -> Iterator[Callable[..., Emulator]]:
    def begin(builder: ScenarioBuilder, app: str = "read_write") -> Emulator:
        emu = emulator_factory(scenario=builder)
        keep_only_the_callers_service_principal(emu, getattr(emu.apps, app).client_id)
        return emu

    yield begin


def test_a_clean_tenant_passes_every_check_and_is_ready_once_attested_and_backed_up(start) -> None:  # type: ignore[no-untyped-def]
    record = audit(start(ScenarioBuilder("Fabrikam")))
    assert {r.check_id: r.status for r in record.results if r.status not in (Status.PASS, Status.NOT_APPLICABLE)} == {}
    assert record.verdict is Verdict.READY
    assert record.request_stats["totals"]["requests"] > 0


def test_without_attestations_or_backup_the_clean_tenant_is_not_ready(start) -> None:  # type: ignore[no-untyped-def]
    # The emulator's closegate.toml configures [backup] dir, where no backup has been taken yet.
    record = audit(start(ScenarioBuilder("Fabrikam")), backup=None, attest=False)
    assert record.result("CG-002").status is Status.FAIL
    assert record.result("CG-002").message == "no backup has been taken"
    assert {r.check_id for r in record.results if r.status is Status.ATTEST} == set(ATTESTED)
    assert record.verdict is Verdict.NOT_READY


def name_closing_admin(emu: Emulator, upn: str) -> None:
    """What an administrator does in closegate.toml: name another account in [tenant] closing_admin."""
    text = emu.config_path.read_text("utf-8")
    named = re.sub(r'(?m)^closing_admin = ".*"$', f'closing_admin = "{upn}"', text, count=1)
    assert named != text
    emu.config_path.write_text(named, "utf-8")


def test_an_app_with_several_global_admins_passes_cg001_through_the_configured_closing_admin(start) -> None:  # type: ignore[no-untyped-def]
    emu = start(ScenarioBuilder("Fabrikam").global_admin("eve"))
    record = audit(emu, only={"CG-001", "CG-003"})
    cg001, cg003 = record.result("CG-001"), record.result("CG-003")
    assert cg001 is not None and cg001.status is Status.PASS, cg001
    assert "admin@fabrikam.onmicrosoft.com, the closing admin configured in closegate.toml" in cg001.message
    assert cg003 is not None and cg003.status is Status.FAIL
    assert "1 holders of Global Administrator besides admin@fabrikam.onmicrosoft.com remain" in cg003.message


def _deleted_user(emu: Emulator) -> None:
    with emu.state.lock:
        emu.state.delete_user(emu.state.user_record("bob@fabrikam.onmicrosoft.com"))


FAILING: dict[str, tuple[Callable[[ScenarioBuilder], ScenarioBuilder], str]] = {
    "CG-001": (lambda b: b.global_admin("eve", via="eligible"),
               "eve@fabrikam.onmicrosoft.com, the closing admin configured in closegate.toml, holds no active"),
    "CG-003": (lambda b: b.global_admin("eve", via="group"),
               "1 holders of Global Administrator besides admin@fabrikam.onmicrosoft.com remain"),
    "CG-004": (lambda b: b.user("bob").guest("ext@partner.com"), "2 users besides the closing administrator"),
    "CG-005": (lambda b: b.sync(enabled=True).synced_user("sam"), "directory sync is on (1 users synced"),
    "CG-006": (lambda b: b.subscription("SPE_E3", trial=True), "1 subscriptions are still active (1 trials"),
    "CG-007": (lambda b: b.subscription("SPE_E5", status="Suspended"), "1 subscriptions are not yet deprovisioned"),
    "CG-008": (lambda b: b.ca_policy("Require MFA for all"), "1 enabled Conditional Access policies require MFA"),
    "CG-009": (lambda b: b.application("Payroll"), "1 app registrations remain"),
    "CG-010": (lambda b: b.service_principal("Payroll", "6b1f1d0c-5b71-4c5e-9a0e-1f0f7d0f3a11"),
               "1 enterprise applications remain"),
    "CG-011": (lambda b: b.azure_subscription("Prod"), "1 Azure subscriptions remain (1 active"),
    "CG-012": (lambda b: b.partner(), "partner directory"),
    "CG-016": (lambda b: b.b2c(userFlows=[{"id": "B2C_1_signup", "userFlowType": "signUpOrSignIn"}]),
               "1 user flows"),
    "CG-017": (lambda b: b.user("bob"), "the recycle bin holds 1 users"),
    "CG-018": (lambda b: b.concealed_report_names(), "conceal"),
}


@pytest.mark.parametrize("check_id", sorted(FAILING))
def test_each_check_fails_on_a_tenant_built_to_fail_it(start, check_id: str) -> None:  # type: ignore[no-untyped-def]
    build, expected = FAILING[check_id]
    emu = start(build(ScenarioBuilder("Fabrikam")))
    if check_id == "CG-017":
        _deleted_user(emu)
    if check_id == "CG-016":
        consent(emu, emu.apps.read_write, emu.apps.read_write.roles | B2C_READ)
    if check_id == "CG-001":
        name_closing_admin(emu, "eve@fabrikam.onmicrosoft.com")  # eligible only: never a stand-in
    result = audit(emu, only={check_id}).result(check_id)
    assert result is not None and result.status is Status.FAIL, result
    assert expected in result.message


def test_backup_check_fails_against_the_emulator_when_no_backup_was_taken(start) -> None:  # type: ignore[no-untyped-def]
    result = audit(start(ScenarioBuilder("Fabrikam")), backup=False, only={"CG-002"}).results[0]
    assert result.status is Status.FAIL and result.message == "no backup has been taken"


def test_attest_checks_stay_attest_against_the_emulator_without_an_attestation(start) -> None:  # type: ignore[no-untyped-def]
    record = audit(start(ScenarioBuilder("Fabrikam").mfa_provider("Legacy")), attest=False, only=set(ATTESTED))
    assert [r.status for r in record.results] == [Status.ATTEST] * len(ATTESTED)


def test_every_check_is_error_when_graph_keeps_failing(start) -> None:  # type: ignore[no-untyped-def]
    emu = start(ScenarioBuilder("Fabrikam"))
    session = open_session(emu.config_path, sleep=_no_sleep)
    tenant, stats, tenant_id = session.reader(), session.stats, session.settings.tenant_id
    tenant.read(ORGANIZATION)  # the tenant clock is read before the storm
    emu.operator.set_faults("503=1")
    record = run(tenant, catalog(), RunSettings(tenant_id=tenant_id, request_stats=stats.snapshot))
    not_error = {r.check_id: r.status for r in record.results if r.status is not Status.ERROR}
    assert not_error == {}
    assert record.verdict is Verdict.CANNOT_DETERMINE


@pytest.mark.parametrize(
    ("check_id", "permission"),
    [("CG-008", "Policy.Read.All"), ("CG-009", "Application.Read.All"), ("CG-018", "ReportSettings.Read.All"),
     ("CG-004", "User.Read.All"), ("CG-006", "Organization.Read.All")],
)
def test_the_read_only_app_missing_a_permission_is_error_naming_it(start, check_id: str, permission: str) -> None:  # type: ignore[no-untyped-def]
    emu = start(ScenarioBuilder("Fabrikam"), app="read_only")
    app = emu.apps.read_only
    # The consent an administrator withdrew: the token's roles claim no longer carries it (nor Directory.*).
    consent(emu, app, frozenset(r for r in app.roles if r != permission and not r.startswith("Directory.")))
    result = audit(emu, flags=emulator_flags(emu), only={check_id}).results[0]
    assert result.status is Status.ERROR
    assert permission in result.error["cause"] and "admin consent" in result.error["fix"]


def test_b2c_check_passes_on_an_emptied_b2c_tenant(start) -> None:  # type: ignore[no-untyped-def]
    emu = start(ScenarioBuilder("Fabrikam").b2c())
    consent(emu, emu.apps.read_write, emu.apps.read_write.roles | B2C_READ)
    assert audit(emu, only={"CG-016"}).results[0].status is Status.PASS


def test_b2c_check_is_error_without_the_b2c_permissions(start) -> None:  # type: ignore[no-untyped-def]
    result = audit(start(ScenarioBuilder("Fabrikam").b2c()), only={"CG-016"}).results[0]
    assert result.status is Status.ERROR and result.error["kind"] == "PermissionDenied"


def test_a_turn_off_in_progress_shows_when_it_completes(start) -> None:  # type: ignore[no-untyped-def]
    emu = start(ScenarioBuilder("Fabrikam").sync(enabled=True).synced_user("sam"))
    with emu.state.lock:
        emu.state.organization.sync_enabled = False
        emu.state.organization.sync_off_requested_at = emu.state.clock.now()
    record = audit(emu, only={"CG-005"})
    result = record.results[0]
    assert result.status is Status.FAIL and result.blocked_until is not None
    assert record.earliest_closure.reason.startswith(f"blocked until {result.blocked_until:%Y-%m-%d} because")


def test_read_only_app_audits_a_clean_tenant(start) -> None:  # type: ignore[no-untyped-def]
    emu = start(ScenarioBuilder("Fabrikam"), app="read_only")
    record = audit(emu, flags=emulator_flags(emu))
    assert record.verdict is Verdict.READY, [(r.check_id, r.message) for r in record.results if r.status is not Status.PASS]
    assert record.tenant.name == "Fabrikam" and record.caller["app_id"] == emu.apps.read_only.client_id
