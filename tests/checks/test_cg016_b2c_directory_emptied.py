from __future__ import annotations

from dataclasses import replace

from closegate.checks.b2c_directory_emptied import b2c_directory_emptied
from closegate.errors import PermissionDenied
from closegate.facts import CALLER, ORGANIZATION, Application, B2CInventory
from closegate.models import Status
from tests.fakes import FakeTenant, run_check

READY = FakeTenant.ready()
B2C = READY.with_(organization=replace(READY.value(ORGANIZATION), tenant_type="AAD B2C"))


def test_does_not_apply_to_a_workforce_tenant() -> None:
    assert b2c_directory_emptied(READY).status is Status.NOT_APPLICABLE


def test_passes_for_an_emptied_b2c_tenant() -> None:
    assert b2c_directory_emptied(B2C).status is Status.PASS


def test_fails_with_user_flows_keys_and_the_extensions_app() -> None:
    tenant = B2C.with_(b2c_inventory=B2CInventory(("B2C_1_signup",), (), ("B2C_1A_TokenSigningKeyContainer",), ()),
                     applications=(Application("a", "b", "b2c-extensions-app"),))
    outcome = b2c_directory_emptied(tenant)
    assert outcome.status is Status.FAIL
    assert outcome.message == ("1 user flows, 0 identity providers, 1 policy keys, 0 custom policies and 1 "
                               "b2c-extensions-app remain")


def test_b2c_permissions_are_not_preflighted_on_a_workforce_tenant() -> None:
    tenant = READY.with_(caller=replace(READY.value(CALLER), permissions=frozenset({"Organization.Read.All"})))
    assert run_check(b2c_directory_emptied, tenant).status is Status.NOT_APPLICABLE


def test_errors_when_the_b2c_inventory_is_denied() -> None:
    result = run_check(b2c_directory_emptied, B2C.with_(failing={"b2c_inventory": PermissionDenied("403")}))
    assert result.status is Status.ERROR
