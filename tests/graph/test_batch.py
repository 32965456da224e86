"""$batch: chunks of 20, out-of-order answers, per-item 429 and 424, typed per-item errors."""

from __future__ import annotations

import pytest

from closegate.errors import GraphError, MalformedResponse, NotFound, PermissionDenied, Throttled
from closegate.graph import BatchItem, BatchRunner
from tests.graph.helpers import StaticTokens, clients, settings_for
from tests.graph.stub import Req, Resp


def item_body(status: int, code: str = "") -> dict:
    if status < 400:
        return {"perUserMfaState": "disabled"}
    return {"error": {"code": code, "message": "scripted", "innerError": {"request-id": "r"}}}


def batch_route(decide):
    """A $batch endpoint whose per-item answer is decide(item, attempt) -> (status, headers)."""
    seen: dict[str, int] = {}
    calls: list[list[str]] = []

    def route(req: Req) -> Resp:
        assert req.path.endswith("/$batch") and req.method == "POST"
        reqs = req.json()["requests"]
        assert len(reqs) <= 20
        calls.append([r["id"] for r in reqs])
        out = []
        for r in reversed(reqs):  # Graph may answer out of order
            seen[r["id"]] = seen.get(r["id"], 0) + 1
            status, headers, code = decide(r, seen[r["id"]])
            out.append({"id": r["id"], "status": status, "headers": headers, "body": item_body(status, code)})
        return Resp(200, {"responses": out})

    return route, calls


def items(n: int) -> list[BatchItem]:
    return [BatchItem(str(i), "GET", f"/users/u{i}/authentication/requirements") for i in range(n)]


def runner(tmp_path, stub, clock, **policy):
    c = clients(settings_for(tmp_path, stub), StaticTokens(), clock, **policy)
    return BatchRunner(c.graph, api="beta", workers=1), c


def test_items_go_in_chunks_of_20_and_answers_are_correlated_by_id(tmp_path, stub, clock):
    stub.route, calls = batch_route(lambda r, n: (200, {}, ""))
    run, c = runner(tmp_path, stub, clock)
    out = run.run(items(45))
    assert [len(x) for x in calls] == [20, 20, 5]
    assert set(out) == {str(i) for i in range(45)} and all(o.ok for o in out.values())
    assert stub.graph_log()[0].path == "/beta/$batch"
    totals = c.stats.snapshot()["totals"]
    assert totals["requests"] == 3 and totals["batched"] == 45


def test_mixed_statuses_become_typed_per_item_errors(tmp_path, stub, clock):
    table = {"0": (200, ""), "1": (404, "Request_ResourceNotFound"), "2": (403, "Authorization_RequestDenied"),
             "3": (500, "generalException")}
    stub.route, _ = batch_route(lambda r, n: (table[r["id"]][0], {}, table[r["id"]][1]))
    run, _ = runner(tmp_path, stub, clock)
    out = run.run(items(4))
    assert out["0"].ok and out["0"].body == {"perUserMfaState": "disabled"}
    assert isinstance(out["1"].error, NotFound)
    assert isinstance(out["2"].error, PermissionDenied)
    assert out["2"].error.permissions[0] == "Policy.Read.All"
    assert type(out["3"].error) is GraphError and out["3"].error.code == "generalException"


def test_only_throttled_items_are_resent_after_their_retry_after(tmp_path, stub, clock):
    throttled = {"3", "17"}
    stub.route, calls = batch_route(
        lambda r, n: (429, {"Retry-After": "4"}, "TooManyRequests") if r["id"] in throttled and n == 1
        else (200, {}, ""))
    run, c = runner(tmp_path, stub, clock)
    out = run.run(items(30))
    assert all(o.ok for o in out.values())
    assert [len(x) for x in calls] == [20, 10, 2]
    assert sorted(calls[-1]) == sorted(throttled)
    assert 4 in clock.sleeps
    assert c.stats.snapshot()["totals"]["throttled"] == 2


def test_retries_ride_along_with_fresh_items(tmp_path, stub, clock):
    stub.route, calls = batch_route(
        lambda r, n: (429, {"Retry-After": "0"}, "TooManyRequests") if r["id"] == "5" and n == 1 else (200, {}, ""))
    run, _ = runner(tmp_path, stub, clock)
    run.run(items(40))
    assert len(calls) == 3 and "5" in calls[1]  # merged into the next full batch, not a batch of its own


def test_424_dependents_are_resent_with_their_throttled_dependency(tmp_path, stub, clock):
    def decide(r, n):
        if r["id"] == "a" and n == 1:
            return 429, {"Retry-After": "2"}, "TooManyRequests"
        if r["id"] == "b" and n == 1:
            assert r["dependsOn"] == ["a"]
            return 424, {}, "FailedDependency"
        return 200, {}, ""

    stub.route, calls = batch_route(decide)
    run, _ = runner(tmp_path, stub, clock)
    out = run.run([BatchItem("a", "GET", "/users/a/authentication/requirements"),
                   BatchItem("b", "GET", "/users/b/authentication/requirements", depends_on=("a",))])
    assert out["a"].ok and out["b"].ok
    assert calls == [["a", "b"], ["a", "b"]]


