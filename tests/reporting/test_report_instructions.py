"""What a person must do is shown whole: fixes, "Where to look" and the steps that resolve an error."""

from __future__ import annotations

import html as html_module
import re

from closegate.models import Status, Step
from closegate.reporting.html import render_html
from closegate.reporting.instructions import RUN_CHARS, whole
from tests.reporting import runs

# Longer than any evidence value the report shows before it clips (reporting.text.clip).
_STEPS = " ".join(f"step {n}: open Microsoft Entra admin center > Identity > Users > All users and select row {n};"
                  for n in range(60))
_PLACES = [{"what": "eDiscovery (Standard) cases", "where": "Microsoft Purview portal > eDiscovery > Cases "
            + "> Hold " * 40, "why": "a hold keeps mailboxes " * 20}]


def _text(page: str) -> str:
    """The page's text as a reader sees it: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_fix_where_to_look_and_an_errors_fix_are_never_cut() -> None:
    assert len(_STEPS) > 4000
    record = runs.record((
        runs.result("CG-013", Step.DELETE_DIRECTORY, Status.ATTEST, "attest it", {"where_to_look": _STEPS},
                    fix=_STEPS),
        runs.result("CG-020", Step.DELETE_DIRECTORY, Status.ATTEST, "attest the places", {"where_to_look": _PLACES}),
        runs.result("CG-003", Step.DELETE_USERS, Status.ERROR, "could not decide",
                    error={"kind": "PermissionDenied", "cause": "no role", "fix": _STEPS}),
    ))
    text = _text(render_html(record))
    assert text.count(_STEPS) == 3  # the fix and Where to look of CG-013, the fix of CG-003's error
    assert " ".join(_PLACES[0]["where"].split()) in text and " ".join(_PLACES[0]["why"].split()) in text
    assert "more characters" not in text


def test_only_an_unbroken_run_no_instruction_has_is_cut_and_says_how_much() -> None:
    hostile = "A" * 10_000
    shown = whole(f"delete {hostile} then sign out")
    assert shown.startswith("delete " + "A" * RUN_CHARS + "\u2026 (9,600 more characters)")
    assert shown.endswith(" then sign out")
    url = "https://learn.microsoft.com/en-us/purview/ediscovery-create-holds#" + "x" * 100
    assert whole(url) == url
