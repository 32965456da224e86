"""The judge is the official Microsoft Graph SDK (msgraph-sdk, v1.0), unmodified.

It is wired exactly as a customer would wire it against a national cloud (local-emulation.md §2.1,
"explicit variant"): a real msal ConfidentialClientApplication behind an azure-core style
TokenCredential, an httpx.AsyncClient that trusts only the emulator's CA (trust_env=False, P1),
the Graph default middleware (GraphClientFactory), kiota's AzureIdentityAuthenticationProvider with
explicit scopes and allowed hosts, and a GraphRequestAdapter whose base_url is the emulator's /v1.0.
Everything it needs comes from the closegate.toml the emulator wrote, as it would for the product.

kiota is lenient (local-emulation.md §2.2): an unknown property lands in `additional_data` and a
value of the wrong type is silently dropped. So every parsed object is checked twice:
  1. nothing in `additional_data`, recursively through every nested model;
  2. serialized back with kiota's JsonSerializationWriter, no non-null value the emulator sent is
     missing or changed (datetimes may be normalised: `...Z` -> `...+00:00`).
The raw bodies are the exact bytes the SDK parsed, captured by an httpx response hook.

Parsing costs ~4.5 ms per object (the first parse ~1 s of imports), so pages are small ($top=5).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import ssl
import time
import tomllib
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
import msal
import pytest
import requests
from azure.core.credentials import AccessToken
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.serialization import Parsable
from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
from kiota_serialization_json.json_serialization_writer import JsonSerializationWriter
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.graph_request_adapter import options as GRAPH_DEFAULT_OPTIONS
from msgraph_core import GraphClientFactory, PageIterator

from closegate.emulator import Emulator

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
]

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"
PAGE = 5
# Every property the emulator can emit for a user (shapes.USER); $select makes it emit them all.
USER_SELECT = [
    "id", "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation",
    "preferredLanguage", "surname", "userPrincipalName", "accountEnabled", "userType", "onPremisesSyncEnabled",
    "onPremisesImmutableId", "createdDateTime", "deletedDateTime", "department", "usageLocation", "creationType",
    "externalUserState",
]
# OData control information the v1.0 models do not declare (real Graph sends it too): tolerated in
# additional_data, but only on the response's root object.
ROOT_ANNOTATIONS = frozenset({"@odata.context"})

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# Wiring: closegate.toml -> msal credential -> httpx + Graph middleware -> kiota -> GraphServiceClient


@dataclasses.dataclass(frozen=True)
class Config:
    """What closegate.toml says about one app of one emulator."""
    authority: str
    graph_v1: str
    scope: str
    ca: str
    client_id: str
    secret: str


def read_config(emu: Emulator, app: str = "read_write") -> Config:
    toml = tomllib.loads(Path(emu.config_path).read_text(encoding="utf-8"))
    cloud = toml["cloud"]
    if app == "read_write":
        client_id, secret = toml["auth"]["client_id"], toml["auth"]["client_secret"]
    else:
        client_id, secret = toml["emulator"]["readonly_client_id"], toml["emulator"]["readonly_client_secret"]
    return Config(authority=f"{cloud['authority_host']}/{toml['tenant']['id']}",
                  graph_v1=f"{cloud['graph_url']}/v1.0", scope=f"{cloud['graph_resource']}/.default",
                  ca=cloud["ca_bundle"], client_id=client_id, secret=secret)


class MsalCredential:
    """An azure-core TokenCredential (duck-typed get_token) backed by a real msal confidential app."""

    def __init__(self, cfg: Config) -> None:
        self.session = requests.Session()
        self.session.verify, self.session.trust_env = cfg.ca, False  # P1: the env's CA bundle must not win
        self.app = msal.ConfidentialClientApplication(cfg.client_id, client_credential=cfg.secret,
                                                      authority=cfg.authority, instance_discovery=False,
                                                      http_client=self.session)
        self.calls: list[tuple[tuple[str, ...], str]] = []  # (scopes, token_source)

    def get_token(self, *scopes: str, claims: str | None = None, tenant_id: str | None = None,
                  enable_cae: bool = False, **kwargs: Any) -> AccessToken:
        result = self.app.acquire_token_for_client(list(scopes), claims_challenge=claims)
        if "access_token" not in result:
            raise RuntimeError(f"msal: {result.get('error')}: {result.get('error_description')}")
        self.calls.append((scopes, result["token_source"]))
        return AccessToken(result["access_token"], int(time.time()) + int(result["expires_in"]))

    def close(self) -> None:
        self.session.close()


@dataclasses.dataclass
class Wire:
    """Every response body the SDK received, in order: (method, url, status, parsed JSON or None)."""
    seen: list[tuple[str, str, int, Any]] = dataclasses.field(default_factory=list)

    async def hook(self, response: httpx.Response) -> None:
        raw = await response.aread()
        body = json.loads(raw) if raw and "json" in response.headers.get("content-type", "") else None
        self.seen.append((response.request.method, str(response.request.url), response.status_code, body))

    def last(self, path_suffix: str) -> Any:
        for _method, url, _status, body in reversed(self.seen):
            if urlsplit(url).path.endswith(path_suffix):
                return body
        raise AssertionError(f"no response for ...{path_suffix} in {[u for _, u, _, _ in self.seen]}")

    def body_of(self, url: str) -> Any:
        matches = [body for _m, seen_url, _s, body in self.seen if seen_url == url]
        assert len(matches) == 1, (url, [u for _, u, _, _ in self.seen])
        return matches[0]


def graph_client(cfg: Config, credential: MsalCredential, wire: Wire) -> tuple[GraphServiceClient, httpx.AsyncClient]:
    http = httpx.AsyncClient(verify=ssl.create_default_context(cafile=cfg.ca), trust_env=False,
                             event_hooks={"response": [wire.hook]})
    http = GraphClientFactory.create_with_default_middleware(client=http, options=GRAPH_DEFAULT_OPTIONS)
    auth = AzureIdentityAuthenticationProvider(credential, scopes=[GRAPH_DEFAULT],
                                               allowed_hosts=["127.0.0.1", "localhost"])
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = cfg.graph_v1
    return GraphServiceClient(request_adapter=adapter), http


def run_with_client(emu: Emulator, body: Callable[[GraphServiceClient, Wire, MsalCredential],
                                                   Coroutine[Any, Any, T]], app: str = "read_write") -> T:
    cfg = read_config(emu, app)
    credential, wire = MsalCredential(cfg), Wire()

    async def main() -> T:
        client, http = graph_client(cfg, credential, wire)
        try:
            return await body(client, wire, credential)
        finally:
            await http.aclose()

    try:
        return asyncio.run(main())
    finally:
        credential.close()


# ---------------------------------------------------------------------------------------------
# The two strictness checks


def leftovers(obj: Any, path: str = "$", root: bool = True) -> tuple[list[str], int]:
    """(paths of anything kiota could not map, number of models visited), walking every nested model."""
    problems: list[str] = []
    visited = 1
    extra = {k: v for k, v in (getattr(obj, "additional_data", None) or {}).items()
             if not (root and k in ROOT_ANNOTATIONS)}
    problems += [f"{path}.additional_data[{k!r}] = {v!r}" for k, v in extra.items()]
    for f in dataclasses.fields(obj):
        if f.name in ("additional_data", "backing_store"):
            continue
        value = getattr(obj, f.name, None)
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if isinstance(item, Parsable):
                sub = f"{path}.{f.name}[{i}]" if isinstance(value, list) else f"{path}.{f.name}"
                more, n = leftovers(item, sub, root=False)
                problems += more
                visited += n
    return problems, visited


def serialize(obj: Parsable) -> Any:
    writer = JsonSerializationWriter()
    writer.write_object_value(None, obj)
    return json.loads(writer.get_serialized_content())


def _same_instant(a: str, b: Any) -> bool:
    try:
        return isinstance(b, str) and datetime.fromisoformat(a) == datetime.fromisoformat(b)
    except ValueError:
        return False


def lost(sent: Any, back: Any, path: str = "$") -> list[str]:
    """Non-null values the emulator sent that did not survive parse + serialize (a wrong type)."""
    if isinstance(sent, dict):
        if not isinstance(back, dict):
            return [f"{path}: object came back as {back!r}"]
        problems = []
        for key, value in sent.items():
            if value is None:
                continue
            if key not in back:
                problems.append(f"{path}.{key}: dropped (sent {value!r})")
            else:
                problems += lost(value, back[key], f"{path}.{key}")
        return problems
    if isinstance(sent, list):
        if not isinstance(back, list) or len(back) != len(sent):
            return [f"{path}: list {sent!r} came back as {back!r}"]
        return [p for i, (a, b) in enumerate(zip(sent, back)) for p in lost(a, b, f"{path}[{i}]")]
    if isinstance(sent, bool) or isinstance(back, bool):
        same = type(sent) is type(back) and sent == back
    elif isinstance(sent, (int, float)):
        same = isinstance(back, (int, float)) and sent == back
    else:
        same = sent == back or (isinstance(sent, str) and _same_instant(sent, back))
    return [] if same else [f"{path}: sent {sent!r}, came back {back!r}"]


def assert_faithful(parsed: Parsable, raw: Any, label: str, min_models: int = 1) -> int:
    """Both checks on one parsed response against the exact JSON it was parsed from."""
    assert isinstance(raw, dict), f"{label}: no JSON body captured"
    problems, visited = leftovers(parsed, label)
    problems += lost(raw, serialize(parsed), label)
    assert not problems, "msgraph-sdk could not represent what the emulator sent:\n  " + "\n  ".join(problems)
    assert visited >= min_models, (label, visited)
    return visited


def test_the_checks_are_not_blind() -> None:
    """A doctored payload: an unknown nested property and a mistyped value must both be caught."""
    from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
    from msgraph.generated.models.subscribed_sku_collection_response import SubscribedSkuCollectionResponse

    raw = {"@odata.context": "x", "value": [{
        "id": "t_s", "skuId": "05e9a617-0261-4cee-bb44-138d3ef5d965", "capabilityStatus": "Enabled",
        "consumedUnits": "12", "prepaidUnits": {"enabled": 3, "bogus": 1},
        "servicePlans": [{"servicePlanName": "X", "extraThing": True}]}]}
    parsed = JsonParseNodeFactory().get_root_parse_node("application/json", json.dumps(raw).encode()) \
        .get_object_value(SubscribedSkuCollectionResponse)
    problems, visited = leftovers(parsed)
    assert problems == ["$.value[0].prepaid_units.additional_data['bogus'] = 1",
                        "$.value[0].service_plans[0].additional_data['extraThing'] = True"]
    assert visited == 4
    assert lost(raw, serialize(parsed)) == ["$.value[0].consumedUnits: dropped (sent '12')"]
    assert lost({"d": "2025-01-01T00:00:00Z"}, {"d": "2025-01-01T00:00:00+00:00"}) == []
    assert lost({"b": True}, {"b": 1}) and lost({"n": 1}, {"n": 2}) and lost({"l": [1]}, {"l": []})


def users_query(**kwargs: Any) -> RequestConfiguration:
    from msgraph.generated.users.users_request_builder import UsersRequestBuilder

    return RequestConfiguration(query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(**kwargs))


def raw_user_ids(emu: Emulator, trusting_session: Callable[[Emulator], requests.Session], top: int) -> list[str]:
    """The first `top` user ids as plain requests sees them: the reference order for paging."""
    cfg = read_config(emu)
    credential = MsalCredential(cfg)
    try:
        token = credential.get_token(cfg.scope).token
        resp = trusting_session(emu).get(f"{cfg.graph_v1}/users", params={"$top": str(top), "$select": "id"},
                                         headers={"Authorization": f"Bearer {token}"})
    finally:
        credential.close()
    assert resp.status_code == 200, resp.text
    return [u["id"] for u in resp.json()["value"]]


# ---------------------------------------------------------------------------------------------
# Tests


def test_config_and_credential_are_the_real_thing(emulator: Emulator) -> None:
    """The toml the emulator wrote names the fixture's app; the SDK's scope is Graph's real one."""
    assert emulator.apps is not None
    cfg = read_config(emulator)
    assert (cfg.client_id, cfg.secret) == (emulator.apps.read_write.client_id, emulator.apps.read_write.secret)
    assert cfg.scope == GRAPH_DEFAULT
    assert cfg.graph_v1 == f"{emulator.url}/v1.0" and Path(cfg.ca) == Path(emulator.ca_path)
    ro = read_config(emulator, "read_only")
    assert ro.client_id == emulator.apps.read_only.client_id


