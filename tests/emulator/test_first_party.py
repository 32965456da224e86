"""Microsoft's own service principals as a real tenant holds them, and the portal lockout they can cause."""

from __future__ import annotations

from collections import Counter

import pytest

from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.first_party import AME_TENANT, PROTECTED_APP_IDS
from closegate.emulator.first_party_catalog import MICROSOFT_CORP_TENANT, MICROSOFT_SERVICES_TENANT, PUBLISHED
from closegate.emulator.graph import GraphService, Limits
from closegate.emulator.operator import OperatorError
from closegate.emulator.portal import PORTALS, sign_in
from closegate.emulator.scenarios import load_scenario
from closegate.emulator.state import Refused
from tests.emulator.graph_helpers import app_principal, body, call

AZURE_PORTAL = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"


def _tenant():
    state = load_scenario(ScenarioBuilder("Tailspin").first_party(seed=3))
    return state, GraphService(state, Limits.off()), app_principal(state.tenant_id)


def _sp(state, app_id):
    return next(sp for sp in state.service_principals.values() if sp.app_id == app_id)


def test_hundreds_of_first_party_principals_under_microsofts_owner_tenants_with_published_names():
    state, svc, p = _tenant()
    listed, url = [], "/v1.0/servicePrincipals?$top=999"
    while url:
        page = body(call(svc, p, "GET", url))
        listed += page["value"]
        url = page.get("@odata.nextLink")
    assert len(listed) >= 400
    owners = Counter(sp["appOwnerOrganizationId"] for sp in listed)
    assert {MICROSOFT_SERVICES_TENANT, MICROSOFT_CORP_TENANT, AME_TENANT} <= set(owners)
    by_app = {sp["appId"]: sp["displayName"] for sp in listed}
    assert all(by_app[app_id] == name for app_id, name in PUBLISHED if app_id in by_app)
    assert by_app[AZURE_PORTAL] == "Azure Portal"
    types = Counter(sp["servicePrincipalType"] for sp in listed)
    assert types["Legacy"] == 3 and types["SocialIdp"] == 2


def test_some_delete_some_refuse_and_some_delete_only_after_others_are_gone():
    state, svc, p = _tenant()
    live = lambda: [sp for sp in state.service_principals.values() if sp.deleted_at is None]  # noqa: E731
    passes = []
    while True:
        deleted = [sp.id for sp in live() if call(svc, p, "DELETE", f"/v1.0/servicePrincipals/{sp.id}").status == 204]
        if not deleted:
            break
        passes.append(len(deleted))
    assert len(passes) >= 2  # §12.4: delete "multiple times" because of dependencies
    remaining = live()
    assert remaining and all(not sp.deletable for sp in remaining)
    assert {AZURE_PORTAL} <= {sp.app_id for sp in remaining}
    refused = call(svc, p, "DELETE", f"/v1.0/servicePrincipals/{_sp(state, AZURE_PORTAL).id}")
    assert refused.status == 403 and body(refused)["error"]["code"] == "Authorization_RequestDenied"


def test_a_few_refusing_principals_block_the_tenant_delete_until_disabled():
    state, svc, p = _tenant()
    blocking = [sp for sp in state.service_principals.values() if sp.blocks_deletion_while_enabled]
    assert blocking and not any(sp.app_id in PROTECTED_APP_IDS for sp in blocking)
    assert any("must be disabled" in b for b in state.deletion_blockers())
    for sp in blocking:
        assert call(svc, p, "PATCH", f"/v1.0/servicePrincipals/{sp.id}", {"accountEnabled": False}).status == 204
    assert not any("must be disabled" in b for b in state.deletion_blockers())


@pytest.mark.parametrize("portal", sorted(PORTALS))
def test_disabling_a_portals_app_locks_the_closing_admin_out_of_it(portal):
    state, svc, p = _tenant()
    admin = state.closing_admin_upn
    assert sign_in(state, admin, portal).user_principal_name == admin
    app_id, name = PORTALS[portal].apps[-1]
    call(svc, p, "PATCH", f"/v1.0/servicePrincipals/{_sp(state, app_id).id}", {"accountEnabled": False})
    with pytest.raises(Refused, match=rf"AADSTS7000112: Application '{app_id}'\({name}\) is disabled"):
        sign_in(state, admin, portal)


def test_a_closing_admin_without_an_mfa_method_cannot_reach_the_portals():
    state = load_scenario(ScenarioBuilder().user("bob", methods=["email"]).global_admin("bob"))
    with pytest.raises(Refused, match="AADSTS50079"):
        sign_in(state, "bob@fabrikam.onmicrosoft.com")
    with pytest.raises(Refused, match="AADSTS50034"):
        sign_in(state, "nobody@fabrikam.onmicrosoft.com")


def test_the_portal_delete_as_the_closing_admin_fails_after_a_lockout(emulator_factory):
    emu = emulator_factory(ScenarioBuilder().first_party(seed=5))
    admin = emu.state.closing_admin_upn
    assert emu.operator.portal_sign_in(admin, "entra")["signed_in"] is True
    _sp(emu.state, AZURE_PORTAL).account_enabled = False
    with pytest.raises(OperatorError) as locked:
        emu.operator.portal_sign_in(admin, "azure")
    assert locked.value.status == 409 and "AADSTS7000112" in str(locked.value)
    with pytest.raises(OperatorError) as refused:
        emu.operator.delete_tenant(as_user=admin, force=True)
    assert "AADSTS7000112" in str(refused.value) and not emu.state.deleted


def test_the_portal_delete_needs_a_global_administrator(emulator_factory):
    emu = emulator_factory(ScenarioBuilder().user("ann", methods=["microsoftAuthenticatorPush"]))
    with pytest.raises(OperatorError) as refused:
        emu.operator.delete_tenant(as_user="ann@fabrikam.onmicrosoft.com", force=True)
    assert "not an active Global Administrator" in str(refused.value)
    emu.operator.delete_tenant(as_user=emu.state.closing_admin_upn, force=True)
    assert emu.state.deleted


def test_emulator_can_add_the_population_to_any_scenario(emulator_factory):
    emu = emulator_factory("ready", first_party="realistic")
    assert len(emu.state.service_principals) >= 400
    graph = _sp(emu.state, "00000003-0000-0000-c000-000000000000")
    assert graph.account_enabled is False  # the scenario's own entry wins over the population
