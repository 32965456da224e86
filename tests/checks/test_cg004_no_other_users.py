from __future__ import annotations

from dataclasses import replace

from closegate.errors import TransportError
from closegate.models import Status

from checks.no_other_users import no_other_users
from tests.fakes import ADMIN, FakeTenant, run_check, user

READY = FakeTenant.ready()


def test_passes_with_only_the_closing_admin() -> None:
    assert no_other_users(READY).status is Status.PASS


def test_fails_and_counts_users_by_kind() -> None:
    others = (user("a@contoso.com"), user("b@contoso.com", user_type="Guest"),
              user("c@contoso.com", account_enabled=False), user("d@contoso.com", on_premises_sync_enabled=True))
    outcome = no_other_users(replace(READY, user_list=(ADMIN, *others)))
    assert outcome.status is Status.FAIL
    assert outcome.message == ("4 users besides the closing administrator remain (3 members, 1 guests, 1 disabled, "
                               "1 synced from on-premises)")
    assert len(outcome.evidence["users"]) == 4


def test_errors_on_a_reset_connection() -> None:
    result = run_check(no_other_users, replace(READY, failing={"users": TransportError("connection reset")}))
    assert result.status is Status.ERROR and result.error["cause"] == "connection reset"
