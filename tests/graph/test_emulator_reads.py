"""Paging and $batch against the emulator's Graph: the real shapes, not a script."""

from __future__ import annotations

from closegate.auth import MsalTokenProvider
from closegate.config import load_settings
from closegate.errors import NotFound
from closegate.graph import BatchItem, BatchRunner, connect


def graph_for(emu):
    settings = load_settings(emu.config_path, environ={})
    return connect(settings, MsalTokenProvider(settings))


def test_advanced_query_pages_keep_consistency_level(emulator_factory):
    emu = emulator_factory(scenario="generated:1200")
    clients = graph_for(emu)
    pages = list(clients.graph.iter_pages(
        "/v1.0/users", params={"$select": "id", "$top": "100", "$count": "true"},
        headers={"ConsistencyLevel": "eventual"}))
    ids = [u["id"] for page in pages for u in page]
    assert len(pages) >= 12 and len(ids) == len(set(ids)) >= 1200
    assert clients.stats.snapshot()["endpoints"]["GET /v1.0/users"]["requests"] == len(pages)


def test_batch_with_missing_objects_and_a_failed_dependency(emulator):
    clients = graph_for(emulator)
    users = clients.graph.get_all("/v1.0/users", params={"$select": "id", "$top": "5"})[:2]
    ghost = "00000000-0000-0000-0000-0000000000ff"
    items = [BatchItem("ok1", "GET", f"/users/{users[0]['id']}/authentication/requirements"),
             BatchItem("ok2", "GET", f"/users/{users[1]['id']}/authentication/requirements"),
             BatchItem("gone", "GET", f"/users/{ghost}/authentication/requirements"),
             BatchItem("after", "GET", f"/users/{users[0]['id']}/authentication/requirements", depends_on=("gone",))]
    out = BatchRunner(clients.graph, api="beta").run(items)
    assert out["ok1"].ok and out["ok1"].body["perUserMfaState"] in {"disabled", "enabled", "enforced"}
    assert out["ok2"].ok
    assert isinstance(out["gone"].error, NotFound)
    assert out["after"].status == 424 and "depends on gone" in out["after"].error.cause
