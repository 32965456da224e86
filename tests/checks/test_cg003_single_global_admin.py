from __future__ import annotations

from dataclasses import replace

import pytest

from closegate.checks.single_global_admin import single_global_admin
from closegate.errors import Throttled
from closegate.facts import CALLER, GLOBAL_ADMINS, Caller, Eligibilities, NotLicensed
from closegate.models import Status
from tests.fakes import ADMIN, FakeTenant, admin_assignment, run_check, user

READY = FakeTenant.ready()
BOB = user("bob@contoso.com")
GUEST = user("guest_ext#EXT#@contoso.onmicrosoft.com", user_type="Guest")


def test_passes_with_only_the_closing_admin() -> None:
    outcome = single_global_admin(READY)
    assert outcome.status is Status.PASS
    assert outcome.evidence["closing_admin"] == ADMIN.user_principal_name


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ((admin_assignment(BOB),), "1 holders"),
        ((admin_assignment(GUEST),), "1 holders"),
        ((admin_assignment(BOB, via_group_id="g1"),
          admin_assignment(BOB, principal_type="group", principal_id="g1")), "1 holders"),
        ((admin_assignment(BOB, principal_type="servicePrincipal", principal_id="sp-other"),), "1 service principals"),
    ],
    ids=["member", "guest", "via-group", "service-principal"],
)
def test_fails_when_another_holder_remains(extra: tuple, expected: str) -> None:
    tenant = READY.with_(users=(ADMIN, BOB, GUEST), global_admins=READY.value(GLOBAL_ADMINS) + extra)
    outcome = single_global_admin(tenant)
    assert outcome.status is Status.FAIL
    assert expected in outcome.message


def test_fails_when_another_user_is_eligible_for_the_role() -> None:
    eligible = Eligibilities((admin_assignment(BOB, kind="eligible"),))
    tenant = READY.with_(users=(ADMIN, BOB), global_admin_eligibilities=eligible)
    outcome = single_global_admin(tenant)
    assert outcome.status is Status.FAIL and "1 PIM-eligible" in outcome.message
    assert outcome.evidence["eligibility"] == "read: 1 PIM-eligible assignments (groups expanded)"


NO_P2 = NotLicensed("PIM eligible assignments", "Microsoft Entra ID P2", 400, "AadPremiumLicenseRequired",
                    "no eligible assignments are possible: the tenant has no P2 licence")


def test_without_p2_the_check_decides_from_the_active_holders_and_says_why_none_is_eligible() -> None:
    tenant = READY.with_(global_admin_eligibilities=Eligibilities((), NO_P2))
    outcome = single_global_admin(tenant)
    assert outcome.status is Status.PASS
    assert "no eligible assignments are possible: the tenant has no P2 licence" in outcome.message
    assert outcome.evidence["eligibility"].startswith(NO_P2.meaning)
    assert "400 AadPremiumLicenseRequired" in outcome.evidence["eligibility"]


def test_without_p2_another_active_global_admin_still_fails() -> None:
    tenant = READY.with_(users=(ADMIN, BOB), global_admins=(admin_assignment(ADMIN), admin_assignment(BOB)),
                         global_admin_eligibilities=Eligibilities((), NO_P2))
    outcome = single_global_admin(tenant)
    assert outcome.status is Status.FAIL and "1 holders of Global Administrator besides" in outcome.message


def test_fails_when_the_only_admin_is_a_guest() -> None:
    guest_admin = replace(ADMIN, user_type="Guest")
    tenant = READY.with_(users=(guest_admin,), global_admins=(admin_assignment(guest_admin),))
    outcome = single_global_admin(tenant)
    assert outcome.status is Status.FAIL and "guest" in outcome.message


def test_app_caller_closing_admin_is_the_single_user_holder_and_own_sp_is_not_counted() -> None:
    app = Caller("app", "sp-closegate", "closegate", None, READY.value(CALLER).app_id, READY.value(CALLER).role_template_ids,
                 READY.value(CALLER).permissions, arm_access=True)
    own = admin_assignment(ADMIN, principal_type="servicePrincipal", principal_id="sp-closegate")
    outcome = single_global_admin(READY.with_(caller=app, global_admins=READY.value(GLOBAL_ADMINS) + (own,)))
    assert outcome.status is Status.PASS
    assert outcome.evidence["closegate_service_principal"][0]["principal_id"] == "sp-closegate"


def test_app_caller_with_two_user_holders_has_no_closing_admin() -> None:
    app = Caller("app", "sp-closegate", "closegate", None, "app", frozenset(), READY.value(CALLER).permissions)
    tenant = READY.with_(caller=app, users=(ADMIN, BOB), global_admins=(admin_assignment(ADMIN), admin_assignment(BOB)))
    outcome = single_global_admin(tenant)
    assert outcome.status is Status.FAIL and "no closing administrator" in outcome.message


APP = Caller("app", "sp-closegate", "closegate", None, "app", frozenset(), READY.value(CALLER).permissions)


def test_app_caller_with_a_configured_closing_admin_counts_the_others() -> None:
    tenant = READY.with_(caller=APP, users=(ADMIN, BOB), global_admins=(admin_assignment(ADMIN), admin_assignment(BOB)),
                     configured_admin=ADMIN.user_principal_name)
    outcome = single_global_admin(tenant)
    assert outcome.status is Status.FAIL
    assert outcome.message.startswith(f"1 holders of Global Administrator besides {ADMIN.user_principal_name} remain")
    assert outcome.evidence["closing_admin_how"] == "configured in closegate.toml"
    alone = READY.with_(caller=APP, configured_admin=ADMIN.user_principal_name)
    assert single_global_admin(alone).status is Status.PASS


def test_app_caller_whose_configured_admin_is_not_a_global_administrator_fails_saying_so() -> None:
    tenant = READY.with_(caller=APP, users=(ADMIN, BOB), configured_admin=BOB.user_principal_name)
    outcome = single_global_admin(tenant)
    assert outcome.status is Status.FAIL
    assert outcome.message == ("bob@contoso.com, the closing admin configured in closegate.toml, holds no active "
                               "Global Administrator assignment (1 users do), so there is no closing administrator")
    assert outcome.evidence["closing_admin"] is None


def test_app_caller_whose_configured_admin_is_a_guest_fails() -> None:
    tenant = READY.with_(caller=APP, users=(GUEST,), global_admins=(admin_assignment(GUEST),),
                     configured_admin=GUEST.user_principal_name)
    outcome = single_global_admin(tenant)
    assert outcome.status is Status.FAIL and "is a guest" in outcome.message


def test_errors_when_role_assignments_are_throttled_out() -> None:
    result = run_check(single_global_admin, READY.with_(failing={"global_admins": Throttled("429 after 4 tries")}))
    assert result.status is Status.ERROR and result.error["kind"] == "Throttled"
