from __future__ import annotations

from closegate.checks.recycle_bin_empty import recycle_bin_empty
from closegate.errors import PermissionDenied
from closegate.facts import DeletedItem
from closegate.models import Status
from tests.fakes import NOW, FakeTenant, run_check

READY = FakeTenant.ready()


def test_passes_with_an_empty_recycle_bin() -> None:
    assert recycle_bin_empty(READY).status is Status.PASS


def test_fails_advisory_with_counts_per_kind() -> None:
    deleted = {"user": (DeletedItem("d1", "user", "Old", NOW, "old@contoso.com"),),
               "application": (DeletedItem("d2", "application", "App", NOW),)}
    result = run_check(recycle_bin_empty, READY.with_(deleted_users=deleted["user"], deleted_applications=deleted["application"]))
    assert result.status is Status.FAIL and result.blocking is False
    assert result.message.startswith("the recycle bin holds 1 users, 1 applications and 0 service principals")


def test_errors_when_denied() -> None:
    result = run_check(recycle_bin_empty, READY.with_(failing={"deleted_users": PermissionDenied("403")}))
    assert result.status is Status.ERROR
