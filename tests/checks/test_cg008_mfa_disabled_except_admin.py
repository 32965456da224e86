from __future__ import annotations

import pytest

from closegate.checks.mfa_disabled_except_admin import mfa_disabled_except_admin
from closegate.errors import PermissionDenied
from closegate.facts import ConditionalAccessPolicy, PerUserMfa, SecurityDefaults
from closegate.models import Status
from tests.fakes import ADMIN, FakeTenant, run_check, user

READY = FakeTenant.ready()
BOB = user("bob@contoso.com")


def policy(state: str, mfa: bool = True, strength: str | None = None) -> ConditionalAccessPolicy:
    return ConditionalAccessPolicy(f"p-{state}", "Require MFA", state, mfa, strength)


def test_passes_when_only_the_admin_has_mfa_and_report_only_policies_are_shown() -> None:
    outcome = mfa_disabled_except_admin(READY.with_(conditional_access_policies=(policy("enabledForReportingButNotEnforced"),)))
    assert outcome.status is Status.PASS
    assert outcome.evidence["report_only_policies"][0]["id"] == "p-enabledForReportingButNotEnforced"


@pytest.mark.parametrize(
    "change",
    [
        {"users": (ADMIN, BOB), "per_user_mfa": (PerUserMfa(ADMIN.id, "enforced"), PerUserMfa(BOB.id, "enabled"))},
        {"security_defaults": SecurityDefaults(True)},
        {"conditional_access_policies": (policy("enabled"),)},
        {"conditional_access_policies": (policy("enabled", mfa=False, strength="Phishing-resistant MFA"),)},
    ],
    ids=["per-user", "security-defaults", "ca-mfa", "ca-authentication-strength"],
)
def test_fails_for_each_source_of_mfa(change: dict) -> None:
    assert mfa_disabled_except_admin(READY.with_(**change)).status is Status.FAIL


def test_disabled_policy_does_not_count() -> None:
    assert mfa_disabled_except_admin(READY.with_(conditional_access_policies=(policy("disabled"),))).status is Status.PASS


def test_errors_when_per_user_mfa_is_denied() -> None:
    result = run_check(mfa_disabled_except_admin, READY.with_(failing={"per_user_mfa": PermissionDenied("403")}))
    assert result.status is Status.ERROR
