"""CG-018's fix: planning and applying `reveal_report_names` turns concealed usage-report names off."""

from __future__ import annotations

from closegate.emulator.builder import ScenarioBuilder
from closegate.models import Status, Step
from closegate.registry import catalog
from closegate.remediation.executor import ExecutionOptions
from closegate.remediation.outcomes import Outcome
from closegate.remediation.workflow import apply_plan
from closegate.runner import RunSettings, run


def test_applying_reveal_report_names_turns_cg018_to_pass(planned) -> None:  # noqa: ANN001
    p = planned(ScenarioBuilder("Tailspin").users(3, seed=2).concealed_report_names())
    item = p.plan.item("reveal_report_names")
    assert item is not None and [t.object_id for t in item.targets] == ["adminReportSettings"]

    reports = apply_plan(p.path, p.session, confirm=p.plan.primary_domain,
                         options=ExecutionOptions(step=int(Step.BACKUP)))

    assert {r.action_id: r for r in reports}["reveal_report_names"].outcomes == {Outcome.APPLIED: 1}
    assert p.emu.state.display_concealed_names is False
    patches = [e for e in p.emu.operator.request_log() if e["method"] == "PATCH"]
    assert [e["path"] for e in patches] == ["/v1.0/admin/reportSettings"]
    record = run(p.session.reader(), catalog(), RunSettings(tenant_id=p.session.settings.tenant_id))
    assert record.result("CG-018").status is Status.PASS


def test_reveal_report_names_plans_nothing_when_names_are_shown(planned) -> None:  # noqa: ANN001
    item = planned(ScenarioBuilder("Tailspin").users(3, seed=2)).plan.item("reveal_report_names")
    assert item is None or not item.targets
