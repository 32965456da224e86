from __future__ import annotations

from dataclasses import replace

import pytest

from closegate.checks.caller_can_close_tenant import caller_can_close_tenant
from closegate.errors import PermissionDenied
from closegate.facts import BILLING_ADMINISTRATOR, CALLER, GLOBAL_ADMINISTRATOR, Eligibilities, NotLicensed
from closegate.models import Status
from tests.fakes import ADMIN, FakeTenant, admin_assignment, run_check, user

READY = FakeTenant.ready()


def test_passes_for_a_global_administrator() -> None:
    assert caller_can_close_tenant(READY).status is Status.PASS


def test_passes_for_an_app_when_one_global_administrator_user_will_delete() -> None:
    app = replace(READY.value(CALLER), kind="app", object_id="sp", user_principal_name=None, display_name="closegate",
                  role_template_ids=frozenset())
    outcome = caller_can_close_tenant(READY.with_(caller=app))
    assert outcome.status is Status.PASS
    assert outcome.evidence["closing_admin"] == ADMIN.user_principal_name


def test_fails_for_an_app_when_no_single_global_administrator_user_exists() -> None:
    app = replace(READY.value(CALLER), kind="app", object_id="sp", user_principal_name=None, display_name="closegate")
    bob = user("bob@contoso.com")
    tenant = READY.with_(caller=app, users=(ADMIN, bob), global_admins=(admin_assignment(ADMIN), admin_assignment(bob)))
    outcome = caller_can_close_tenant(tenant)
    assert outcome.status is Status.FAIL and "2 users hold Global Administrator" in outcome.message


APP = replace(READY.value(CALLER), kind="app", object_id="sp", user_principal_name=None, display_name="closegate",
              role_template_ids=frozenset())
BOB = user("bob@contoso.com")
TWO_ADMINS = READY.with_(caller=APP, users=(ADMIN, BOB), global_admins=(admin_assignment(ADMIN), admin_assignment(BOB)))


def test_passes_for_an_app_when_the_configured_closing_admin_holds_global_administrator() -> None:
    outcome = caller_can_close_tenant(TWO_ADMINS.with_(configured_admin="BOB@contoso.com"))
    assert outcome.status is Status.PASS
    assert outcome.message == ("the app closegate audits and remediates but cannot delete a tenant; bob@contoso.com, "
                               "the closing admin configured in closegate.toml and an active Global Administrator, "
                               "deletes it in the Entra admin center")
    assert outcome.evidence["closing_admin"] == BOB.user_principal_name


def test_passes_for_an_app_when_the_configured_admin_holds_the_role_through_a_group() -> None:
    through = (admin_assignment(ADMIN), admin_assignment(BOB, via_group_id="g1"),
               admin_assignment(BOB, principal_type="group", principal_id="g1"))
    tenant = TWO_ADMINS.with_(global_admins=through, configured_admin=BOB.user_principal_name)
    assert caller_can_close_tenant(tenant).status is Status.PASS


@pytest.mark.parametrize(
    ("bobs_eligibilities", "expected"),
    [
        ((), "holds no active Global Administrator assignment (1 users do)"),
        ((admin_assignment(BOB, kind="eligible"),), "holds no active Global Administrator assignment (1 users do)"),
    ],
    ids=["no-role", "only-eligible"],
)
def test_fails_for_an_app_when_the_configured_admin_is_not_an_active_global_administrator(
        bobs_eligibilities: tuple, expected: str) -> None:
    tenant = TWO_ADMINS.with_(global_admins=(admin_assignment(ADMIN),),
                              global_admin_eligibilities=Eligibilities(bobs_eligibilities),
                              configured_admin=BOB.user_principal_name)
    outcome = caller_can_close_tenant(tenant)
    assert outcome.status is Status.FAIL
    assert outcome.message == ("the app closegate cannot delete a tenant and bob@contoso.com, the closing admin "
                               f"configured in closegate.toml, {expected}")
    assert outcome.evidence["closing_admin"] is None  # never another Global Administrator in its place


