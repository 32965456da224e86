"""The realistic latency profile and the 429s below the limits, as fault options."""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable

from closegate.emulator import Emulator
from closegate.emulator.app import EmulatorApp, RequestLog
from closegate.emulator.apps import build_registry
from closegate.emulator.arm import ArmService
from closegate.emulator.batch import BatchItemRecord, BatchResponse
from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.certs import Pki
from closegate.emulator.faults import FaultInjector, parse_fault_spec
from closegate.emulator.graph import GraphService, Limits
from closegate.emulator.latency import REALISTIC, answer_size
from closegate.emulator.scenarios import load_scenario
from closegate.emulator.tokens import GRAPH, TokenIssuer
from closegate.emulator.wire import Request, Response, json_response


def test_page_and_batch_sizes_cost_hundreds_of_milliseconds_and_a_single_read_tens():
    single = REALISTIC.median_ms(write=False, arm=False, items=1, batch_items=0)
    page = REALISTIC.median_ms(write=False, arm=False, items=999, batch_items=0)
    batch = REALISTIC.median_ms(write=False, arm=False, items=0, batch_items=20)
    assert 50 <= single <= 100 and 300 <= page <= 600 and 300 <= batch <= 600
    assert REALISTIC.median_ms(write=True, arm=False, items=0, batch_items=0) > single


def test_draws_are_reproducible_and_have_a_long_tail():
    draws = [REALISTIC.draw(random.Random(7), write=False, arm=False, items=999, batch_items=0) for _ in range(2)]
    assert draws[0] == draws[1]
    rng = random.Random(11)
    many = [REALISTIC.draw(rng, write=False, arm=False, items=0, batch_items=0) for _ in range(4000)]
    median = statistics.median(many)
    assert 0.05 < median < 0.07
    assert sum(d > 3 * median for d in many) > 40  # ~2% tail, 3 to 8 times the median


def test_answer_size_counts_a_pages_items_and_a_batchs_requests():
    page = json_response(200, {"value": [{"id": str(i)} for i in range(37)]})
    assert answer_size(Request("GET", "/v1.0/users"), page) == (37, 0)
    records = tuple(BatchItemRecord(str(i), "GET", "/v1.0/users", 200, 1.0, "") for i in range(20))
    batch = BatchResponse(200, [], b"{}", items=records)
    assert answer_size(Request("POST", "/v1.0/$batch"), batch) == (0, 20)
    assert answer_size(Request("DELETE", "/v1.0/users/x"), Response(204)) == (0, 0)


def test_only_latency_realistic_holds_answers():
    page = json_response(200, {"value": [{"id": str(i)} for i in range(999)]})
    req = Request("GET", "/v1.0/users")
    assert FaultInjector(parse_fault_spec("429=0.1")).answer_delay(req, page, arm=False) == 0.0
    realistic = FaultInjector(parse_fault_spec("latency=realistic,seed=3"))
    again = FaultInjector(parse_fault_spec("latency=realistic,seed=3"))
    assert realistic.answer_delay(req, page, arm=False) == again.answer_delay(req, page, arm=False) > 0.1


class RecordingStop:
    """Stands in for the server's stop event: records each hold instead of waiting it out."""

    def __init__(self) -> None:
        self.holds: list[float] = []

    def wait(self, seconds: float) -> bool:
        self.holds.append(seconds)
        return False


def _app(emulator_pki: Pki, spec: str) -> tuple[EmulatorApp, RecordingStop, str]:
    state = load_scenario(ScenarioBuilder().users(1500))
    registry = build_registry(emulator_pki)
    issuer = TokenIssuer(emulator_pki, state.tenant_id)
    stop = RecordingStop()
    app = EmulatorApp(state=state, identity=None, issuer=issuer, graph=GraphService(state, Limits.off()),  # type: ignore[arg-type]
                      arm=ArmService(state), operator=None, faults=FaultInjector(parse_fault_spec(spec)),  # type: ignore[arg-type]
                      log=RequestLog(), stopping=stop)  # type: ignore[arg-type]
    token, _ = issuer.app_token(registry.read_write, GRAPH, "oid", certificate=False, wids=frozenset())
    return app, stop, f"Bearer {token}"


def test_the_server_holds_each_answer_for_its_drawn_latency(emulator_pki: Pki) -> None:
    app, stop, auth = _app(emulator_pki, "latency=realistic,seed=5")
    headers = {"authorization": auth}
    app.dispatch(Request("GET", "/v1.0/organization", headers=headers), "127.0.0.1")
    app.dispatch(Request("GET", "/v1.0/users", "$top=999", headers=headers), "127.0.0.1")
    small, big = stop.holds
    assert 0.02 < small < 0.5 and big > small


def test_429_below_the_limit_has_a_fractional_retry_after_and_throttle_headers(emulator_pki: Pki) -> None:
    app, _, auth = _app(emulator_pki, "429below=1,seed=2")
    answer = app.dispatch(Request("GET", "/v1.0/organization", headers={"authorization": auth}), "127.0.0.1").response
    assert answer is not None and answer.status == 429
    retry = answer.header("Retry-After") or ""
    assert "." in retry and 0.2 <= float(retry) <= 3.0
    assert answer.header("x-ms-throttle-information") == "CPULimitExceeded"
    assert (answer.header("x-ms-throttle-scope") or "").startswith("Tenant_Application/ReadWrite/")


def test_the_fault_spec_round_trips_the_new_keys(emulator_factory: Callable[..., Emulator]) -> None:
    emu = emulator_factory(ScenarioBuilder(), faults="latency=realistic,429below=0.5,seed=9")
    assert emu.operator.faults() == "latency=realistic,429below=0.5,seed=9"
    assert emu.operator.set_faults("latency=20ms") == "latency=20ms"
