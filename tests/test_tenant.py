"""The tenant facade over Graph: every TenantReader fact, cached once, typed, malformed payloads refused.

Reads run against the emulator's "demo" tenant (the realistic shapes); the wire details that a
realistic tenant will not produce on cue (a CSV redirect, a broken payload) run against the stub.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import pytest

from closegate import facts
from closegate.auth import MsalTokenProvider
from closegate.config import load_settings
from closegate.errors import MalformedResponse, PermissionDenied
from closegate.facts import (
    AZURE_SUBSCRIPTIONS,
    CALLER,
    CONDITIONAL_ACCESS_POLICIES,
    DOMAINS,
    GLOBAL_ADMIN_ELIGIBILITIES,
    GLOBAL_ADMINS,
    ORGANIZATION,
    PER_USER_MFA,
    REPORT_SETTINGS,
    SECURITY_DEFAULTS,
    USAGE_REPORTS,
    USERS,
)
from closegate.graph import connect
from closegate.tenant import Tenant
from tests.graph.helpers import StaticTokens, settings_for
from tests.graph.stub import Req, Resp, StubServer, unsigned_jwt


@pytest.fixture
def stub(tmp_path: Path):
    server = StubServer(tmp_path)
    yield server
    server.close()


@pytest.fixture(scope="module")
def demo(emulator):
    settings = load_settings(emulator.config_path, environ={})
    tokens = MsalTokenProvider(settings)
    clients = connect(settings, tokens)
    return Tenant(clients.graph, clients.arm, tokens), clients


def test_implements_every_tenant_reader_method():
    wanted = {n for n in dir(facts.TenantReader) if not n.startswith("_")}
    assert wanted <= {n for n in dir(Tenant) if not n.startswith("_")}


def test_global_administrators_active_and_through_a_group_and_eligible_apart(demo):
    tenant, _ = demo
    holders = tenant.read(GLOBAL_ADMINS)
    kinds = {(h.principal_display_name, h.kind, h.principal_type, h.via_group_id is not None) for h in holders}
    assert ("Alex Admin", "active", "user", False) in kinds
    assert ("Tenant Admins", "active", "group", False) in kinds
    assert ("Grace Hopper", "active", "user", True) in kinds  # expanded from the role-assignable group
    assert {h.kind for h in holders} == {"active"}
    eligible = tenant.read(GLOBAL_ADMIN_ELIGIBILITIES)
    assert eligible.not_licensed is None
    assert [(h.principal_display_name, h.kind) for h in eligible.assignments] == [("Carlos Pim", "eligible")]
    guests = [h for h in holders if h.principal_user_type == "Guest"]
    assert guests and all(h.principal_type == "user" for h in guests)
    via = next(h for h in holders if h.via_group_id)
    assert via.principal_user_type == "Member"


def test_users_page_at_999_and_per_user_mfa_goes_through_beta_batches_of_20(demo):
    tenant, clients = demo
    users = tenant.read(USERS)
    before = clients.stats.snapshot()["endpoints"].get("POST /beta/$batch", {}).get("requests", 0)
    mfa = tenant.read(PER_USER_MFA)
    after = clients.stats.snapshot()["endpoints"]["POST /beta/$batch"]["requests"]
    assert len(mfa) == len(users) and {m.user_id for m in mfa} == {u.id for u in users}
    assert after - before == math.ceil(len(users) / 20)
    assert {m.state for m in mfa} <= {"disabled", "enabled", "enforced"}
    assert any(m.state == "enforced" for m in mfa)


def test_users_carry_their_license_count(demo, emulator):
    tenant, _ = demo
    counts = {u.id: u.license_count for u in tenant.read(USERS)}
    with emulator.state.lock:
        expected = {u.id: len(u.licenses) for u in emulator.state.live_users()}
    # the demo SKUs' consumed units: E3, Business Premium, Power BI, E5 Compliance
    assert counts == expected and sum(counts.values()) == 212 + 20 + 3 + 3


def test_role_assignable_group_members_come_with_user_type_in_one_read(emulator):
    settings = load_settings(emulator.config_path, environ={})
    tokens = MsalTokenProvider(settings)
    clients = connect(settings, tokens)
    Tenant(clients.graph, clients.arm, tokens).read(facts.GLOBAL_ADMINS)
    endpoints = clients.stats.snapshot()["endpoints"]
    assert [e for e in endpoints if e.startswith("GET /v1.0/users/")] == []
    assert sum(v["requests"] for e, v in endpoints.items() if e.endswith("/members")) == 1


def test_each_fact_is_fetched_once(demo):
    tenant, clients = demo
    tenant.read(DOMAINS)
    count = clients.stats.snapshot()["endpoints"]["GET /v1.0/domains"]["requests"]
    tenant.read(DOMAINS)
    assert clients.stats.snapshot()["endpoints"]["GET /v1.0/domains"]["requests"] == count


def test_prefetch_reads_facts_concurrently_and_later_reads_are_free(emulator):
    settings = load_settings(emulator.config_path, environ={})
    tokens = MsalTokenProvider(settings)
    clients = connect(settings, tokens)
    tenant = Tenant(clients.graph, clients.arm, tokens)
    names = ["organization", "users", "groups", "subscribed_skus", "company_subscriptions", "security_defaults",
             "conditional_access_policies", "registration_details", "applications", "service_principals",
             "domains", "azure_subscriptions", "report_settings", "b2c_inventory", "caller"]
    tenant.prefetch([facts.fact_named(n) for n in names])
    sent = clients.stats.totals().requests
    for name in names:
        tenant.read(facts.fact_named(name))
    assert clients.stats.totals().requests == sent
    org = tenant.read(ORGANIZATION)
    assert org.primary_domain and org.id == settings.tenant_id
    assert tenant.read(CALLER).kind == "app" and "Policy.Read.All" in tenant.read(CALLER).permissions
    assert any(p.authentication_strength for p in tenant.read(CONDITIONAL_ACCESS_POLICIES))
    assert tenant.read(AZURE_SUBSCRIPTIONS)[0].state == "Enabled"
    with emulator.state.lock:
        expected = emulator.state.security_defaults_enabled
    assert tenant.read(SECURITY_DEFAULTS).is_enabled is expected


def test_usage_reports_parse_by_column_name(demo, emulator):
    tenant, _ = demo
    rows = tenant.read(USAGE_REPORTS["mailbox"])
    assert rows and all(r.report == "mailbox" for r in rows)
    with emulator.state.lock:  # the sizes are the tenant's, row for row, read by column name
        stored = sorted(u.mailbox_bytes for u in emulator.state.user_list if u.mail and u.deleted_at is None)
    assert sorted(r.storage_bytes for r in rows if not r.is_deleted) == stored and sum(stored) > 0
    assert all(r.owner_principal_name for r in rows)
    if not tenant.read(REPORT_SETTINGS).display_concealed_names:
        assert any(r.owner_principal_name.endswith("onmicrosoft.com") for r in rows)


def test_a_missing_permission_surfaces_as_permission_denied_naming_it(emulator):
    extra = load_settings(emulator.config_path, environ={}).emulator
    settings = load_settings(emulator.config_path, environ={}, flags={
        "client_id": extra["readonly_client_id"], "client_secret": extra["readonly_client_secret"]})
    tokens = MsalTokenProvider(settings)
    graph = connect(settings, tokens).graph
    with pytest.raises(PermissionDenied) as err:
        graph.request("PATCH", "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy",
                      json_body={"isEnabled": False}, idempotent=True)
    assert err.value.permissions == ("Policy.ReadWrite.SecurityDefaults",)
    assert "Policy.ReadWrite.SecurityDefaults" in err.value.one_line()
    assert err.value.status == 403 and err.value.request_id


# -- wire details against the stub ------------------------------------------------------------------

def stub_tenant(tmp_path: Path, stub: StubServer, route) -> Tenant:
    stub.route = route
    settings = settings_for(tmp_path, stub)
    clients = connect(settings, StaticTokens())
    return Tenant(clients.graph, clients.arm, StaticTokens())


def test_usage_report_follows_the_302_without_the_bearer_token(tmp_path, stub):
    csv = ("\ufeffReport Refresh Date,Display Name,Is Deleted,Storage Used (Byte),Item Count,User Principal Name\n"
           "2025-01-01,Ann,False,1024,7,ann@contoso.example\n")

    def route(req: Req) -> Resp:
        if "getMailboxUsageDetail" in req.path:
            return Resp(302, b"", {"Location": f"{stub.url}/download/report.csv?sig=pre-authenticated"})
        if req.path == "/download/report.csv":
            return Resp(200, csv, {"Content-Type": "application/octet-stream"})
        return Resp(404)

    rows = stub_tenant(tmp_path, stub, route).read(facts.USAGE_MAILBOX)
    assert rows == (facts.UsageRow("mailbox", "ann@contoso.example", "Ann", None, 1024, 7, False, None),)
    download = next(r for r in stub.graph_log() if r.path == "/download/report.csv")
    assert "authorization" not in download.headers


def test_usage_report_without_a_needed_column_is_malformed(tmp_path, stub):
    route = lambda req: Resp(200, "Display Name,Is Deleted\nAnn,False\n")  # noqa: E731
    with pytest.raises(MalformedResponse, match="Storage Used"):
        stub_tenant(tmp_path, stub, route).read(facts.USAGE_MAILBOX)


@pytest.mark.parametrize("payload", [
    {"value": [{"id": 123, "userPrincipalName": "a@b.c"}]},
    {"value": [{"userPrincipalName": "a@b.c"}]},
    {"value": [{"id": "x", "userPrincipalName": "a@b.c", "createdDateTime": "yesterday"}]},
    {"nothing": []},
])
def test_malformed_user_pages_are_refused(tmp_path, stub, payload):
    tenant = stub_tenant(tmp_path, stub, lambda req: Resp(200, payload))
    with pytest.raises(MalformedResponse):
        tenant.read(USERS)
    with pytest.raises(MalformedResponse):  # the failure is cached for the run, not re-fetched
        tenant.read(USERS)
    assert len(stub.graph_log()) == 1


def test_role_assignment_without_its_principal_is_malformed(tmp_path, stub):
    route = lambda req: Resp(200, {"value": [{"id": "a", "principalId": "p", "roleDefinitionId": "r"}]})  # noqa: E731
    with pytest.raises(MalformedResponse):
        stub_tenant(tmp_path, stub, route).read(facts.GLOBAL_ADMINS)


def test_now_is_the_date_header_of_graph(tmp_path, stub):
    route = lambda req: Resp(200, {"value": [{"id": "t", "displayName": "T", "verifiedDomains": []}]})  # noqa: E731
    now = stub_tenant(tmp_path, stub, route).now()
    assert isinstance(now, datetime) and now.utcoffset().total_seconds() == 0


def test_azure_subscriptions_use_the_arm_audience_and_next_link(tmp_path, stub):
    def route(req: Req) -> Resp:
        assert req.query["api-version"] == "2022-12-01"
        if "page2" in req.query:
            return Resp(200, {"value": [{"subscriptionId": "s2", "displayName": "B", "state": "Disabled"}]})
        return Resp(200, {"value": [{"subscriptionId": "s1", "displayName": "A", "state": "Enabled",
                                     "subscriptionPolicies": {"quotaId": "PayAsYouGo_2014-09-01"}}],
                          "nextLink": f"{stub.url}/subscriptions?api-version=2022-12-01&page2=1"})

    stub.route = route

    class AudienceTokens(StaticTokens):
        def token(self, resource: str) -> str:
            return unsigned_jwt({"aud": resource})

    settings = settings_for(tmp_path, stub)
    tokens = AudienceTokens()
    clients = connect(settings, tokens)
    subs = Tenant(clients.graph, clients.arm, tokens).read(facts.AZURE_SUBSCRIPTIONS)
    assert [s.subscription_id for s in subs] == ["s1", "s2"] and subs[0].quota_id == "PayAsYouGo_2014-09-01"
    from closegate.auth import token_claims
    assert {token_claims(r.headers["authorization"].split()[1])["aud"] for r in stub.graph_log()} == \
        {"https://management.azure.com"}


# -- licences and Azure, against the emulator as Microsoft answers -----------------------------------

def _tenant_of(emu) -> tuple[Tenant, object]:
    settings = load_settings(emu.config_path, environ={})
    tokens = MsalTokenProvider(settings)
    clients = connect(settings, tokens)
    return Tenant(clients.graph, clients.arm, tokens), clients


def test_without_p2_or_premium_the_licence_gated_facts_are_answers_not_errors(emulator_factory):
    tenant, _ = _tenant_of(emulator_factory(scenario="small-business"))
    eligible = tenant.read(facts.GLOBAL_ADMIN_ELIGIBILITIES)
    assert eligible.assignments == () and eligible.not_licensed is not None
    assert (eligible.not_licensed.status, eligible.not_licensed.code) == (400, "AadPremiumLicenseRequired")
    assert eligible.not_licensed.meaning == "no eligible assignments are possible: the tenant has no P2 licence"
    registrations = tenant.read(facts.REGISTRATION_DETAILS)
    assert registrations.details == () and registrations.not_licensed.status == 403
    assert [a.principal_display_name for a in tenant.read(GLOBAL_ADMINS)] == ["Fiona Owner", "Marco Lead"]


def test_registration_details_are_read_without_select(demo, emulator):
    tenant, _ = demo
    emulator.operator.clear_request_log()
    details = tenant.read(facts.REGISTRATION_DETAILS)
    assert details.not_licensed is None and details.details
    sent = [e for e in emulator.operator.request_log() if e["path"].endswith("userRegistrationDetails")]
    assert sent and {e["status"] for e in sent} == {200}  # Graph answers 400 to $select here (§12.1)


def test_per_user_mfa_starts_before_the_user_listing_ends_and_users_are_listed_once(emulator_factory):
    emu = emulator_factory(scenario="generated:2500", faults="latency=150ms")  # each page takes its time
    tenant, clients = _tenant_of(emu)
    emu.operator.clear_request_log()
    mfa = tenant.read(PER_USER_MFA)  # nobody read USERS first: this read starts the listing itself
    users = tenant.read(USERS)
    assert len(mfa) == len(users) == 2500
    log = emu.operator.request_log(batch_items=False)
    pages = [e for e in log if e["path"] == "/v1.0/users"]
    batches = [e for e in log if e["path"] == "/beta/$batch"]

    def started(entry: dict) -> float:  # an entry's time is when its answer was sent
        return datetime.fromisoformat(entry["time"]).timestamp() - entry["duration_ms"] / 1000

    assert len(pages) == math.ceil(2500 / 999)
    assert min(started(b) for b in batches) < datetime.fromisoformat(pages[-1]["time"]).timestamp()  # overlapped
    assert clients.stats.snapshot()["endpoints"]["POST /beta/$batch"]["requests"] == math.ceil(2500 / 20)


@pytest.mark.parametrize(("role", "scope", "complete"), [
    ("Reader", "root", True), ("User Access Administrator", "/", True), ("Reader", "subscription:Prod", False),
    (None, None, False)])
def test_azure_visibility_is_proven_only_by_a_role_above_every_subscription(emulator_factory, role, scope,
                                                                            complete):
    from closegate.emulator.builder import ScenarioBuilder

    b = ScenarioBuilder("Fabrikam").without_azure_access().azure_subscription("Prod", offer="AzurePlan")
    if role:
        b.azure_role("closegate", role, scope)
    tenant, _ = _tenant_of(emulator_factory(scenario=b))
    seen = tenant.read(facts.AZURE_VISIBILITY)
    assert seen.complete is complete, seen
    if complete:
        assert seen.how.startswith(f"the caller holds {role} at ")
    assert len(tenant.read(AZURE_SUBSCRIPTIONS)) == (1 if role else 0)