def test_424_after_a_permanent_failure_names_the_failed_dependency(tmp_path, stub, clock):
    stub.route, _ = batch_route(lambda r, n: (403, {}, "Authorization_RequestDenied") if r["id"] == "a"
                                else (424, {}, "FailedDependency"))
    run, _ = runner(tmp_path, stub, clock)
    out = run.run([BatchItem("a", "GET", "/users/a/authentication/requirements"),
                   BatchItem("b", "GET", "/users/b/authentication/requirements", depends_on=("a",))])
    assert isinstance(out["a"].error, PermissionDenied)
    assert out["b"].status == 424 and "depends on a" in out["b"].error.cause


def test_an_item_throttled_past_the_attempt_limit_is_a_throttled_error(tmp_path, stub, clock):
    stub.route, calls = batch_route(lambda r, n: (429, {"Retry-After": "1"}, "TooManyRequests"))
    run, _ = runner(tmp_path, stub, clock, max_attempts=3)
    out = run.run(items(2))
    assert isinstance(out["0"].error, Throttled) and out["0"].error.attempts == 3
    assert len(calls) == 3


def test_a_batch_answer_missing_an_item_is_malformed(tmp_path, stub, clock):
    stub.route = lambda req: Resp(200, {"responses": [{"id": "0", "status": 200, "body": {}}]})
    run, _ = runner(tmp_path, stub, clock)
    with pytest.raises(MalformedResponse):
        run.run(items(2))


def test_duplicate_ids_are_refused_before_anything_is_sent(tmp_path, stub, clock):
    run, _ = runner(tmp_path, stub, clock)
    with pytest.raises(ValueError):
        run.run([BatchItem("A", "GET", "/x"), BatchItem("a", "GET", "/y")])
    assert stub.graph_log() == []


def test_many_batches_in_parallel_return_every_item(tmp_path, stub, clock):
    stub.route, calls = batch_route(lambda r, n: (429, {}, "TooManyRequests") if int(r["id"]) % 50 == 0 and n == 1
                                    else (200, {}, ""))
    c = clients(settings_for(tmp_path, stub, concurrency=4), StaticTokens(), clock)
    out = BatchRunner(c.graph, api="beta").run(items(500))
    assert len(out) == 500 and all(o.ok for o in out.values())
    assert len(calls) <= 26  # 25 full batches + at most one for the 10 retried items
    assert c.graph.limiter.peak <= 4


def test_a_bug_in_one_worker_stops_the_run_instead_of_hanging_it(tmp_path, stub, clock, monkeypatch):
    import closegate.graph.batch as batch_module

    stub.route, _ = batch_route(lambda r, n: (200, {}, ""))
    c = clients(settings_for(tmp_path, stub, concurrency=3), StaticTokens(), clock)

    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(batch_module, "resource_units", broken)
    with pytest.raises(RuntimeError):
        BatchRunner(c.graph, api="beta").run(items(100))


def test_streamed_pages_are_batched_as_they_arrive_in_full_batches_of_20(tmp_path, stub, clock):
    import threading

    stub.route, calls = batch_route(lambda r, n: (200, {}, ""))
    c = clients(settings_for(tmp_path, stub, concurrency=4), StaticTokens(), clock)
    first_page_sent = threading.Event()

    def pages():
        yield [BatchItem(str(i), "GET", f"/users/u{i}/authentication/requirements") for i in range(30)]
        # the listing is still running: the first page's batches go out before the second page exists
        assert first_page_sent.wait(10)
        yield [BatchItem(str(i), "GET", f"/users/u{i}/authentication/requirements") for i in range(30, 55)]

    def watch(req):
        first_page_sent.set()
        return stub_route(req)

    stub_route = stub.route
    stub.route = watch
    out = BatchRunner(c.graph, api="beta").run_streamed(pages())
    assert set(out) == {str(i) for i in range(55)} and all(o.ok for o in out.values())
    assert sorted(len(x) for x in calls) == [15, 20, 20]  # the first page's 10 left over waited for the second


def test_a_failed_listing_fails_the_streamed_run(tmp_path, stub, clock):
    stub.route, _ = batch_route(lambda r, n: (200, {}, ""))
    c = clients(settings_for(tmp_path, stub, concurrency=2), StaticTokens(), clock)

    def pages():
        yield items(5)
        raise Throttled("the users listing was throttled out", "wait")

    with pytest.raises(Throttled):
        BatchRunner(c.graph, api="beta").run_streamed(pages())


def test_inner_throttle_usage_headers_reach_the_limiter(tmp_path, stub, clock):
    stub.route, _ = batch_route(lambda r, n: (200, {"x-ms-throttle-limit-percentage": "1.4"}, ""))
    c = clients(settings_for(tmp_path, stub, concurrency=40), StaticTokens(), clock)
    before = c.graph.limiter.limit
    BatchRunner(c.graph, api="beta").run(items(20))
    assert c.graph.limiter.limit < before
