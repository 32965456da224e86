"""The client against the emulator's injected faults: the facts come out the same as on a calm day."""

from __future__ import annotations

import time

from closegate.auth import MsalTokenProvider
from closegate.config import load_settings
from closegate.facts import AZURE_SUBSCRIPTIONS, GLOBAL_ADMINS, GROUPS, PER_USER_MFA, USERS
from closegate.graph import RetryPolicy, connect
from closegate.tenant import Tenant
from graph.helpers import FakeClock


def read_all(emu, clock: FakeClock | None = None):
    settings = load_settings(emu.config_path, environ={})
    tokens = MsalTokenProvider(settings)
    clock = clock or FakeClock()
    clients = connect(settings, tokens, policy=RetryPolicy(max_attempts=12, jitter=lambda cap: cap),
                      clock=clock, sleep=clock.sleep)
    tenant = Tenant(clients.graph, clients.arm, tokens)
    return (tenant.read(USERS), tenant.read(PER_USER_MFA), tenant.read(GLOBAL_ADMINS),
            tenant.read(GROUPS), tenant.read(AZURE_SUBSCRIPTIONS)), clients.stats, tokens


def test_429_5xx_and_reset_storms_change_nothing_but_the_request_count(emulator_factory):
    emu = emulator_factory(scenario="generated:400")
    expected, calm_stats, _ = read_all(emu)
    emu.operator.set_faults("429=0.15,503=0.05,504=0.05,reset=0.03,seed=11")
    got, stats, _ = read_all(emu)
    assert got == expected
    totals = stats.totals()
    assert totals.throttled > 0 and totals.retries > 0
    assert totals.requests > calm_stats.totals().requests


def test_a_token_expiring_mid_run_is_refreshed_once(emulator_factory):
    emu = emulator_factory(scenario="generated:2500")
    settings = load_settings(emu.config_path, environ={})
    tokens = MsalTokenProvider(settings)
    clients = connect(settings, tokens)
    pages = clients.graph.iter_pages("/v1.0/users", params={"$select": "id", "$top": "999"})
    ids = [u["id"] for u in next(pages)]
    issued = tokens.token_requests
    # Two hours pass for the identity platform: the token in hand is now expired.
    emu.identity.issuer.wall = lambda: time.time() + 7200
    ids += [u["id"] for page in pages for u in page]
    assert len(ids) == len(set(ids)) >= 2500  # every user, none twice
    assert tokens.token_requests == issued + 1
    assert clients.stats.totals().errors == 0
