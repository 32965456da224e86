from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from closegate.attestations import Attestation
from closegate.errors import PermissionDenied
from closegate.gate import decide
from closegate.models import RunRecord, Severity, Step, passed
from closegate.registry import Catalog, catalog, check, spec_of
from closegate.runner import RunSettings, run
from tests.fakes import ADMIN, ATTESTED_READY, NOW, BackedUpTenant, user

FULL = catalog(plugins=False)
SIGNED = tuple(Attestation(i, "checked", "Dana", NOW - timedelta(hours=1)) for i in ATTESTED_READY)
MAX_AGE = timedelta(minutes=15)


def record_of(tenant: BackedUpTenant | None = None, **changes: object) -> RunRecord:
    settings = replace(RunSettings(clock=lambda: NOW, attestations=SIGNED), **changes)  # type: ignore[arg-type]
    return run(tenant or BackedUpTenant(), FULL, settings)


def shut(record: RunRecord, **kw: object) -> tuple[str, ...]:
    decision = decide(record, kw.pop("catalog", FULL), now=kw.pop("now", NOW + timedelta(minutes=1)),  # type: ignore[arg-type]
                      max_age=MAX_AGE, **kw)  # type: ignore[arg-type]
    assert not decision.open
    return decision.reasons


def test_opens_for_a_fresh_complete_all_pass_run() -> None:
    decision = decide(record_of(), FULL, now=NOW + timedelta(minutes=1), max_age=MAX_AGE, attestations=SIGNED)
    assert decision.open and decision.reasons == ()


def test_stays_shut_for_a_partial_run() -> None:
    assert any("partial (--skip CG-018)" in r for r in shut(record_of(skip={"CG-018"})))


def test_stays_shut_for_a_stale_run() -> None:
    reasons = shut(record_of(), now=NOW + timedelta(minutes=16))
    assert reasons == ("the run is stale: it ended 2026-03-01T12:00:00Z, 16 minutes ago, over the 15-minute limit",)


def test_stays_shut_for_a_run_from_the_future() -> None:
    assert "in the future" in shut(record_of(), now=NOW - timedelta(hours=1))[0]


def test_stays_shut_when_a_blocking_catalog_check_is_missing_from_the_run() -> None:
    @check(id="CG-970", title="new blocker", severity=Severity.HIGH, blocking=True, step=Step.BACKUP,
           permissions=(), doc_url="https://x", why="w", fix="f")
    def newer(tenant: object) -> object:
        return passed("ok")

    bigger = Catalog(FULL.checks + (spec_of(newer),))
    assert shut(record_of(), catalog=bigger) == ("CG-970 (new blocker) is not in the run",)


def test_stays_shut_when_a_check_ran_an_older_version() -> None:
    record = record_of()
    old = replace(record, results=tuple(replace(r, check_version="0") if r.check_id == "CG-004" else r
                                        for r in record.results))
    assert shut(old) == ("CG-004 ran as version 0, the catalog has version 1",)


def test_stays_shut_for_any_error_even_advisory() -> None:
    tenant = BackedUpTenant().with_(failing={"deleted_users": PermissionDenied("403 on deletedItems")})
    assert shut(record_of(tenant)) == ("CG-017 could not be decided: 403 on deletedItems",)


def test_stays_shut_for_an_unattested_item() -> None:
    reasons = shut(record_of(attestations=tuple(a for a in SIGNED if a.item != "CG-015")))
    assert reasons == ("CG-015 needs an attestation: record one with `closegate attest CG-015 --by 'NAME (ROLE)' "
                       "--statement 'WHAT WAS CHECKED AND FOUND'`, then audit again with `closegate audit`",)


def test_stays_shut_for_a_failure_and_lists_every_reason() -> None:
    tenant = BackedUpTenant().with_(users=(ADMIN, user("bob@contoso.com")))
    reasons = shut(record_of(tenant, skip={"CG-017"}), now=NOW + timedelta(hours=1))
    assert len(reasons) == 3
    assert reasons[2].startswith("CG-004 failed: 1 users besides the closing administrator remain")


def test_stays_shut_when_an_attestation_used_expired_or_was_removed() -> None:
    record = record_of()
    assert shut(record, attestations=SIGNED[1:]) == ("CG-013's attestation is no longer in the attestations file",)
    expiring = tuple(replace(a, expires=NOW + timedelta(seconds=30)) for a in SIGNED)
    assert len(shut(record_of(attestations=expiring), attestations=expiring)) == len(SIGNED)


def test_sign_offs_are_a_separate_input_that_can_keep_it_shut() -> None:
    class NoSignoffs:
        def reasons(self, run_id: str, now: datetime) -> tuple[str, ...]:
            return (f"0 of 1 required sign-offs are bound to run {run_id[:12]}",)

        def legal(self, run_id: str, now: datetime) -> tuple[object, ...]:
            return ()

    record = record_of()
    assert shut(record, signoffs=NoSignoffs()) == (f"0 of 1 required sign-offs are bound to run {record.run_id[:12]}",)


