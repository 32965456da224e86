"""Multitenant organization: membership, who may remove whom, and leaving taking two hours on the
simulated clock (graph-facts §12.7)."""

from __future__ import annotations

from datetime import timedelta

from graph_helpers import app_principal, body, call, user_principal

from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.graph import GraphService, Limits
from closegate.emulator.records_compliance import MTO_LEAVE
from closegate.emulator.scenarios import load_scenario

MTO = "/v1.0/tenantRelationships/multiTenantOrganization"
WRITE = frozenset({"MultiTenantOrganization.ReadWrite.All"})
OWNER = "9b8e6a4c-2d1f-4c3b-a5e7-1f0d2c3b4a59"
OTHER = "4f2d8c1b-7e6a-4b5d-9c3e-2a1b0f9e8d7c"
SECOND_OWNER = "0c4d2e1f-3a5b-4c6d-8e7f-9a0b1c2d3e4f"


def _tenant(role: str = "member", *others: tuple[str, str, str]):  # noqa: ANN202
    b = ScenarioBuilder(now="2025-03-01T09:00:00Z").multitenant_org(
        role=role, tenants=others or ((OWNER, "Contoso Holdings", "owner"), (OTHER, "Contoso Europe", "member")))
    state = load_scenario(b)
    return state, GraphService(state, Limits.off()), app_principal(state.tenant_id, roles=WRITE)


def _states(svc, app):  # noqa: ANN001, ANN202
    return {t["tenantId"]: t["state"] for t in body(call(svc, app, "GET", f"{MTO}/tenants"))["value"]}


def test_the_demo_tenant_is_a_member_of_an_active_multitenant_organization():
    state = load_scenario("demo")
    svc, app = GraphService(state, Limits.off()), app_principal(state.tenant_id, roles=WRITE)
    org = body(call(svc, app, "GET", MTO))
    assert (org["displayName"], org["state"]) == ("Contoso Group", "active")
    tenants = {t["tenantId"]: t["role"] for t in body(call(svc, app, "GET", f"{MTO}/tenants"))["value"]}
    assert tenants == {state.tenant_id: "member", OWNER: "owner", OTHER: "member"}


def test_a_member_leaving_is_in_progress_for_two_hours_then_the_organization_is_gone():
    state, svc, app = _tenant()
    assert call(svc, app, "DELETE", f"{MTO}/tenants/{state.tenant_id}").status == 204
    own = body(call(svc, app, "GET", f"{MTO}/tenants/{state.tenant_id}"))
    assert own["state"] == "removed"
    assert own["transitionDetails"] == {"desiredRole": "member", "desiredState": "removed", "status": "running",
                                        "details": None}
    state.clock.advance(MTO_LEAVE - timedelta(minutes=1))
    assert body(call(svc, app, "GET", MTO))["state"] == "active"
    assert _states(svc, app)[state.tenant_id] == "removed"
    state.clock.advance(timedelta(minutes=1))
    assert body(call(svc, app, "GET", MTO))["state"] == "inactive"
    assert body(call(svc, app, "GET", f"{MTO}/tenants"))["value"] == []
    assert call(svc, app, "GET", f"{MTO}/tenants/{state.tenant_id}").status == 404


def test_a_member_tenant_cannot_remove_another_tenant():
    state, svc, app = _tenant()
    resp = call(svc, app, "DELETE", f"{MTO}/tenants/{OTHER}")
    assert resp.status == 400 and _states(svc, app)[OTHER] == "active"


def test_an_owner_removes_another_tenant_which_is_gone_two_hours_later():
    state, svc, app = _tenant("owner", (OTHER, "Contoso Europe", "member"))
    assert call(svc, app, "DELETE", f"{MTO}/tenants/{OTHER}").status == 204
    assert _states(svc, app)[OTHER] == "removed"
    state.clock.advance(MTO_LEAVE)
    assert _states(svc, app) == {state.tenant_id: "active"}


def test_the_last_owner_cannot_leave_while_other_tenants_remain():
    state, svc, app = _tenant("owner", (OTHER, "Contoso Europe", "member"))
    assert call(svc, app, "DELETE", f"{MTO}/tenants/{state.tenant_id}").status == 400


def test_an_owner_can_leave_while_another_owner_remains():
    state, svc, app = _tenant("owner", (SECOND_OWNER, "Contoso Holdings", "owner"), (OTHER, "Contoso Europe", "member"))
    assert call(svc, app, "DELETE", f"{MTO}/tenants/{state.tenant_id}").status == 204
    state.clock.advance(MTO_LEAVE)
    assert body(call(svc, app, "GET", MTO))["state"] == "inactive"


def test_the_only_tenant_leaving_deletes_the_organization():
    state, svc, app = _tenant("owner", (OTHER, "Contoso Europe", "member"))
    call(svc, app, "DELETE", f"{MTO}/tenants/{OTHER}")
    state.clock.advance(MTO_LEAVE)
    assert call(svc, app, "DELETE", f"{MTO}/tenants/{state.tenant_id}").status == 204
    state.clock.advance(MTO_LEAVE)
    assert body(call(svc, app, "GET", MTO))["state"] == "inactive"


def test_a_tenant_outside_any_multitenant_organization_reads_inactive():
    state = load_scenario(ScenarioBuilder())
    svc, app = GraphService(state, Limits.off()), app_principal(state.tenant_id, roles=WRITE)
    assert body(call(svc, app, "GET", MTO))["state"] == "inactive"
    assert body(call(svc, app, "GET", f"{MTO}/tenants"))["value"] == []


def test_read_basic_shows_only_names_and_tenant_ids():
    state, svc, _ = _tenant()
    admin = state.find_user(state.closing_admin_upn)["id"]
    basic = user_principal(state.tenant_id, admin, frozenset({"MultiTenantOrganization.ReadBasic.All"}))
    tenants = body(call(svc, basic, "GET", f"{MTO}/tenants"))["value"]
    assert tenants and all(set(t) == {"displayName", "tenantId"} for t in tenants)


def test_removing_a_tenant_needs_read_write():
    state, svc, _ = _tenant()
    reader = app_principal(state.tenant_id, roles=frozenset({"MultiTenantOrganization.Read.All"}))
    assert call(svc, reader, "GET", f"{MTO}/tenants").status == 200
    assert call(svc, reader, "DELETE", f"{MTO}/tenants/{state.tenant_id}").status == 403
