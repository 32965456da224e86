"""`closegate permissions`: one source of truth (closegate.permissions) for the table, the manifest and doctor."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from closegate import permissions as perms
from closegate.cli import main
from closegate.commands import doctor
from closegate.commands import permissions as command
from closegate.errors import ConfigError

README = Path(__file__).resolve().parents[2] / "README.md"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["permissions", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_every_graph_permission_any_check_or_action_declares_has_a_verified_app_role_id() -> None:
    """Fails loudly, naming it, when a check or action starts to need a permission whose id is unknown."""
    declared = {n.permission for n in perms.needed("all") if n.resource == "graph"}
    unknown = sorted(declared - set(command.GRAPH_APP_ROLE_IDS))
    assert not unknown, f"add the verified app-role id (with its source) of {unknown} to GRAPH_APP_ROLE_IDS"


def test_the_id_table_is_well_formed() -> None:
    ids = list(command.GRAPH_APP_ROLE_IDS.values())
    assert all(GUID.match(i) for i in ids) and len(set(ids)) == len(ids)


def test_table_lists_each_need_with_who_needs_it_and_what_else_satisfies_it() -> None:
    code, out, _ = invoke()
    assert code == 0
    for need in perms.needed("all"):
        row = next(line for line in out.splitlines() if line.startswith(f"| {need.permission} "))
        for who in need.needed_by:
            assert who in row
        for higher in need.satisfied_by:
            assert higher in row
    assert "| Microsoft.Resources/subscriptions/read" in out and "Azure RBAC (subscription scope)" in out
    assert "(B2C tenants only)" in out
    assert "note: Azure Resource Manager" in out


@pytest.mark.parametrize("purpose", ["audit", "remediate"])
def test_for_limits_the_table_to_that_purpose(purpose: str) -> None:
    code, out, _ = invoke("--for", purpose)
    assert code == 0
    rows = {line.split("|")[1].strip() for line in out.splitlines()[2:] if line.startswith("| ")}
    assert rows == {n.permission for n in perms.needed(purpose)}


def test_manifest_is_the_required_resource_access_fragment_for_microsoft_graph() -> None:
    code, out, err = invoke("--format", "manifest", "--for", "audit")
    assert code == 0
    fragment = json.loads(out)
    (graph,) = fragment["requiredResourceAccess"]
    assert graph["resourceAppId"] == "00000003-0000-0000-c000-000000000000"
    wanted = {n.permission for n in perms.needed("audit") if n.resource == "graph" and not n.only_when}
    assert {a["id"] for a in graph["resourceAccess"]} == {command.GRAPH_APP_ROLE_IDS[p] for p in wanted}
    assert all(a["type"] == "Role" for a in graph["resourceAccess"])
    # Verified against Microsoft's generated permissions-ids table (spot checks).
    assert {"id": "df021288-bdef-4463-88db-98f22de89214", "type": "Role"} in graph["resourceAccess"]  # User.Read.All
    assert "Reader" in err and "not an app permission" in err


def test_b2c_adds_the_conditional_permissions_to_the_manifest() -> None:
    _, plain, _ = invoke("--format", "manifest", "--for", "audit")
    _, b2c, _ = invoke("--format", "manifest", "--for", "audit", "--b2c")
    extra = ({a["id"] for a in json.loads(b2c)["requiredResourceAccess"][0]["resourceAccess"]}
             - {a["id"] for a in json.loads(plain)["requiredResourceAccess"][0]["resourceAccess"]})
    assert extra == {command.GRAPH_APP_ROLE_IDS[p] for p in
                     ("IdentityProvider.Read.All", "IdentityUserFlow.Read.All", "TrustFrameworkKeySet.Read.All")}


def test_a_permission_without_a_verified_id_is_refused_never_guessed(monkeypatch: pytest.MonkeyPatch) -> None:
    need = perms.PermissionNeed("graph", "Made.Up.All", (), ("CG-999",))
    with pytest.raises(ConfigError, match="Made.Up.All"):
        command.manifest([need])
    monkeypatch.setattr(perms, "needed", lambda purpose: (need,))
    code, out, err = invoke("--format", "manifest")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "Made.Up.All" in err


def test_doctor_asks_the_same_source() -> None:
    """doctor compares the token with closegate.permissions.needed, the function this command prints."""
    assert doctor.perms is perms
    assert doctor.diagnose.__defaults__ == (None,)  # `needed` defaults to perms.needed at call time


def test_readme_permissions_table_is_the_generated_one() -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- permissions:begin -->\n```text\n(.*?)```\n<!-- permissions:end -->", text, re.S)
    assert block, "README.md lost its generated permissions block"
    _, out, _ = invoke()
    assert block.group(1) == out, "README.md is stale: paste the output of `closegate permissions` between the markers"
