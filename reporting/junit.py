"""JUnit XML for CI: one test case per check, so a pipeline shows a failing check like a failing test.

Mapping: a blocking FAIL -> failure; ERROR -> error (it keeps the gate shut, advisory or not); ATTEST ->
skipped, "attestation required" (nothing failed: a person must record what no API can see); an
advisory FAIL -> a passing case whose system-out says "advisory" (it never gates the delete, so a
pipeline must not go red on it); NOT_APPLICABLE -> skipped; PASS -> a plain passing case. Tenant
strings go through `reporting.text.xml_safe`: ElementTree escapes markup but would write characters
XML forbids, which makes the whole file unparsable.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from closegate.models import CheckResult, RunRecord, Status
from closegate.reporting.text import clip, xml_safe

__all__ = ["render_junit"]

_TEXT_CHARS = 10_000


def _safe(text: str, limit: int = _TEXT_CHARS) -> str:
    return xml_safe(clip(text, limit))


def _case(suite: ET.Element, result: CheckResult) -> None:
    case = ET.SubElement(suite, "testcase", {
        "classname": f"closegate.step{int(result.step)}",
        "name": _safe(f"{result.check_id} {result.title}", 500),
        "time": f"{result.duration_ms / 1000:.3f}",
    })
    detail = _safe(f"{result.message}\nfix: {result.fix}\ndoc: {result.doc_url}")
    if result.status is Status.FAIL and result.blocking:
        ET.SubElement(case, "failure", {"message": _safe(result.message, 1000), "type": "check-failed"}).text = detail
    elif result.status is Status.FAIL:
        ET.SubElement(case, "system-out").text = _safe(f"advisory (does not gate the delete): {detail}")
    elif result.status is Status.ATTEST:
        ET.SubElement(case, "skipped", {"message": _safe(f"attestation required: {result.message}", 1000),
                                        "type": "attestation-required"})
    elif result.status is Status.ERROR:
        error = result.error or {}
        ET.SubElement(case, "error", {"message": _safe(str(error.get("cause", result.message)), 1000),
                                      "type": _safe(str(error.get("kind", "error")), 100)}).text = _safe(
            f"{result.message}\nfix: {error.get('fix', '') or result.fix}")
    elif result.status is Status.NOT_APPLICABLE:
        ET.SubElement(case, "skipped", {"message": _safe(result.message, 1000)})


def render_junit(record: RunRecord, *, run_id: str | None = None) -> bytes:
    """The run as a JUnit XML document (UTF-8 bytes with an XML declaration)."""
    results = record.results
    count = {status: sum(1 for r in results if r.status is status) for status in Status}
    suites = ET.Element("testsuites", {"name": "closegate"})
    suite = ET.SubElement(suites, "testsuite", {
        "name": _safe(f"closegate readiness: {record.tenant.name or record.tenant.id}", 300),
        "tests": str(len(results)),
        "failures": str(sum(1 for r in results if r.status is Status.FAIL and r.blocking)),
        "errors": str(count[Status.ERROR]),
        "skipped": str(count[Status.NOT_APPLICABLE] + count[Status.ATTEST]),
        "time": f"{(record.ended - record.started).total_seconds():.3f}",
        "timestamp": record.started.strftime("%Y-%m-%dT%H:%M:%S"),
    })
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("run_id", run_id or record.run_id),
        ("verdict", record.verdict.value),
        ("tenant_id", record.tenant.id),
        ("tenant_name", record.tenant.name),
        ("primary_domain", record.tenant.primary_domain),
        ("cloud", record.tenant.cloud),
        ("tool_version", record.tool_version),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": _safe(value, 1000)})
    for result in results:
        _case(suite, result)
    ET.indent(suites)
    document: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return document + b"\n"
