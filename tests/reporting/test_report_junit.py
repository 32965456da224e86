from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from closegate.models import Status
from closegate.reporting.junit import render_junit
from tests.reporting import runs


def cases(xml: bytes) -> dict[str, ET.Element]:
    root = ET.fromstring(xml)
    return {case.get("name", "").split()[0]: case for case in root.iter("testcase")}


def test_one_testcase_per_check_with_status_mapping() -> None:
    record = runs.demo()
    xml = render_junit(record)
    found = cases(xml)
    assert list(found) == [r.check_id for r in record.results]
    assert found["CG-001"].find("*") is None
    assert found["CG-004"].find("failure").get("type") == "check-failed"  # type: ignore[union-attr]
    assert found["CG-013"].find("failure") is None  # an attestation is owed, nothing failed
    assert found["CG-013"].find("skipped").get("type") == "attestation-required"  # type: ignore[union-attr]
    assert found["CG-008"].find("skipped") is not None
    suite = ET.fromstring(xml).find("testsuite")
    attest = sum(1 for r in record.results if r.status.value == "ATTEST")
    blocking_fails = sum(1 for r in record.results if r.status.value == "FAIL" and r.blocking)
    assert suite is not None and suite.get("tests") == "8" and suite.get("failures") == str(blocking_fails)
    assert suite.get("skipped") == str(attest + 1)
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["run_id"] == record.run_id and properties["tenant_id"] == record.tenant.id
    assert properties["verdict"] == "NOT_READY"


def test_an_advisory_failure_does_not_fail_the_pipeline() -> None:
    record = runs.demo()
    advisory = replace(record.results[0], status=Status.FAIL, blocking=False, message="the recycle bin holds 3 users")
    found = cases(render_junit(replace(record, results=(advisory, *record.results[1:]))))
    case = found[advisory.check_id]
    assert case.find("failure") is None and case.find("error") is None
    assert "advisory" in (case.findtext("system-out") or "") and "recycle bin" in (case.findtext("system-out") or "")


def test_error_becomes_error_element() -> None:
    found = cases(render_junit(runs.cannot_determine()))
    error = found["CG-003"].find("error")
    assert error is not None and error.get("type") == "PermissionDenied"
    assert "RoleManagement.Read.Directory" in (error.get("message") or "")


def test_hostile_strings_keep_the_xml_well_formed() -> None:
    record = runs.hostile()
    root = ET.fromstring(render_junit(record))
    properties = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert "<script>alert(1)</script>" in (properties["tenant_name"] or "")
    assert "\ufffd" in (properties["tenant_name"] or "")  # control characters replaced, not written raw
    assert len(list(root.iter("testcase"))) == len(record.results)