def test_users_paged_with_next_links(emulator: Emulator,
                                     trusting_session: Callable[[Emulator], requests.Session]) -> None:
    """$top=5, then two @odata.nextLink pages through with_url(): 15 users, parsed to the last field."""
    from msgraph.generated.models.user import User
    from msgraph.generated.models.user_collection_response import UserCollectionResponse

    expected = raw_user_ids(emulator, trusting_session, 3 * PAGE)

    async def body(client: GraphServiceClient, wire: Wire, credential: MsalCredential) -> list[str]:
        ids: list[str] = []
        page = await client.users.get(request_configuration=users_query(top=PAGE))
        for n in range(3):
            assert isinstance(page, UserCollectionResponse), page
            raw = wire.seen[-1][3]
            assert_faithful(page, raw, f"users page {n + 1}", min_models=1 + PAGE)
            assert page.value is not None and len(page.value) == PAGE
            assert all(isinstance(u, User) and u.id and u.user_principal_name and u.display_name
                       for u in page.value)
            # The default property set (no $select) is exactly Graph's 11 (graph-facts §2.1).
            assert all(set(u) == {"businessPhones", "displayName", "givenName", "id", "jobTitle", "mail",
                                  "mobilePhone", "officeLocation", "preferredLanguage", "surname",
                                  "userPrincipalName"} for u in raw["value"])
            ids += [u.id for u in page.value]
            link = page.odata_next_link
            assert link and link.startswith(f"{emulator.url}/v1.0/users?"), link
            assert parse_qs(urlsplit(link).query).get("$top") == [str(PAGE)], link
            if n < 2:
                page = await client.users.with_url(link).get()
        # The token came from msal (identity provider once, then its cache), for Graph's scope only.
        assert {scopes for scopes, _ in credential.calls} == {(GRAPH_DEFAULT,)}
        assert credential.calls[0][1] == "identity_provider"
        assert all(source == "cache" for _, source in credential.calls[1:])
        return ids

    ids = run_with_client(emulator, body)
    assert ids == expected