def test_decide_is_pure_and_does_not_change_the_record() -> None:
    record = record_of()
    before = record.canonical_bytes()
    decide(record, FULL, now=NOW, max_age=MAX_AGE)
    assert record.canonical_bytes() == before


# -- close decides from the audit it runs right before acting (issue 18) ----------------------------


def test_opens_when_the_audit_just_run_matches_the_signed_run() -> None:
    record, fresh = record_of(), record_of()
    assert fresh.fact_digests == record.fact_digests and "users" in record.fact_digests
    decision = decide(record, FULL, now=NOW + timedelta(minutes=1), max_age=MAX_AGE, attestations=SIGNED, fresh=fresh)
    assert decision.open, decision.reasons


def test_stays_shut_when_a_fact_a_check_reads_changed_though_every_check_still_passes() -> None:
    renamed = BackedUpTenant().with_(users=(replace(ADMIN, display_name="Someone else now"),))
    fresh = record_of(renamed)
    assert fresh.verdict is record_of().verdict
    assert shut(record_of(), fresh=fresh) == ("users changed since the signed run: 1 then, 1 now",)


def test_stays_shut_when_the_audit_just_run_is_not_ready_and_says_what_changed() -> None:
    grown = BackedUpTenant().with_(users=(ADMIN, user("bob@contoso.com")))
    reasons = shut(record_of(), fresh=record_of(grown))
    assert reasons[0].startswith("the audit just run: CG-004 failed: 1 users besides the closing administrator remain")
    assert "the audit just run says NOT READY (the signed run says READY): the tenant is not ready" in reasons
    assert "users changed since the signed run: 1 then, 2 now" in reasons


def test_a_forged_ready_run_cannot_stand_in_for_a_tenant_that_is_not_ready() -> None:
    """A run record edited to READY (its tag defeated) still meets the tenant: the fresh audit decides."""
    grown = BackedUpTenant().with_(users=(ADMIN, user("bob@contoso.com")))
    not_ready = record_of(grown)
    forged = replace(record_of(), fact_digests=not_ready.fact_digests)  # READY results, the real tenant's facts
    reasons = shut(forged, fresh=record_of(grown))
    assert any(r.startswith("the audit just run: CG-004 failed") for r in reasons)
    assert "the audit just run says NOT READY (the signed run says READY): the tenant is not ready" in reasons


def test_stays_shut_when_a_check_version_differs_from_the_signed_run() -> None:
    record = record_of()
    older = replace(record, results=tuple(replace(r, check_version="0") if r.check_id == "CG-004" else r
                                          for r in record.results))
    reasons = shut(older, fresh=record_of())
    assert "CG-004 ran as version 0 in the signed run and as version 1 now: audit and sign again" in reasons


def test_a_fact_either_run_could_not_read_cannot_be_compared() -> None:
    failing = BackedUpTenant().with_(failing={"deleted_users": PermissionDenied("403 on deletedItems")})
    reasons = shut(record_of(), fresh=record_of(failing))
    assert "deleted users cannot be compared with the signed run: it could not be read (PermissionDenied)" in reasons


OFFLINE = {"backup": "/srv/backup", "manifest_sha256": "ab" * 32, "taken": "2026-03-01T11:00:00Z",
           "tenant_id": "t"}


def test_stays_shut_for_a_ready_run_evaluated_offline_from_a_backup() -> None:
    offline = record_of(offline=OFFLINE)
    assert offline.verdict is record_of().verdict and offline.offline == OFFLINE
    reasons = shut(offline, attestations=SIGNED)
    assert reasons == ("the run was evaluated offline from the backup in /srv/backup (manifest sha256 "
                       "abababababababab): it says what the tenant was, not what it is; audit the live tenant",)


def test_stays_shut_when_the_audit_run_before_acting_was_offline() -> None:
    reasons = shut(record_of(), attestations=SIGNED, fresh=record_of(offline=OFFLINE))
    assert any(r.startswith("the audit just run was evaluated offline") for r in reasons)


def test_an_unattested_item_names_the_complete_commands_shell_quoted() -> None:
    from closegate.gate import Commands

    record = record_of(attestations=())
    reasons = shut(record, commands=Commands("/my configs/closegate.toml", "out dir", "out dir/run.json"))
    attest = next(r for r in reasons if r.startswith("CG-013 needs an attestation"))
    assert attest == ("CG-013 needs an attestation: record one with `closegate attest CG-013 --config "
                      "'/my configs/closegate.toml' --by 'NAME (ROLE)' --statement 'WHAT WAS CHECKED AND FOUND'`, "
                      "then audit again with `closegate audit --config '/my configs/closegate.toml' --out 'out dir'`")
