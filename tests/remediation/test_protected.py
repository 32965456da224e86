"""Property: over random tenants, neither the plan nor its application touches the closing Global
Administrator or the caller (closegate's own app and service principal)."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closegate.emulator.builder import ScenarioBuilder
from closegate.facts import CALLER, GLOBAL_ADMINISTRATOR
from closegate.remediation.executor import ExecutionOptions
from closegate.remediation.workflow import apply_plan

_names = itertools.count()


@st.composite
def tenants(draw: st.DrawFn) -> tuple[ScenarioBuilder, bool]:
    b = ScenarioBuilder(f"Prop{next(_names)}")
    b.users(draw(st.integers(0, 6)), guests=draw(st.integers(0, 2)), synced=draw(st.integers(0, 2)),
            seed=draw(st.integers(1, 99)))
    if draw(st.booleans()):  # the closing admin also holds the role through a group, with others
        b.global_admin(b.admin_upn, via="group", group="Tenant Admins")
    for n, via in enumerate(draw(st.lists(st.sampled_from(["direct", "group", "eligible"]), max_size=3))):
        b.global_admin(f"ga{n}", via=via)
    if draw(st.booleans()):
        b.sync(enabled=True)
    if draw(st.booleans()):
        b.ca_policy("MFA everywhere")
    b.application("Line of business")
    name_the_admin = draw(st.booleans())
    return b, name_the_admin


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(case=tenants())
def test_closing_admin_and_caller_are_never_touched(planned, case) -> None:  # noqa: ANN001
    builder, name_the_admin = case
    p = planned(builder, name_admin=name_the_admin)
    state = p.emu.state
    admin = state.user_record(builder.admin_upn)
    caller = p.session.reader().read(CALLER)
    touched = {x for i in p.plan.items for t in i.targets for x in (t.object_id, t.principal_id)}
    assert admin.id not in touched and caller.object_id not in touched
    before_mfa = admin.per_user_mfa
    sp = state.service_principals[caller.object_id]
    apply_plan(p.path, p.session, confirm=p.plan.primary_domain, options=ExecutionOptions(purge=True))
    assert admin.deleted_at is None
    assert GLOBAL_ADMINISTRATOR in state.active_role_template_ids(admin.id)
    assert admin.per_user_mfa == before_mfa
    assert sp.deleted_at is None and sp.account_enabled
    assert GLOBAL_ADMINISTRATOR in state.active_role_template_ids(caller.object_id) or not any(
        ra.principal_id == caller.object_id for ra in state.role_assignments.values())

