"""Every property the Graph emulator emits exists on its type in Graph's own metadata (CSDL).

Walks the payload of every listed endpoint in every scenario, without and with an explicit full
$select, following BaseType chains, complex types, collections and @odata.type casts. The beta B2C
user-flow and trustFramework types are absent from the stored CSDL snapshots (beta-Prod was not
captured) and are therefore not walked.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from graph_helpers import app_principal, body, call

from closegate.emulator.graph import GraphService, Limits
from closegate.emulator.scenarios import BUILT_IN, load_scenario

META = Path("/work/shared/graph-metadata")
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
GA = "62e90394-69f5-4237-9190-012177145e10"
LICENCE_ERRORS = ("AadPremiumLicenseRequired", "Authentication_RequestFromNonPremiumTenantOrB2CTenant")


def _load(path: Path) -> dict[str, tuple[str | None, dict[str, str]]]:
    types: dict[str, tuple[str | None, dict[str, str]]] = {}
    for schema in ET.parse(path).getroot().iter(EDM + "Schema"):
        ns, alias = schema.get("Namespace"), schema.get("Alias")
        for el in schema:
            if el.tag in (EDM + "EntityType", EDM + "ComplexType"):
                props = {p.get("Name"): p.get("Type") for p in el
                         if p.tag in (EDM + "Property", EDM + "NavigationProperty")}
                base = el.get("BaseType")
                if base and alias and base.startswith(alias + "."):
                    base = ns + base[len(alias):]
                types[f"{ns}.{el.get('Name')}"] = (base, props)
    return types


@pytest.fixture(scope="module")
def csdl() -> dict[str, dict[str, tuple[str | None, dict[str, str]]]]:
    return {"v1.0": _load(META / "v1.0-Prod.csdl"), "beta": _load(META / "beta-USNat.csdl")}


def _props(types: dict[str, Any], name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    while name:
        base, props = types[name]
        out.update(props)
        name = base
    return out


def _check(types: dict[str, Any], type_name: str, obj: dict[str, Any], where: str, errors: list[str]) -> None:
    type_name = obj.get("@odata.type", "#" + type_name).lstrip("#")
    if type_name not in types:
        errors.append(f"{where}: unknown type {type_name}")
        return
    props = _props(types, type_name)
    for key, value in obj.items():
        if key.startswith("@odata."):
            continue
        if key not in props:
            errors.append(f"{where}: {type_name} has no property {key!r}")
            continue
        ptype = props[key].removeprefix("Collection(").rstrip(")").replace("graph.", "microsoft.graph.")
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, dict) and ptype in types:
                _check(types, ptype, v, f"{where}.{key}", errors)


ENDPOINTS: tuple[tuple[str, str, str, bool], ...] = (  # version, url, type, is collection
    ("v1.0", "/organization", "microsoft.graph.organization", True),
    ("v1.0", "/users?$top=50", "microsoft.graph.user", True),
    ("v1.0", "/groups", "microsoft.graph.group", True),
    ("v1.0", "/applications", "microsoft.graph.application", True),
    ("v1.0", "/servicePrincipals", "microsoft.graph.servicePrincipal", True),
    ("v1.0", "/domains", "microsoft.graph.domain", True),
    ("v1.0", "/subscribedSkus", "microsoft.graph.subscribedSku", True),
    ("v1.0", "/directory/subscriptions", "microsoft.graph.companySubscription", True),
    ("v1.0", "/roleManagement/directory/roleAssignments?$expand=principal",
     "microsoft.graph.unifiedRoleAssignment", True),
    ("v1.0", "/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal",
     "microsoft.graph.unifiedRoleEligibilityScheduleInstance", True),
    ("v1.0", "/directoryRoles", "microsoft.graph.directoryRole", True),
    ("v1.0", f"/directoryRoles(roleTemplateId='{GA}')/members", "microsoft.graph.directoryObject", True),
    ("v1.0", "/policies/identitySecurityDefaultsEnforcementPolicy",
     "microsoft.graph.identitySecurityDefaultsEnforcementPolicy", False),
    ("v1.0", "/identity/conditionalAccess/policies", "microsoft.graph.conditionalAccessPolicy", True),
    ("v1.0", "/reports/authenticationMethods/userRegistrationDetails",
     "microsoft.graph.userRegistrationDetails", True),
    ("v1.0", "/admin/reportSettings", "microsoft.graph.adminReportSettings", False),
    ("v1.0", "/identity/identityProviders", "microsoft.graph.identityProviderBase", True),
    ("beta", "/users/{admin}/authentication/requirements", "microsoft.graph.strongAuthenticationRequirements", False),
)


@pytest.mark.parametrize("scenario", BUILT_IN)
def test_every_emitted_property_exists_in_csdl(csdl, scenario):
    state = load_scenario(scenario)
    svc, p = GraphService(state, Limits.off()), app_principal(state.tenant_id)
    for uid in [u.id for u in list(state.live_users())[:5]]:  # fill the recycle bin too
        if not state.users[uid].sync_enabled and uid != state.find_user(state.closing_admin_upn)["id"]:
            call(svc, p, "DELETE", f"/v1.0/users/{uid}")
    errors: list[str] = []
    endpoints = ENDPOINTS + tuple(("v1.0", f"/directory/deletedItems/{t}", t, True) for t in (
        "microsoft.graph.user", "microsoft.graph.application", "microsoft.graph.servicePrincipal"))
    for version, url, type_name, many in endpoints:
        url = url.replace("{admin}", state.closing_admin_upn)
        for full_select in (False, True):
            target = f"/{version}{url}"
            if full_select:
                sample = body(call(svc, p, "GET", target))
                items = sample["value"] if many else [sample]
                keys = sorted({k for it in items for k in it if not k.startswith("@") and k != "principal"})
                if not keys or "members" in url or "requirements" in url:
                    continue
                target += ("&" if "?" in target else "?") + "$select=" + ",".join(keys)
                if "userRegistrationDetails" in url and not state.compat.registration_details_select:
                    assert call(svc, p, "GET", target).status == 400  # §12.1: no $select on this report
                    continue
            resp = call(svc, p, "GET", target)
            if resp.status != 200 and body(resp)["error"]["code"] in LICENCE_ERRORS:
                assert set(body(resp)["error"]) == {"code", "message", "innerError"}  # graph-facts §8.4
                break  # a tenant without the licence gets Graph's refusal, nothing to walk
            assert resp.status == 200, (target, resp.body[:300])
            payload = body(resp)
            for i, item in enumerate(payload["value"] if many else [payload]):
                _check(csdl[version], type_name, item, f"{scenario} {target} [{i}]", errors)
    assert errors == []
