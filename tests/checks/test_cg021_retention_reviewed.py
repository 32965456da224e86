from __future__ import annotations

from closegate.checks.retention_reviewed import retention_reviewed
from closegate.errors import PermissionDenied
from closegate.facts_records import Listing, RetentionEvent, RetentionLabel
from closegate.models import Status
from tests.fakes import NOW, FakeTenant, run_check

TAX = RetentionLabel("l1", "Tax records (7 years)", 2555, "retainAsRecord", "delete", "dateCreated")
PERSONNEL = RetentionLabel("l2", "Personnel file", None, "retain", "startDispositionReview", "dateOfEvent",
                           "Employee departure")
NOTHING = RetentionLabel("l3", "Label only", None, "doNotRetain", "none", "dateLabeled")
EVENT = RetentionEvent("e1", "Departure of a finance analyst", "Employee departure", NOW)


def test_passes_when_no_label_keeps_data_and_no_event_started() -> None:
    outcome = retention_reviewed(FakeTenant.ready(retention_labels=Listing((NOTHING,))))
    assert outcome.status is Status.PASS


def test_fails_advisory_naming_labels_that_keep_data_and_the_longest_span() -> None:
    outcome = retention_reviewed(FakeTenant.ready(retention_labels=Listing((TAX, PERSONNEL, NOTHING)),
                                                  retention_events=(EVENT,)))
    assert outcome.status is Status.FAIL
    assert outcome.message.startswith("2 retention labels keep data (forever); 1 retention events")
    assert [r["label"] for r in outcome.evidence["labels_keeping_data"]] == ["Tax records (7 years)", "Personnel file"]


def test_unreadable_labels_without_events_are_attest_and_with_events_a_failure() -> None:
    hidden = Listing[RetentionLabel](refusal="Application: Not supported")
    assert retention_reviewed(FakeTenant.ready(retention_labels=hidden)).status is Status.ATTEST
    outcome = retention_reviewed(FakeTenant.ready(retention_labels=hidden, retention_events=(EVENT,)))
    assert outcome.status is Status.FAIL and "retention labels not visible" in outcome.message


def test_errors_when_events_cannot_be_read() -> None:
    result = run_check(retention_reviewed, FakeTenant.ready(failing={"retention_events": PermissionDenied("403")}))
    assert result.status is Status.ERROR and not result.blocking
