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

from closegate.emulator.graph import GraphService, Limits
from closegate.emulator.scenarios import BUILT_IN, load_scenario
from tests.emulator.graph_helpers import app_principal, body, call
from tests.paths import GRAPH_METADATA

META = GRAPH_METADATA
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
GA = "62e90394-69f5-4237-9190-012177145e10"
LICENCE_ERRORS = ("AadPremiumLicenseRequired", "Authentication_RequestFromNonPremiumTenantOrB2CTenant")


def _load(path: Path) -> dict[str, tuple[str | None, dict[str, str]]]:
    """Types by full name; base and property types with every schema alias resolved ("graph.",
    and "self." in the v1.0 security schema)."""
    types: dict[str, tuple[str | None, dict[str, str]]] = {}
    schemas = list(ET.parse(path).getroot().iter(EDM + "Schema"))
    aliases = {s.get("Alias"): s.get("Namespace") for s in schemas if s.get("Alias")}

    def full(name: str | None) -> str | None:
        if name is None:
            return None
        inner = name.removeprefix("Collection(").removesuffix(")")
        prefix, _, rest = inner.partition(".")
        return f"{aliases[prefix]}.{rest}" if prefix in aliases else inner

    for schema in schemas:
        ns = schema.get("Namespace")
        for el in schema:
            if el.tag in (EDM + "EntityType", EDM + "ComplexType"):
                props = {p.get("Name"): full(p.get("Type")) for p in el
                         if p.tag in (EDM + "Property", EDM + "NavigationProperty")}
                types[f"{ns}.{el.get('Name')}"] = (full(el.get("BaseType")), props)
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
        ptype = props[key]
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
                if "userRegistrationDetails" in url:
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


RECORD_ROLES = frozenset({
    "eDiscovery.Read.All", "RecordsManagement.Read.All", "Device.Read.All",
    "DeviceManagementManagedDevices.Read.All", "DeviceManagementServiceConfig.Read.All", "BitLockerKey.Read.All",
    "AuditLog.Read.All", "GroupMember.Read.All", "Sites.Read.All", "MailboxSettings.Read",
    "MultiTenantOrganization.Read.All",
})


def _record_endpoints(state: Any) -> list[tuple[str, str, str, bool]]:
    """The records, holds, devices and logs endpoints, with ids from the scenario's own data."""
    sec = "microsoft.graph.security."
    cases = "/security/cases/ediscoveryCases"
    out = [
        ("v1.0", cases, sec + "ediscoveryCase", True),
        ("v1.0", "/security/labels/retentionLabels?$expand=retentionEventType", sec + "retentionLabel", True),
        ("v1.0", "/security/triggerTypes/retentionEventTypes", sec + "retentionEventType", True),
        ("v1.0", "/security/triggers/retentionEvents?$expand=retentionEventType", sec + "retentionEvent", True),
        ("v1.0", "/devices", "microsoft.graph.device", True),
        ("v1.0", "/deviceManagement/managedDevices", "microsoft.graph.managedDevice", True),
        ("v1.0", "/deviceManagement/windowsAutopilotDeviceIdentities",
         "microsoft.graph.windowsAutopilotDeviceIdentity", True),
        ("v1.0", "/informationProtection/bitlocker/recoveryKeys", "microsoft.graph.bitlockerRecoveryKey", True),
        ("v1.0", "/auditLogs/directoryAudits", "microsoft.graph.directoryAudit", True),
        ("v1.0", "/auditLogs/signIns", "microsoft.graph.signIn", True),
        ("v1.0", "/sites", "microsoft.graph.site", True),
        ("v1.0", "/tenantRelationships/multiTenantOrganization", "microsoft.graph.multiTenantOrganization", False),
        ("v1.0", "/tenantRelationships/multiTenantOrganization/tenants",
         "microsoft.graph.multiTenantOrganizationMember", True),
    ]
    for case in state.records.cases:
        out += [("v1.0", f"{cases}/{case.id}", sec + "ediscoveryCase", False),
                ("v1.0", f"{cases}/{case.id}/custodians", sec + "ediscoveryCustodian", True),
                ("beta", f"{cases}/{case.id}/legalHolds", sec + "ediscoveryHoldPolicy", True)]
        for c in case.custodians:
            out += [("v1.0", f"{cases}/{case.id}/custodians/{c.id}/userSources", sec + "userSource", True),
                    ("v1.0", f"{cases}/{case.id}/custodians/{c.id}/siteSources?$expand=site", sec + "siteSource", True)]
        for h in case.holds:
            out += [("beta", f"{cases}/{case.id}/legalHolds/{h.id}/userSources", sec + "userSource", True),
                    ("beta", f"{cases}/{case.id}/legalHolds/{h.id}/siteSources", sec + "siteSource", True)]
    for key in state.records.bitlocker_keys[:1]:
        out.append(("v1.0", f"/informationProtection/bitlocker/recoveryKeys/{key.id}?$select=id,key,deviceId",
                    "microsoft.graph.bitlockerRecoveryKey", False))
    for group in list(state.groups.values())[:3]:
        out.append(("v1.0", f"/groups/{group.id}/owners", "microsoft.graph.directoryObject", True))
    for uid in list(state.records.mailbox_purposes)[:1]:
        out.append(("v1.0", f"/users/{uid}/mailboxSettings", "microsoft.graph.mailboxSettings", False))
    return out


@pytest.mark.parametrize("scenario", BUILT_IN)
def test_every_records_payload_property_exists_in_csdl(csdl, scenario):
    from closegate.emulator.service_plans import ENTRA_P1, INTUNE, plan_active
    from closegate.emulator.wire import Principal

    state = load_scenario(scenario)
    unlicensed = ([] if plan_active(state, INTUNE) else ["/deviceManagement/"]) + (
        [] if plan_active(state, ENTRA_P1) else ["/auditLogs/signIns"])
    svc = GraphService(state, Limits.off())
    app = app_principal(state.tenant_id, roles=RECORD_ROLES)
    admin = state.find_user(state.closing_admin_upn)["id"]
    user = Principal(state.tenant_id, "graph", "public", "user", admin, scopes=RECORD_ROLES, wids=frozenset({GA}))
    errors: list[str] = []
    for version, url, type_name, many in _record_endpoints(state):
        if any(part in url for part in unlicensed):
            continue  # refused for the licence (tests/emulator/test_graph_devices.py, test_graph_logs.py)
        # retention labels are delegated-only; delegated eDiscovery needs no E5 (graph_security)
        principal = user if "retentionLabels" in url or "ediscovery" in url else app
        # the full $select of what came back must come back the same way (§2.1: $select is judged by the type)
        first = call(svc, principal, "GET", f"/{version}{url}", headers={"User-Agent": "conformance"})
        assert first.status == 200, (scenario, url, first.body[:300])
        payload = body(first)
        items = payload["value"] if many else [payload]
        for i, item in enumerate(items):
            _check(csdl[version], type_name, item, f"{scenario} {url} [{i}]", errors)
        keys = sorted({k for it in items for k in it if not k.startswith("@")} - {"site", "retentionEventType"})
        if keys and "owners" not in url and "mailboxSettings" not in url and "?" not in url:
            again = call(svc, principal, "GET", f"/{version}{url}?$select={','.join(keys)}",
                         headers={"User-Agent": "conformance"})
            assert again.status == 200, (scenario, url, again.body[:300])
    assert errors == []
