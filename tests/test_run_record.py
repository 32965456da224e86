from __future__ import annotations

import json
from datetime import timedelta
from importlib import resources

import jsonschema
import pytest

from closegate.attestations import Attestation
from closegate.errors import IntegrityError
from closegate.models import RunRecord, Status, bounded
from closegate.registry import catalog
from closegate.runner import RunSettings, run
from tests.fakes import ADMIN, NOW, BackedUpTenant, FakeTenant, user

SCHEMA = json.loads(resources.files("closegate").joinpath("schemas/run-record.schema.json").read_text("utf-8"))


def a_record(tenant: FakeTenant | None = None) -> RunRecord:
    attested = (Attestation("CG-013", "none", "Dana", NOW - timedelta(hours=1)),)
    stats = {"totals": {"requests": 12, "throttled": 1}, "token_requests": 1, "endpoints": {}}
    settings = RunSettings(clock=lambda: NOW, attestations=attested, request_stats=lambda: stats)
    return run(tenant or FakeTenant.ready().with_(users=(ADMIN, user("bob@contoso.com"))),
               catalog(plugins=False), settings)


def test_a_real_run_validates_against_the_schema() -> None:
    for record in (a_record(), a_record(BackedUpTenant())):
        jsonschema.validate(record.to_json(), SCHEMA)


def test_round_trips_and_keeps_its_run_id() -> None:
    record = a_record()
    again = RunRecord.from_json(json.loads(record.dumps()))
    assert again == record and again.run_id == record.run_id
    assert again.result("CG-013").status is Status.PASS


def test_run_id_is_the_sha256_of_the_canonical_form_without_run_id() -> None:
    import hashlib

    data = a_record().to_json()
    run_id = data.pop("run_id")
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert hashlib.sha256(canonical).hexdigest() == run_id


def test_a_changed_record_is_refused() -> None:
    data = a_record().to_json()
    data["results"][0]["status"] = "PASS" if data["results"][0]["status"] != "PASS" else "FAIL"
    with pytest.raises(IntegrityError):
        RunRecord.from_json(data)


def test_records_the_tenant_caller_times_stats_and_full_evidence() -> None:
    data = a_record().to_json()
    assert data["tenant"]["primary_domain"] == "contoso.onmicrosoft.com"
    assert data["caller"]["user_principal_name"] == ADMIN.user_principal_name
    assert data["tenant_clock"] == "2026-03-01T12:00:00Z"
    assert data["request_stats"]["totals"]["throttled"] == 1
    cg004 = next(r for r in data["results"] if r["check_id"] == "CG-004")
    assert cg004["evidence"]["users"][0]["user_principal_name"] == "bob@contoso.com"
    assert data["check_versions"]["CG-004"] == "1"


def test_bounded_evidence_says_how_many_were_left_out() -> None:
    assert bounded(list(range(25)), 10) == (list(range(10)), 15)
    assert bounded([1], 10) == ([1], 0)
