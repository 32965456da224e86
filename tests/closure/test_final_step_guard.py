"""The final step is guarded like any plan: its clean-up never touches closegate's own app or the closing
administrator, and its last call deletes closegate's own registration and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from closegate.facts import APPLICATIONS, CALLER, ORGANIZATION, SERVICE_PRINCIPALS, TenantReader
from closegate.models import Status, Step
from closegate.remediation.actions import EffectName, Kind, Reversibility, Target, action_catalog
from closegate.remediation.executor import ExecutionOptions, Executor
from closegate.remediation.guard import PROTECTED, RELEASE_ACTION, LiveGuard, OwnRegistrationGuard
from closegate.remediation.journal import Journal
from closegate.remediation.outcomes import Hold
from closegate.remediation.plan import Plan, PlanItem, resolve_scope
from closegate.session import open_session
from tests.closure.conftest import GRAPH_APP_ID, ReadyTenant, writes


def _plan(reader: TenantReader, item: PlanItem) -> Plan:
    org = reader.read(ORGANIZATION)
    return Plan(org.id, org.primary_domain, "run", datetime.now(UTC), 15, resolve_scope(reader), (item,))


def _item(action_id: str, effect: EffectName, targets: tuple[Target, ...], *, requires: tuple[str, ...] = (),
          step: Step = Step.DELETE_DIRECTORY, opt_in: str = "") -> PlanItem:
    return PlanItem(action_id=action_id, title=action_id, fixes="CG-010", fix_status=Status.FAIL, kind=Kind.AUTOMATED,
                    step=step, reversibility=Reversibility.REVERSIBLE, point_of_no_return=False, requires=requires,
                    permissions=(), effect=effect, opt_in=opt_in, undo="", portal_steps=(), portal_link="",
                    targets=targets)


def _run(tenant: ReadyTenant, tmp_path: Path, item: PlanItem, guard: Any) -> Any:
    session = open_session(tenant.config)
    tenant.emu.operator.clear_request_log()
    with Journal(tmp_path / "closure-journal.jsonl") as journal:
        (report,) = Executor(_plan(session.reader(), item), session.graph, None, journal,
                             requirements=lambda ids: dict.fromkeys(ids, Status.PASS), guard=guard,
                             options=ExecutionOptions(purge=True)).run()
    return report


def test_the_clean_up_never_disables_closegates_own_service_principal(shared_ready_tenant: ReadyTenant,
                                                                      tmp_path: Path) -> None:
    session = open_session(shared_ready_tenant.config)
    reader = session.reader()
    own = next(sp for sp in reader.read(SERVICE_PRINCIPALS) if sp.app_id == reader.read(CALLER).app_id)
    spec = next(a for a in action_catalog() if a.id == "disable_undeletable_service_principals")
    item = _item(spec.id, EffectName.DISABLE_SERVICE_PRINCIPAL,
                 (Target(own.id, own.display_name, {"app_id": own.app_id, "display_name": own.display_name}),),
                 requires=spec.requires, step=spec.step)
    report = _run(shared_ready_tenant, tmp_path, item, LiveGuard.resolve(session.reader, None))
    assert report.refused == 1 and report.reasons[PROTECTED] == 1
    assert writes(shared_ready_tenant.emu) == []
    assert shared_ready_tenant.emu.state.service_principals[own.id].account_enabled


def test_the_last_call_deletes_closegates_own_registration_and_nothing_else(shared_ready_tenant: ReadyTenant,
                                                                            tmp_path: Path) -> None:
    session = open_session(shared_ready_tenant.config)
    reader = session.reader()
    caller = reader.read(CALLER)
    assert not [a for a in reader.read(APPLICATIONS) if a.app_id == caller.app_id]  # registered in its home tenant
    own = {sp.id for sp in reader.read(SERVICE_PRINCIPALS) if sp.app_id == caller.app_id}
    other = next(sp for sp in reader.read(SERVICE_PRINCIPALS) if sp.app_id == GRAPH_APP_ID)
    guard = OwnRegistrationGuard(session.reader, LiveGuard.resolve(session.reader, None).closing_admin_id)
    # Another principal under the release's name: not closegate's registration, so not in the guard's fresh plan.
    aimed = _item(RELEASE_ACTION, EffectName.DELETE_SERVICE_PRINCIPAL,
                  (Target(other.id, other.display_name, {"app_id": other.app_id, "display_name": other.display_name}),))
    assert set(guard.planned(aimed)) == own
    report = _run(shared_ready_tenant, tmp_path, aimed, guard)
    assert report.refused == 1 and any("not in a fresh plan" in why for why in report.reasons)
    # Any other action passed off as the release is not even considered.
    purge = _item("purge_recycle_bin", EffectName.PURGE_DELETED_ITEM, (Target(other.id, other.display_name),))
    assert guard.authority(purge).refused
    assert _run(shared_ready_tenant, tmp_path / "2", purge, guard).hold is Hold.REFUSED
    assert writes(shared_ready_tenant.emu) == []
    assert shared_ready_tenant.emu.state.service_principals[other.id].deleted_at is None
