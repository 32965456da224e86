"""The official Microsoft Graph SDK (msgraph-sdk, v1.0) reads the records, holds, devices and logs
endpoints and represents every property the emulator sends (the judge of test_msgraph_sdk_judge:
nothing left in additional_data, nothing lost or retyped on the way back)."""

from __future__ import annotations

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from test_msgraph_sdk_judge import MsalCredential, Wire, assert_faithful, leftovers, run_with_client

from closegate.emulator import Emulator

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
]


def test_devices_intune_autopilot_and_bitlocker_metadata(emulator: Emulator) -> None:
    async def body(client: GraphServiceClient, wire: Wire, credential: MsalCredential) -> None:
        devices = await client.devices.get()
        assert devices and len(devices.value) == 5
        assert_faithful(devices, wire.last("/v1.0/devices"), "devices", min_models=6)
        assert {d.trust_type for d in devices.value} == {"AzureAd", "ServerAd", "Workplace"}

        managed = await client.device_management.managed_devices.get()
        assert managed and managed.value
        # kiota's managedDevice serializer writes only the properties a client may set, so the
        # round trip cannot judge the read-only ones: check the parse and the values instead
        assert leftovers(managed)[0] == []
        raw = wire.last("/v1.0/deviceManagement/managedDevices")["value"]
        assert [(m.device_name, m.serial_number, m.user_principal_name, m.is_encrypted) for m in managed.value] == [
            (r["deviceName"], r["serialNumber"], r["userPrincipalName"], r["isEncrypted"]) for r in raw]
        assert all(m.enrolled_date_time is not None and m.compliance_state is not None for m in managed.value)

        autopilot = await client.device_management.windows_autopilot_device_identities.get()
        assert autopilot and len(autopilot.value) == 3
        assert_faithful(autopilot, wire.last("/v1.0/deviceManagement/windowsAutopilotDeviceIdentities"),
                        "windowsAutopilotDeviceIdentities")

        keys = await client.information_protection.bitlocker.recovery_keys.get()
        assert keys and len(keys.value) == 4 and all(k.key is None for k in keys.value)
        assert_faithful(keys, wire.last("/v1.0/informationProtection/bitlocker/recoveryKeys"), "recoveryKeys")

    run_with_client(emulator, body)


def test_activity_logs(emulator: Emulator) -> None:
    async def body(client: GraphServiceClient, wire: Wire, credential: MsalCredential) -> None:
        audits = await client.audit_logs.directory_audits.get()
        assert audits and audits.value
        assert_faithful(audits, wire.last("/v1.0/auditLogs/directoryAudits"), "directoryAudits",
                        min_models=1 + 2 * len(audits.value))
        sign_ins = await client.audit_logs.sign_ins.get()
        assert sign_ins and sign_ins.value
        assert_faithful(sign_ins, wire.last("/v1.0/auditLogs/signIns"), "signIns", min_models=1 + 3 * len(sign_ins.value))
        assert sign_ins.value[0].created_date_time >= sign_ins.value[-1].created_date_time

    run_with_client(emulator, body)


def test_ediscovery_cases_custodians_and_retention_events(emulator: Emulator) -> None:
    async def body(client: GraphServiceClient, wire: Wire, credential: MsalCredential) -> None:
        cases = await client.security.cases.ediscovery_cases.get()
        assert cases and len(cases.value) == 2
        assert_faithful(cases, wire.last("/v1.0/security/cases/ediscoveryCases"), "ediscoveryCases", min_models=3)
        active = next(c for c in cases.value if c.display_name == "Fabrikam v. Contoso")
        custodians = await client.security.cases.ediscovery_cases.by_ediscovery_case_id(active.id).custodians.get()
        assert custodians and custodians.value
        assert_faithful(custodians, wire.last("/custodians"), "custodians")
        assert custodians.value[0].hold_status is not None

        events = await client.security.triggers.retention_events.get()
        assert events and events.value
        assert_faithful(events, wire.last("/v1.0/security/triggers/retentionEvents"), "retentionEvents", min_models=3)

    run_with_client(emulator, body)


def test_sites_and_multitenant_organization(emulator: Emulator) -> None:
    async def body(client: GraphServiceClient, wire: Wire, credential: MsalCredential) -> None:
        sites = await client.sites.get()
        assert sites and len(sites.value) == 2
        assert_faithful(sites, wire.last("/v1.0/sites"), "sites", min_models=1 + 3 * len(sites.value))

        org = await client.tenant_relationships.multi_tenant_organization.get()
        assert org and org.display_name == "Contoso Group"
        assert_faithful(org, wire.last("/v1.0/tenantRelationships/multiTenantOrganization"), "multiTenantOrganization")
        tenants = await client.tenant_relationships.multi_tenant_organization.tenants.get()
        assert tenants and len(tenants.value) == 3
        assert_faithful(tenants, wire.last("/tenants"), "tenants")

        owners = await client.groups.get(request_configuration=RequestConfiguration(
            query_parameters=client.groups.GroupsRequestBuilderGetQueryParameters(
                filter="resourceProvisioningOptions/Any(x:x eq 'Team')")))
        assert owners and [g.display_name for g in owners.value] == ["All Staff"]
        assert owners.value[0].resource_provisioning_options == ["Team"]

    run_with_client(emulator, body)
