"""Applies an approved plan: journal first, re-read before every destructive batch, never off the plan,
and never on the plan's word alone.

The plan is a proposal; the guard (closegate.remediation.guard) is the authority. For each automated
item, in plan order: it must be closegate's own action (its effect, requirements and opt-in are the
catalog's, whatever the file says); the checks it requires must PASS now; a fresh plan from a fresh
read says which objects may be written at all; operations the journal already finished are skipped;
the rest go in windows. For a window the executor asks who is protected now, re-reads the objects,
refuses any that are (or belong to) the closing admin, the caller or closegate's own app, or that no
fresh plan contains, skips any that vanished or changed since the plan, records those decisions,
fsyncs an intent per remaining write (built from the fresh target), sends the writes ($batch of 20
where Graph allows, paced under the documented write quota), and fsyncs a result per answer. An
operation whose intent has no result was interrupted: its re-read decides (a delete whose object is
now gone is done).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from closegate.errors import ClosegateError, NotFound, PermissionDenied
from closegate.graph import BatchItem, BatchRunner, GraphClient
from closegate.models import Status
from closegate.remediation.actions import Kind, Target
from closegate.remediation.effects import EFFECTS, Effect, Request
from closegate.remediation.guard import PROTECTED, Guard, Protected
from closegate.remediation.journal import Journal, operation_id
from closegate.remediation.outcomes import Hold, ItemReport, Outcome
from closegate.remediation.pacing import DOCUMENTED_WRITE_QUOTA, Pacer, WriteQuota
from closegate.remediation.plan import Plan, PlanItem
from closegate.remediation.requirements import Requirements

__all__ = ["ExecutionOptions", "Executor", "ItemReport"]

_WRITE = None  # _decide: no outcome yet, the object must be written
UNPLANNED = "not in a fresh plan of the tenant as it is now: closegate would not make this change"

Progress = Callable[[str, int, int], None]
_GONE = object()


@dataclass(frozen=True)
class ExecutionOptions:
    step: int | None = None
    purge: bool = False
    window: int | None = None  # objects re-read and written per round; None: WriteQuota.round_size()
    quota: WriteQuota = DOCUMENTED_WRITE_QUOTA


class Executor:
    def __init__(self, plan: Plan, graph: GraphClient, arm: GraphClient | None, journal: Journal, *,
                 requirements: Requirements, guard: Guard, options: ExecutionOptions = ExecutionOptions(),
                 progress: Progress = lambda label, done, total: None,
                 pacer: Pacer | None = None, ca_pacer: Pacer | None = None) -> None:
        self.plan = plan
        self.graph = graph
        self.arm = arm
        self.journal = journal
        self.requirements = requirements
        self.guard = guard
        # The plan may add protection, never remove it: what it protects stays protected too.
        self.plan_protects = plan.scope.protected_ids
        self.options = options
        self.progress = progress
        self.pacer = pacer or options.quota.pacer()
        self.ca_pacer = ca_pacer or Pacer(1.0, 1)  # graph-facts §5.3: 1 request/s per tenant

    def run(self) -> list[ItemReport]:
        reports: list[ItemReport] = []
        for item in self.plan.items:
            if item.kind is not Kind.AUTOMATED or (self.options.step is not None and int(item.step) != self.options.step):
                continue
            report = ItemReport(item.action_id, len(item.targets))
            reports.append(report)
            self._item(item, report)
        return reports

    # -- one item -------------------------------------------------------------------------------

    def _item(self, item: PlanItem, report: ItemReport) -> None:
        if item.planning_error:
            report.held(Hold.PLANNING_ERROR, f"it could not be planned ({item.planning_error})")
            return
        authority = self.guard.authority(item)
        if authority.refused or authority.effect is None:
            report.held(Hold.REFUSED, authority.refused)
            return
        if authority.opt_in == "--purge" and not self.options.purge:
            report.held(Hold.OPT_IN, "pass --purge to empty the recycle bin (irreversible)")
            return
        statuses = self.requirements(authority.requires) if authority.requires else {}
        unmet = [f"{c} is {statuses.get(c, Status.ERROR).value}" for c in authority.requires
                 if statuses.get(c) is not Status.PASS]
        if unmet:
            report.held(Hold.REQUIREMENTS, f"required checks must PASS first ({', '.join(unmet)})")
            return
        try:
            planned = self.guard.planned(item)
        except ClosegateError as exc:
            report.held(Hold.REFUSED, f"no fresh plan could be made from the tenant now ({exc.one_line()})")
            return
        self._apply(item, EFFECTS[authority.effect], planned, report)

    def _op(self, item: PlanItem, target: Target) -> str:
        return operation_id(self.plan.plan_hash, item.action_id, target.object_id)

    def _apply(self, item: PlanItem, effect: Effect, planned: Mapping[str, Target], report: ItemReport) -> None:
        state = self.journal.state
        pending = [t for t in item.targets if not state.done(self._op(item, t))]
        if len(pending) < len(item.targets):
            report.count(Outcome.DONE_EARLIER, n=len(item.targets) - len(pending))
        size = (self.options.window or self.options.quota.round_size()) if effect.batchable else 1
        done = len(item.targets) - len(pending)
        self.progress(item.title, done, len(item.targets))
        for start in range(0, len(pending), size):
            window = pending[start:start + size]
            self._window(item, effect, window, planned, report)
            done += len(window)
            self.progress(item.title, done, len(item.targets))

    def _window(self, item: PlanItem, effect: Effect, window: list[Target], planned: Mapping[str, Target],
                report: ItemReport) -> None:
        state = self.journal.state
        try:
            protected = self.guard.protected()
        except ClosegateError as exc:  # nobody can be told apart from the closing admin: nothing is written
            why = f"could not re-read who is protected: {exc.one_line()}"
            self.journal.append([self._result(item, t, Outcome.FAILED, why, False) for t in window])
            report.count(Outcome.FAILED, why, n=len(window))
            return
        protected = Protected(protected.ids | self.plan_protects, protected.app_id)
        current = self._reread(effect, window)
        decided: list[dict[str, Any]] = []
        ready: list[Target] = []
        for target in window:
            op = self._op(item, target)
            cur = current[target.object_id]
            outcome, reason, final = self._decide(effect, target, cur, state.interrupted(op), protected,
                                                  planned.get(target.object_id))
            if outcome is _WRITE:
                ready.append(planned[target.object_id])  # the request is built from the fresh target
                continue
            decided.append(self._result(item, target, outcome, reason, final))
            report.count(outcome, reason)
        self.journal.append(decided)
        if not ready:
            return
        self.journal.append([{"type": "intent", "op": self._op(item, t), "plan": self.plan.plan_hash,
                              "action": item.action_id, "object_id": t.object_id, "label": t.label,
                              "request": _describe(effect.write(t))} for t in ready])
        answers = self._write(effect, ready)
        results = []
        for target in ready:
            outcome, reason, final = answers[target.object_id]
            results.append(self._result(item, target, outcome, reason, final))
            report.count(outcome, reason)
        self.journal.append(results)

    def _result(self, item: PlanItem, target: Target, outcome: Outcome, reason: str, final: bool) -> dict[str, Any]:
        return {"type": "result", "op": self._op(item, target), "plan": self.plan.plan_hash,
                "action": item.action_id, "object_id": target.object_id, "outcome": outcome.value,
                "reason": reason, "final": final}

    def _decide(self, effect: Effect, target: Target, cur: Any, interrupted: bool, protected: Protected,
                fresh: Target | None) -> tuple[Outcome | None, str, bool]:
        if protected.refuses(target):
            return Outcome.REFUSED, PROTECTED, True
        if isinstance(cur, ClosegateError):
            return Outcome.FAILED, f"could not re-read it: {cur.one_line()}", False
        if cur is _GONE:
            if interrupted and effect.gone_means_done:
                return Outcome.ALREADY_DONE, "the interrupted earlier attempt had applied it", True
            return Outcome.SKIPPED, effect.missing_reason, effect.missing_is_final
        if protected.refuses(fresh or target, cur):  # whom the object belongs to, as the tenant says now
            return Outcome.REFUSED, PROTECTED, True
        changed = sorted(k for k, v in target.fields.items() if cur.get(k) != v)
        if changed:
            return Outcome.SKIPPED, f"changed since the plan ({', '.join(changed)})", True
        if effect.satisfied(cur):
            return Outcome.ALREADY_DONE, "the desired state already holds", True
        if fresh is None:
            return Outcome.REFUSED, UNPLANNED, True
        blocked = effect.blocked(cur)
        if blocked:
            return Outcome.SKIPPED, blocked, False
        return _WRITE, "", False

    # -- the wire -------------------------------------------------------------------------------

    def _client(self, effect: Effect) -> GraphClient:
        if effect.api == "arm":
            if self.arm is None:
                raise ClosegateError("no Azure Resource Manager client is configured", "configure the ARM endpoint")
            return self.arm
        return self.graph

    def _path(self, effect: Effect, request: Request) -> str:
        return request.path if effect.api == "arm" else f"/{effect.api}{request.path}"

    def _parse(self, effect: Effect, body: Any) -> Any:
        if not isinstance(body, dict):
            return ClosegateError("the re-read answer is not a JSON object", "report this response")
        if effect.reread_is_list and not (isinstance(body.get("value"), list) and body["value"]):
            return _GONE
        return effect.current(body)

    def _reread(self, effect: Effect, window: list[Target]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if effect.batchable:
            items = [BatchItem(str(n), "GET", effect.reread(t).path) for n, t in enumerate(window)]
            answers = BatchRunner(self.graph, api=effect.api).run(items)
            for n, target in enumerate(window):
                a = answers[str(n)]
                out[target.object_id] = (_GONE if a.status == 404 else a.error if a.error is not None
                                         else self._parse(effect, a.body))
            return out
        client = self._client(effect)
        for target in window:
            if effect.requests_per_second:
                self.ca_pacer.take(1)
            try:
                out[target.object_id] = self._parse(effect, client.get(self._path(effect, effect.reread(target))))
            except NotFound:
                out[target.object_id] = _GONE
            except ClosegateError as exc:
                if _missing(exc):
                    out[target.object_id] = _GONE
                else:
                    out[target.object_id] = exc
        return out

    def _write(self, effect: Effect, ready: list[Target]) -> dict[str, tuple[Outcome, str, bool]]:
        self.pacer.take(len(ready))
        out: dict[str, tuple[Outcome, str, bool]] = {}
        refused: list[Target] = []
        if effect.batchable:
            items = []
            for n, t in enumerate(ready):
                req = effect.write(t)
                items.append(BatchItem(str(n), req.method, req.path, body=req.body))
            answers = BatchRunner(self.graph, api=effect.api).run(items)
            for n, target in enumerate(ready):
                a = answers[str(n)]
                if a.ok:
                    out[target.object_id] = (Outcome.APPLIED, effect.accepted, True)
                elif a.status == 404 and items[n].method == "DELETE":
                    out[target.object_id] = (Outcome.ALREADY_DONE, "it was gone when the delete arrived", True)
                elif a.status == 403 and effect.fallback is not None:
                    refused.append(target)
                else:
                    out[target.object_id] = (Outcome.FAILED, a.error.one_line() if a.error else f"HTTP {a.status}", False)
        else:
            client = self._client(effect)
            for target in ready:
                if effect.requests_per_second:
                    self.ca_pacer.take(1)
                req = effect.write(target)
                try:
                    client.request(req.method, self._path(effect, req), json_body=req.body, idempotent=req.idempotent)
                    out[target.object_id] = (Outcome.APPLIED, effect.accepted, True)
                except PermissionDenied as exc:
                    if effect.fallback is not None:
                        refused.append(target)
                    else:
                        out[target.object_id] = (Outcome.FAILED, exc.one_line(), False)
                except ClosegateError as exc:
                    if not _definite(exc):
                        raise  # the request may have reached the tenant: leave the intent open for the re-check
                    out[target.object_id] = (Outcome.FAILED, exc.one_line(), False)
        for target in refused:
            assert effect.fallback is not None
            req = effect.fallback(target)
            try:
                self.graph.request(req.method, f"/{effect.api}{req.path}", json_body=req.body, idempotent=True)
                out[target.object_id] = (Outcome.DISABLED_INSTEAD, effect.fallback_note, True)
            except ClosegateError as exc:
                out[target.object_id] = (Outcome.FAILED, f"deletion refused and disabling failed: {exc.one_line()}", False)
        return out


def _missing(exc: ClosegateError) -> bool:
    """ARM answers 404 with its own codes (SubscriptionNotFound); any 404 on a re-read means gone."""
    return getattr(exc, "status", 0) == 404


def _definite(exc: ClosegateError) -> bool:
    """A 4xx answer means the tenant refused the request: nothing changed, so the result is certain."""
    status = getattr(exc, "status", 0)
    return 400 <= status < 500 and status != 429


def _describe(request: Request) -> dict[str, Any]:
    """What the intent records: the request, never a token (bodies here hold only target state)."""
    return {"method": request.method, "path": request.path,
            "body": json.loads(json.dumps(request.body)) if request.body is not None else None}
