"""The records sections of the built-in scenarios: `demo` holds one released and one active legal
hold, devices of each kind, Autopilot registrations, BitLocker keys and logs; `ready` holds none of
the blockers."""

from __future__ import annotations

from collections import Counter

import pytest

from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.scenarios import BUILT_IN, load_scenario
from closegate.emulator.service_plans import EDISCOVERY_PREMIUM, ENTRA_P1, INTUNE, plan_active
from closegate.emulator.state import StateError


def test_demo_has_one_released_and_one_active_legal_hold():
    records = load_scenario("demo").records
    holds = {h.display_name: h.is_enabled for c in records.cases for h in c.holds}
    assert holds == {"Fabrikam litigation hold": True, "HR investigation hold": False}
    released = next(c for c in records.cases if c.status == "closed")
    assert [cu.status for cu in released.custodians] == ["released"]


def test_demo_has_devices_of_each_kind_autopilot_registrations_and_keys():
    records = load_scenario("demo").records
    assert Counter(d.trust_type for d in records.devices) == {"AzureAd": 2, "ServerAd": 1, "Workplace": 2}
    assert len(records.managed_devices) == 3 and len(records.autopilot) == 3
    assert len(records.bitlocker_keys) == 4
    joined = {d.device_id for d in records.devices}
    assert all(k.device_id in joined for k in records.bitlocker_keys)


def test_demo_has_logs_retention_shared_mailboxes_a_team_and_an_organization():
    state = load_scenario("demo")
    records = state.records
    assert len(records.audits) == 5 and len(records.sign_ins) == 4
    assert records.audits == sorted(records.audits, key=lambda a: a.at)
    assert len(records.retention_labels) == 2 and len(records.retention_events) == 1
    assert sorted(records.mailbox_purposes.values()) == ["room", "shared", "shared"]
    assert [g.display_name for g in state.groups.values() if g.provisioning_options == ("Team",)] == ["All Staff"]
    assert records.mto is not None and len(records.mto.members) == 3


def test_demo_is_licensed_for_what_its_records_need():
    state = load_scenario("demo")
    assert plan_active(state, ENTRA_P1) and plan_active(state, INTUNE) and plan_active(state, EDISCOVERY_PREMIUM)


def test_ready_holds_none_of_the_blockers():
    records = load_scenario("ready").records
    assert not any(h.is_enabled for c in records.cases for h in c.holds)
    assert records.autopilot == [] and records.bitlocker_keys == [] and records.devices == []
    assert records.mto is None and records.audits  # an audit trail is not a blocker


@pytest.mark.parametrize("scenario", BUILT_IN)
def test_every_built_in_scenario_loads_its_records(scenario):
    assert load_scenario(scenario).records is not None


def test_loads_are_repeatable():
    first, second = load_scenario("demo").records, load_scenario("demo").records
    assert [c.id for c in first.cases] == [c.id for c in second.cases]
    assert [k.key for k in first.bitlocker_keys] == [k.key for k in second.bitlocker_keys]


def test_a_section_naming_an_unknown_user_is_refused():
    with pytest.raises(StateError, match="nobody@"):
        load_scenario(ScenarioBuilder().custodian("Case", "nobody@elsewhere.example"))