def test_users_page_iterator_keeps_select(emulator: Emulator,
                                          trusting_session: Callable[[Emulator], requests.Session]) -> None:
    """PageIterator over three pages of $select=<every user property>: nextLinks keep $select, and
    every property (booleans, datetimes, enums-as-strings) survives the SDK's models."""
    from msgraph.generated.models.user_collection_response import UserCollectionResponse

    expected = raw_user_ids(emulator, trusting_session, 3 * PAGE)

    async def body(client: GraphServiceClient, wire: Wire, credential: MsalCredential) -> list[Any]:
        first = await client.users.get(request_configuration=users_query(top=PAGE, select=USER_SELECT))
        assert isinstance(first, UserCollectionResponse)
        assert_faithful(first, wire.seen[-1][3], "users $select page 1", min_models=1 + PAGE)
        seen: list[Any] = []

        def take(user: Any) -> bool:
            seen.append(user)
            return len(seen) < 3 * PAGE

        iterator = PageIterator(first, client.request_adapter)
        await iterator.iterate(take)
        # Pages 2 and 3 came through the iterator: check each against its own raw body.
        pages = [entry for entry in wire.seen if urlsplit(entry[1]).path.endswith("/v1.0/users")]
        assert len(pages) == 3, [u for _, u, _, _ in wire.seen]
        for n, (_m, url, status, raw) in enumerate(pages):
            assert status == 200, (url, raw)
            assert set(parse_qs(urlsplit(url).query)["$select"][0].split(",")) == set(USER_SELECT), url
            assert [set(u) for u in raw["value"]] == [set(USER_SELECT)] * PAGE, f"page {n + 1} lost $select"
        for i, user in enumerate(seen):
            raw_user = pages[i // PAGE][3]["value"][i % PAGE]
            assert_faithful(user, raw_user, f"users[{i}]")
            assert isinstance(user.account_enabled, bool) and user.user_type in ("Member", "Guest")
            assert user.created_date_time is not None and user.created_date_time.tzinfo is not None
        return seen

    users = run_with_client(emulator, body)
    assert [u.id for u in users] == expected


def test_organization_skus_and_subscriptions(emulator: Emulator) -> None:
    """organization, subscribedSkus and directory/subscriptions: every object, every nested model."""
    from msgraph.generated.models.company_subscription_collection_response import (
        CompanySubscriptionCollectionResponse,
    )
    from msgraph.generated.models.organization_collection_response import OrganizationCollectionResponse
    from msgraph.generated.models.subscribed_sku_collection_response import SubscribedSkuCollectionResponse

    async def body(client: GraphServiceClient, wire: Wire, credential: MsalCredential) -> None:
        org = await client.organization.get()
        assert isinstance(org, OrganizationCollectionResponse) and org.value
        assert_faithful(org, wire.last("/v1.0/organization"), "organization", min_models=2)
        [tenant] = org.value
        assert tenant.id == emulator.tenant_id and tenant.display_name
        assert tenant.verified_domains and sum(bool(d.is_default) for d in tenant.verified_domains) == 1
        assert sum(bool(d.is_initial) for d in tenant.verified_domains) == 1
        assert tenant.created_date_time is not None

        one = await client.organization.by_organization_id(tenant.id).get()
        assert_faithful(one, wire.last(f"/v1.0/organization/{tenant.id}"), "organization/{id}", min_models=2)
        assert one.id == tenant.id

        skus = await client.subscribed_skus.get()
        assert isinstance(skus, SubscribedSkuCollectionResponse) and skus.value
        models = assert_faithful(skus, wire.last("/v1.0/subscribedSkus"), "subscribedSkus")
        assert models >= 1 + 3 * len(skus.value)  # sku + prepaidUnits + >= 1 servicePlan each
        for sku in skus.value:
            assert sku.sku_id and sku.sku_part_number and sku.capability_status
            assert sku.prepaid_units is not None and isinstance(sku.prepaid_units.enabled, int)
            assert isinstance(sku.consumed_units, int) and sku.service_plans

        subs = await client.directory.subscriptions.get()
        assert isinstance(subs, CompanySubscriptionCollectionResponse) and subs.value
        assert_faithful(subs, wire.last("/v1.0/directory/subscriptions"), "directory/subscriptions",
                        min_models=1 + 2 * len(subs.value))
        for sub in subs.value:
            assert sub.commerce_subscription_id and sub.sku_id and sub.status
            assert isinstance(sub.is_trial, bool) and isinstance(sub.total_licenses, int)
            assert sub.created_date_time is not None and sub.service_status
        # subscribedSkus.subscriptionIds point at directory/subscriptions' commerceSubscriptionId.
        commerce = {s.commerce_subscription_id for s in subs.value}
        assert {i for sku in skus.value for i in (sku.subscription_ids or [])} <= commerce

        first = subs.value[0]
        by_id = await client.directory.subscriptions.by_company_subscription_id(first.id).get()
        assert_faithful(by_id, wire.last(f"/v1.0/directory/subscriptions/{first.id}"),
                        "directory/subscriptions/{id}", min_models=2)
        assert by_id.commerce_subscription_id == first.commerce_subscription_id

    run_with_client(emulator, body)


def assert_odata_error(error: Any, status: int, code: str, raw: Any) -> None:

    assert isinstance(error, ODataError), f"{type(error).__name__}: {error!r}"
    assert error.response_status_code == status, (error.response_status_code, raw)
    assert error.error is not None and error.error.code == code, raw
    assert error.error.message and error.error.message == raw["error"]["message"]
    assert_faithful(error, raw, f"ODataError {status}", min_models=2)


def test_bad_page_size_is_an_odata_error(emulator: Emulator) -> None:
    async def body(client: GraphServiceClient, wire: Wire, credential: MsalCredential) -> None:
        with pytest.raises(ODataError) as caught:
            await client.users.get(request_configuration=users_query(top=5000))
        assert_odata_error(caught.value, 400, "Request_UnsupportedQuery", wire.seen[-1][3])
        assert "5000" in caught.value.error.message
        inner = caught.value.error.inner_error
        assert inner is not None and inner.request_id and inner.date is not None

        with pytest.raises(ODataError) as missing:
            await client.users.by_user_id("00000000-0000-0000-0000-00000000dead").get()
        assert_odata_error(missing.value, 404, "Request_ResourceNotFound", wire.seen[-1][3])

        # /me with an app-only token. The SDK asks for /users/me-token-to-replace and the Graph default
        # middleware (UrlReplaceHandler) rewrites it to /me, so this 400 also proves GraphClientFactory's
        # pipeline is in place (without it the emulator would answer 404 for a user of that id).
        with pytest.raises(ODataError) as me:
            await client.me.get()
        assert_odata_error(me.value, 400, "BadRequest", wire.seen[-1][3])
        assert "delegated" in me.value.error.message

    run_with_client(emulator, body)


def test_read_only_app_gets_odata_403s(emulator_factory: Callable[..., Emulator]) -> None:
    """The read-only app: a write, and an endpoint none of its permissions cover, are 403s that parse
    as ODataError; the write changed nothing. (Own emulator: a buggy 200 must not touch the shared one.)"""
    from msgraph.generated.models.organization import Organization

    emu = emulator_factory(scenario="demo")
    before = read_config(emu, "read_only")
    assert before.client_id == emu.apps.read_only.client_id  # type: ignore[union-attr]

    async def body(client: GraphServiceClient, wire: Wire, credential: MsalCredential) -> None:
        org = await client.organization.get()
        assert org is not None and org.value
        tenant = org.value[0]

        with pytest.raises(ODataError) as write:
            await client.organization.by_organization_id(tenant.id).patch(
                Organization(marketing_notification_emails=["closegate@example.com"]))
        assert wire.seen[-1][0] == "PATCH"
        assert_odata_error(write.value, 403, "Authorization_RequestDenied", wire.seen[-1][3])

        users = await client.users.get(request_configuration=users_query(top=1))
        assert users is not None and users.value
        with pytest.raises(ODataError) as delete:
            await client.users.by_user_id(users.value[0].id).delete()
        assert wire.seen[-1][0] == "DELETE"
        assert_odata_error(delete.value, 403, "Authorization_RequestDenied", wire.seen[-1][3])

        with pytest.raises(ODataError) as lacking:  # IdentityProvider.Read.All is not granted
            await client.identity.identity_providers.get()
        assert_odata_error(lacking.value, 403, "Authorization_RequestDenied", wire.seen[-1][3])

        after = await client.organization.by_organization_id(tenant.id).get()
        assert after is not None and after.marketing_notification_emails == tenant.marketing_notification_emails
        still = await client.users.by_user_id(users.value[0].id).get()
        assert still is not None and still.id == users.value[0].id

    run_with_client(emu, body, app="read_only")


def test_type_cast_with_the_graph_namespace_alias(emulator: Emulator) -> None:
    from msgraph.generated.models.user_collection_response import UserCollectionResponse

    async def body(client: GraphServiceClient, wire: Wire, credential: MsalCredential) -> None:
        deleted = await client.directory.deleted_items.graph_user.get()
        assert urlsplit(wire.seen[-1][1]).path.endswith("/v1.0/directory/deletedItems/graph.user")
        assert isinstance(deleted, UserCollectionResponse)
        assert_faithful(deleted, wire.seen[-1][3], "directory/deletedItems/graph.user")

    run_with_client(emulator, body)
