"""Fact digests (closegate.digests): what the runner keeps of each fact, so two runs can be compared."""

from __future__ import annotations

import pytest

from closegate.digests import RecordingReader, changed_facts, digest
from closegate.errors import Throttled
from closegate.facts import GROUPS, USERS
from closegate.registry import catalog
from closegate.runner import RunSettings, run
from tests.fakes import ADMIN, NOW, BackedUpTenant, user


def test_a_collection_digest_ignores_order_and_counts_its_objects() -> None:
    bob, eve = user("bob@contoso.com"), user("eve@contoso.com")
    assert digest((bob, eve)) == digest((eve, bob))
    assert digest((bob, eve))["count"] == 2
    assert digest((bob,)) != digest((bob, eve))
    assert "count" not in digest(ADMIN)


def test_the_runner_digests_every_fact_the_checks_read_and_only_those() -> None:
    record = run(BackedUpTenant(), catalog(plugins=False), RunSettings(clock=lambda: NOW, only={"CG-004"}))
    assert "users" in record.fact_digests and "caller" in record.fact_digests
    assert "azure_subscriptions" not in record.fact_digests  # CG-004 does not read it


def test_the_recording_reader_keeps_each_answer_and_errors_by_kind() -> None:
    reader = RecordingReader(BackedUpTenant().with_(failing={"groups": Throttled("429")}))
    assert reader.read(USERS) == (ADMIN,)
    with pytest.raises(Throttled):
        reader.read(GROUPS)
    assert reader.digests()["groups"] == {"error": "Throttled"}
    assert reader.digests()["users"] == digest((ADMIN,))


def test_changed_facts_names_each_fact_with_its_counts() -> None:
    then = {"users": {"sha256": "a" * 64, "count": 12}, "domains": {"sha256": "b" * 64, "count": 1}}
    now = {"users": {"sha256": "c" * 64, "count": 14}, "domains": {"sha256": "b" * 64, "count": 1},
           "groups": {"sha256": "d" * 64, "count": 0}}
    assert changed_facts(then, now) == [
        "groups changed since the signed run: the signed run did not read it (the checks took another path)",
        "users changed since the signed run: 12 then, 14 now",
    ]
    assert changed_facts(then, then) == []
