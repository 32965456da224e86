from __future__ import annotations

from dataclasses import replace

from closegate.checks.no_other_users import no_other_users
from closegate.errors import TransportError
from closegate.facts import CALLER
from closegate.models import Status
from tests.fakes import ADMIN, FakeTenant, admin_assignment, run_check, user

READY = FakeTenant.ready()


def test_passes_with_only_the_closing_admin() -> None:
    assert no_other_users(READY).status is Status.PASS


def test_fails_and_counts_users_by_kind() -> None:
    others = (user("a@contoso.com"), user("b@contoso.com", user_type="Guest"),
              user("c@contoso.com", account_enabled=False), user("d@contoso.com", on_premises_sync_enabled=True))
    outcome = no_other_users(READY.with_(users=(ADMIN, *others)))
    assert outcome.status is Status.FAIL
    assert outcome.message == ("4 users besides the closing administrator remain (3 members, 1 guests, 1 disabled, "
                               "1 synced from on-premises)")
    assert len(outcome.evidence["users"]) == 4


APP = replace(READY.value(CALLER), kind="app", object_id="sp", user_principal_name=None, display_name="closegate")
BOB = user("bob@contoso.com")


def test_app_caller_keeps_the_configured_closing_admin_among_several_global_administrators() -> None:
    tenant = READY.with_(caller=APP, users=(ADMIN, BOB), global_admins=(admin_assignment(ADMIN), admin_assignment(BOB)),
                     configured_admin=BOB.user_principal_name)
    outcome = no_other_users(tenant)
    assert outcome.status is Status.FAIL and outcome.evidence["closing_admin"] == BOB.user_principal_name
    assert outcome.message.startswith("1 users besides the closing administrator remain")
    assert [u["user_principal_name"] for u in outcome.evidence["users"]] == [ADMIN.user_principal_name]


def test_app_caller_whose_configured_admin_is_not_a_global_administrator_keeps_nobody_and_says_why() -> None:
    tenant = READY.with_(caller=APP, users=(ADMIN, BOB), configured_admin=BOB.user_principal_name)
    outcome = no_other_users(tenant)
    assert outcome.status is Status.FAIL
    assert outcome.message == ("2 users remain (2 members, 0 guests, 0 disabled, 0 synced from on-premises) and none "
                               "is the closing administrator: bob@contoso.com, the closing admin configured in "
                               "closegate.toml, holds no active Global Administrator assignment (1 users do)")


def test_app_caller_with_a_configured_guest_admin_keeps_the_guest() -> None:
    guest = user("dana_fabrikam.com#EXT#@contoso.onmicrosoft.com", user_type="Guest")
    tenant = READY.with_(caller=APP, users=(guest,), global_admins=(admin_assignment(guest),),
                     configured_admin=guest.user_principal_name)
    assert no_other_users(tenant).status is Status.PASS  # CG-001 and CG-003 fail it for being a guest


def test_app_caller_without_a_configured_admin_needs_a_single_global_administrator() -> None:
    tenant = READY.with_(caller=APP, users=(ADMIN, BOB), global_admins=(admin_assignment(ADMIN), admin_assignment(BOB)))
    outcome = no_other_users(tenant)
    assert outcome.status is Status.FAIL and outcome.evidence["closing_admin"] is None
    assert outcome.message.startswith("2 users and no closing administrator is known remain")


def test_errors_on_a_reset_connection() -> None:
    result = run_check(no_other_users, READY.with_(failing={"users": TransportError("connection reset")}))
    assert result.status is Status.ERROR and result.error["cause"] == "connection reset"