def test_fails_for_an_app_when_the_configured_admin_is_not_a_user_of_the_tenant() -> None:
    outcome = caller_can_close_tenant(TWO_ADMINS.with_(configured_admin="nobody@contoso.com"))
    assert outcome.status is Status.FAIL and "is not one of the 2 users of this tenant" in outcome.message


def test_fails_for_an_app_when_the_configured_admin_is_a_guest() -> None:
    guest = user("dana_fabrikam.com#EXT#@contoso.onmicrosoft.com", user_type="Guest")
    tenant = READY.with_(caller=APP, users=(ADMIN, guest), global_admins=(admin_assignment(ADMIN), admin_assignment(guest)),
                     configured_admin=guest.user_principal_name)
    outcome = caller_can_close_tenant(tenant)
    assert outcome.status is Status.FAIL and "is a guest" in outcome.message


def test_a_signed_in_user_is_the_closing_admin_whatever_is_configured() -> None:
    outcome = caller_can_close_tenant(READY.with_(configured_admin="nobody@contoso.com"))
    assert outcome.status is Status.PASS


def test_fails_for_a_billing_administrator_and_says_it_covers_only_subscriptions() -> None:
    tenant = READY.with_(caller=replace(READY.value(CALLER), role_template_ids=frozenset({BILLING_ADMINISTRATOR})))
    outcome = caller_can_close_tenant(tenant)
    assert outcome.status is Status.FAIL
    assert "Billing Administrator" in outcome.message and "subscriptions" in outcome.message
    assert outcome.evidence["is_billing_admin"] is True


def test_fails_without_any_admin_role() -> None:
    tenant = READY.with_(caller=replace(READY.value(CALLER), role_template_ids=frozenset()))
    assert caller_can_close_tenant(tenant).status is Status.FAIL


def test_errors_when_the_caller_cannot_be_identified() -> None:
    denied = PermissionDenied("Graph refused roleAssignments", "grant RoleManagement.Read.Directory")
    result = run_check(caller_can_close_tenant, READY.with_(failing={"caller": denied}))
    assert result.status is Status.ERROR
    assert "roleAssignments" in result.error["cause"]


def test_errors_in_preflight_without_role_management_permission() -> None:
    tenant = READY.with_(caller=replace(READY.value(CALLER), permissions=frozenset({"User.Read.All"})))
    result = run_check(caller_can_close_tenant, tenant)
    assert result.status is Status.ERROR
    assert "RoleManagement.Read.Directory" in result.error["cause"]
    assert GLOBAL_ADMINISTRATOR not in result.message


NO_P2 = NotLicensed("PIM eligible assignments", "Microsoft Entra ID P2", 400, "AadPremiumLicenseRequired",
                    "no eligible assignments are possible: the tenant has no P2 licence")


def test_an_app_finds_the_only_global_administrator_of_a_tenant_without_p2() -> None:
    # Without P2 Graph refuses the eligibility read; the tenant holds no eligible assignment, so the one
    # active holder is the closing admin (the small-business scenario).
    tenant = READY.with_(caller=APP, global_admin_eligibilities=Eligibilities((), NO_P2))
    outcome = caller_can_close_tenant(tenant)
    assert outcome.status is Status.PASS and outcome.evidence["closing_admin"] == ADMIN.user_principal_name


def test_an_unnamed_closing_admin_is_error_when_the_eligible_holders_cannot_be_read() -> None:
    denied = PermissionDenied("Graph refused the eligibility read", "grant RoleEligibilitySchedule.Read.Directory")
    result = run_check(caller_can_close_tenant, READY.with_(caller=APP, failing={"global_admin_eligibilities": denied}))
    assert result.status is Status.ERROR and "eligibility" in result.error["cause"]


def test_a_named_closing_admin_needs_no_eligibility_read() -> None:
    denied = PermissionDenied("Graph refused the eligibility read", "grant RoleEligibilitySchedule.Read.Directory")
    tenant = TWO_ADMINS.with_(configured_admin=BOB.user_principal_name, failing={"global_admin_eligibilities": denied})
    assert run_check(caller_can_close_tenant, tenant).status is Status.PASS
