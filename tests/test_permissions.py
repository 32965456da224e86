from __future__ import annotations

import pytest

from closegate.permissions import Declaration, grant_fix, missing, needed


def test_audit_needs_are_grouped_with_the_checks_that_need_them() -> None:
    needs = {n.qualified: n for n in needed("audit") if not n.only_when}
    assert "CG-004" in needs["graph:User.Read.All"].needed_by
    assert "Directory.Read.All" in needs["graph:User.Read.All"].satisfied_by
    assert needs["arm:Microsoft.Resources/subscriptions/read"].needed_by == ("CG-011", "CG-015", "CG-027")
    assert needs["arm:Microsoft.Authorization/roleAssignments/read"].needed_by == ("CG-011", "CG-027")


def test_higher_permission_satisfies_and_read_only_app_misses_nothing_for_audit() -> None:
    granted = frozenset({"Directory.Read.All", "Policy.Read.All", "ReportSettings.Read.All", "Reports.Read.All",
                         "RoleEligibilitySchedule.Read.Directory", "Application.Read.All", "arm:*",
                         # records, holds and devices (CG-019 ... CG-024); Directory.Read.All covers devices
                         "eDiscovery.Read.All", "RecordsManagement.Read.All", "DeviceManagementManagedDevices.Read.All",
                         "DeviceManagementServiceConfig.Read.All", "BitlockerKey.ReadBasic.All"})
    assert missing(granted, "audit") == ()
    assert {n.permission for n in missing(granted - {"BitlockerKey.ReadBasic.All"}, "audit")} == {
        "BitlockerKey.ReadBasic.All"}


def test_missing_names_each_need() -> None:
    lacking = {n.permission for n in missing(frozenset({"User.Read.All"}), "audit")}
    assert {"Policy.Read.All", "RoleManagement.Read.Directory", "Microsoft.Resources/subscriptions/read"} <= lacking
    assert "User.Read.All" not in lacking


def test_actions_can_declare_remediation_permissions() -> None:
    action = Declaration("delete_users", "remediate", ("graph:User.DeleteRestore.All",))
    needs = needed("remediate", [action])
    assert [(n.permission, n.needed_by) for n in needs] == [("User.DeleteRestore.All", ("delete_users",))]
    assert missing(frozenset({"User.ReadWrite.All"}), "remediate", [action]) == ()
    assert needed("audit", [action]) == ()


def test_conditional_needs_are_listed_but_not_counted_missing() -> None:
    needs = [n for n in needed("audit") if n.only_when]
    assert {n.permission for n in needs} >= {"IdentityUserFlow.Read.All"}
    assert all(n.permission != "IdentityUserFlow.Read.All" for n in missing(frozenset(), "audit"))


def test_fix_text_says_where_to_grant() -> None:
    graph, = needed("audit", [Declaration("x", "audit", ("graph:Policy.Read.All",))])
    assert "Policy.Read.All" in grant_fix(graph, "app-1") and "admin consent" in grant_fix(graph)


def test_unknown_purpose_is_refused() -> None:
    with pytest.raises(ValueError):
        needed("delete")
