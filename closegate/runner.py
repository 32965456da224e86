"""Runs the check catalog against a tenant and produces the run record: the one place ERROR is born.

A check only ever PASSes, FAILs, asks for an attestation or says it does not apply. Whatever stops it
from deciding (a permission the token lacks, found before it runs; a ClosegateError it raised; any
other exception) becomes ERROR here, naming the cause and the fix, so ERROR can never be confused
with PASS and no check has to handle it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from closegate import __version__, permissions
from closegate.attestations import Attestation, latest_valid
from closegate.digests import RecordingReader
from closegate.errors import AuthError, ClosegateError, ConfigError
from closegate.facts import CALLER, ORGANIZATION, Caller, Fact, TenantReader
from closegate.models import (
    CheckResult,
    ClosureDate,
    Outcome,
    RunRecord,
    Status,
    TenantInfo,
    Verdict,
    verdict_of,
)
from closegate.registry import Catalog, CheckSpec

__all__ = ["Progress", "RunSettings", "run"]

Progress = Callable[[str, int, int], None]  # (what is happening, done, total)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _no_progress(label: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class RunSettings:
    only: Collection[str] = ()
    skip: Collection[str] = ()
    attestations: Sequence[Attestation] = ()
    tenant_id: str = ""  # from the configuration, used if the organization cannot be read
    cloud: str = "global"
    clock: Callable[[], datetime] = _utc_now
    request_stats: Callable[[], Mapping[str, Any]] = dict
    progress: Progress = _no_progress
    prefetch_workers: int = 4
    # Set for an offline run (closegate.backup.offline): where the facts came from, recorded in the run.
    # No token exists then, so no permission is preflighted and an unknown caller stops no check: each
    # check meets what the backup lacks itself, as an ERROR naming it.
    offline: Mapping[str, str] | None = None


def _selected(catalog: Catalog, only: Collection[str], skip: Collection[str]) -> tuple[CheckSpec, ...]:
    unknown = sorted((set(only) | set(skip)) - set(catalog.ids))
    if unknown:
        raise ConfigError(
            f"unknown check id {', '.join(unknown)}", "use ids from the catalog, e.g. CG-001 (see `closegate audit --help`)"
        )
    both = sorted(set(only) & set(skip))
    if both:
        raise ConfigError(f"{', '.join(both)} is both in --only and in --skip",
                          "name each check in one of them (--only runs just those; --skip leaves those out)")
    return tuple(s for s in catalog if (not only or s.id in only) and s.id not in skip)


def _prefetch(tenant: TenantReader, specs: Sequence[CheckSpec], settings: RunSettings) -> None:
    """Read every fact the selected checks name, concurrently, so checks that share a fact read it once."""
    wanted = list(dict.fromkeys(fact for s in specs for fact in s.reads))
    done = 0

    def warm(fact: Fact[Any]) -> str:
        try:
            tenant.read(fact)
        except Exception:  # noqa: BLE001 - the check reading it again will meet it and be recorded
            pass
        return fact.name

    settings.progress("loading tenant facts", 0, len(wanted))
    with ThreadPoolExecutor(max_workers=max(1, settings.prefetch_workers)) as pool:
        for name in pool.map(warm, wanted):
            done += 1
            settings.progress(f"loaded {name.replace('_', ' ')}", done, len(wanted))


def _error(spec: CheckSpec, kind: str, cause: str, fix: str, duration_ms: int = 0) -> CheckResult:
    return CheckResult(
        check_id=spec.id, title=spec.title, check_version=spec.version, step=spec.step,
        severity=spec.severity, blocking=spec.blocking, status=Status.ERROR,
        message=f"could not decide: {cause}", evidence={}, doc_url=spec.doc_url,
        fix=fix or spec.fix, duration_ms=duration_ms, error={"kind": kind, "cause": cause, "fix": fix},
        why=spec.why, records=spec.records, legal_signoff=spec.legal_signoff,
    )


def _result(spec: CheckSpec, outcome: Outcome, duration_ms: int, attestation: Attestation | None) -> CheckResult:
    status, message, evidence = outcome.status, outcome.message, dict(outcome.evidence)
    if attestation is not None:
        status = Status.PASS
        message = f"attested by {attestation.by} on {attestation.when:%Y-%m-%d}: {attestation.statement}"
        evidence["attestation"] = attestation.to_json()
    return CheckResult(
        check_id=spec.id, title=spec.title, check_version=spec.version, step=spec.step,
        severity=spec.severity, blocking=spec.blocking, status=status, message=message,
        evidence=evidence, doc_url=spec.doc_url, fix=spec.fix, duration_ms=duration_ms,
        blocked_until=outcome.blocked_until, blocked_because=outcome.blocked_because,
        attestation=attestation.to_json() if attestation is not None else None,
        why=spec.why, records=spec.records, legal_signoff=spec.legal_signoff,
    )


def _granted(caller: Caller) -> frozenset[str]:
    granted = set(caller.permissions)
    if caller.arm_access is not False:  # None: not determined; the check itself will meet any denial
        granted.add(permissions.ARM_ACCESS)
    return frozenset(granted)


def _preflight(spec: CheckSpec, caller: Caller) -> CheckResult | None:
    lacking = permissions.missing(_granted(caller), "audit", [spec])
    if not lacking:
        return None
    names = ", ".join(n.permission if n.resource == "graph" else "Azure Resource Manager read access" for n in lacking)
    cause = f"the caller lacks {names}, which this check needs"
    return _error(spec, "PermissionPreflight", cause, "; ".join(permissions.grant_fix(n, caller.app_id) for n in lacking))


def _run_one(spec: CheckSpec, tenant: TenantReader, caller: Caller | None, settings: RunSettings,
             now: datetime) -> CheckResult:
    denied = _preflight(spec, caller) if caller is not None else None
    if denied is not None:
        return denied
    began = time.perf_counter()

    def elapsed() -> int:
        return int((time.perf_counter() - began) * 1000)

    try:
        outcome: object = spec.function(tenant)  # a plugin's check may return anything: judged below
    except ClosegateError as exc:
        return _error(spec, type(exc).__name__, exc.cause, exc.fix, elapsed())
    except Exception as exc:  # noqa: BLE001 - a broken check must be ERROR, never a crash or a PASS
        return _error(
            spec, "CheckCrashed", f"check {spec.id} failed with {type(exc).__name__}",
            "report this as a closegate bug with the run record attached", elapsed(),
        )
    if not isinstance(outcome, Outcome):
        return _error(spec, "CheckCrashed", f"check {spec.id} returned {type(outcome).__name__}, not an Outcome",
                      "report this as a closegate bug")
    attestation = None
    if outcome.status is Status.ATTEST and spec.attestable:
        attestation = latest_valid(settings.attestations, spec.id, now)
    return _result(spec, outcome, elapsed(), attestation)


def _closure(results: Sequence[CheckResult], complete: bool, tenant_now: datetime | None) -> ClosureDate:
    dated = sorted(
        (r for r in results if r.status is Status.FAIL and r.blocking and r.blocked_until is not None),
        key=lambda r: r.blocked_until,  # type: ignore[arg-type, return-value]
        reverse=True,
    )
    if dated:
        last = dated[0]
        assert last.blocked_until is not None
        return ClosureDate(
            last.blocked_until,
            f"blocked until {last.blocked_until:%Y-%m-%d} because {last.blocked_because}",
            tuple(r.check_id for r in dated),
        )
    verdict = verdict_of(results, complete=complete)
    if verdict is Verdict.READY:
        return ClosureDate(tenant_now, "nothing in the facts delays the deletion")
    failing = [r.check_id for r in results if r.blocking and r.status is Status.FAIL]
    if failing:
        return ClosureDate(None, f"no date limit is known; {len(failing)} blocking checks must be fixed first",
                           tuple(failing))
    return ClosureDate(None, "cannot be computed until every check is decided on a complete run")


def _caller_json(caller: Caller | None) -> dict[str, Any]:
    if caller is None:
        return {}
    return {
        "kind": caller.kind, "object_id": caller.object_id, "display_name": caller.display_name,
        "user_principal_name": caller.user_principal_name, "app_id": caller.app_id,
        "role_template_ids": sorted(caller.role_template_ids), "permissions": sorted(caller.permissions),
        "arm_access": caller.arm_access, "is_global_admin": caller.is_global_admin,
    }


def run(tenant: TenantReader, catalog: Catalog, settings: RunSettings | None = None) -> RunRecord:
    """Run the selected checks and return the record. Raises only when the run cannot start at all
    (an unknown check id, a configuration or sign-in error met while identifying the caller)."""
    settings = settings or RunSettings()
    specs = _selected(catalog, settings.only, settings.skip)
    # Everything the runner and the checks read is digested, so `close` can tell whether the tenant
    # changed since a signed run (closegate.digests); the prefetch only warms the facade's cache.
    reader = RecordingReader(tenant)
    started = settings.clock()
    settings.progress("identifying the caller", 0, 1)
    caller: Caller | None = None
    caller_error: ClosegateError | None = None
    try:
        caller = reader.read(CALLER)
    except (AuthError, ConfigError):
        raise
    except ClosegateError as exc:
        caller_error = exc
    info = TenantInfo(settings.tenant_id, "", "", settings.cloud)
    try:
        org = reader.read(ORGANIZATION)
        info = TenantInfo(org.id, org.display_name, org.primary_domain, settings.cloud)
    except ClosegateError:
        pass  # the checks that read the organization record the cause
    _prefetch(tenant, specs, settings)
    results: list[CheckResult] = []
    for index, spec in enumerate(specs):
        settings.progress(f"{spec.id} {spec.title}", index, len(specs))
        if caller is None and settings.offline is None:
            assert caller_error is not None
            results.append(_error(spec, type(caller_error).__name__,
                                  f"could not identify the caller: {caller_error.cause}", caller_error.fix))
            continue
        results.append(_run_one(spec, reader, caller, settings, started))
    settings.progress("done", len(specs), len(specs))
    try:
        tenant_now: datetime | None = reader.now()
    except ClosegateError:
        tenant_now = None
    complete = not settings.only and not settings.skip
    return RunRecord(
        tool_version=__version__,
        tenant=info,
        caller=_caller_json(caller),
        started=started,
        ended=settings.clock(),
        tenant_clock=tenant_now,
        results=tuple(results),
        complete=complete,
        selection={"only": sorted(settings.only), "skip": sorted(settings.skip), "catalog": list(catalog.ids)},
        request_stats=dict(settings.request_stats()),
        earliest_closure=_closure(results, complete, tenant_now),
        fact_digests=reader.digests(),
        offline=dict(settings.offline) if settings.offline is not None else None,
    )
