"""The HTML report in a real browser (headless Chromium, tests/reporting/browser.py): the hostile run's
report filters and searches, runs no script it did not ship, fetches nothing, and turns dark on request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from closegate.reporting.html import render_html, script
from tests.reporting import runs
from tests.reporting.browser import Page, chromium

# Set before the report's own code (Page.addScriptToEvaluateOnNewDocument is the browser's, not the
# page's, so the report's Content-Security-Policy does not stop it): it records every CSP violation,
# which is what an injected script or handler would cause, and every dialog an injected alert() opens.
_WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""
_SHOWN = "Array.from(document.querySelectorAll('%s')).filter(e => getComputedStyle(e).display !== 'none')"


def _open(page: Page, url: str) -> None:
    for domain in ("Page", "Runtime", "Network", "Debugger", "Log"):
        page.send(f"{domain}.enable")
    page.send("Page.addScriptToEvaluateOnNewDocument", {"source": _WATCH})
    page.open(url)


def _click(page: Page, selector: str) -> None:
    """A real mouse click at the middle of the element, as a reader's."""
    box = page.evaluate(f"(() => {{ const e = document.querySelector({selector!r}); "
                        "e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect(); "
                        "return [r.x + r.width / 2, r.y + r.height / 2]; })()")
    for kind in ("mousePressed", "mouseReleased"):
        page.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left",
                                               "clickCount": 1})


def _shown_checks(page: Page) -> list[str]:
    found: list[str] = page.evaluate(f"{_SHOWN % 'article.check-detail'}.map(e => e.dataset.check)")
    return found


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, loopback_spy: tuple[int, list[str]]) -> Iterator[
        tuple[Page, str, list[str]]]:
    """The hostile run's report open in Chromium: (page, its file URL, the loopback spy's hits)."""
    port, hits = loopback_spy
    folder = tmp_path_factory.mktemp("browser")
    path = folder / "report.html"
    path.write_text(render_html(runs.hostile(port)), encoding="utf-8")
    with chromium(folder / "profile") as page:
        _open(page, path.as_uri())
        yield page, path.as_uri(), hits


def test_the_page_runs_its_own_script_and_no_script_a_tenant_string_holds(report: tuple[Page, str, list[str]]) -> None:
    page, url, _ = report
    assert page.evaluate(f"document.documentElement.hasAttribute({runs.PWNED!r})") is False
    assert page.evaluate("window.__violations") == []  # nothing injected even tried to run or load
    assert page.of("Page.javascriptDialogOpening") == []  # no alert(1)
    injected = "img, link, iframe, object, embed, [onerror], [onload]"
    assert page.evaluate(f"document.querySelectorAll({injected!r}).length") == 0
    scripts = page.evaluate("Array.from(document.scripts).map(s => s.textContent)")
    assert scripts == [script()]
    compiled = [s for s in page.of("Debugger.scriptParsed") if s["url"] == url]
    assert len(compiled) == 1
    assert page.evaluate("document.getElementById('search-panel').hidden") is False  # the shipped script ran


def test_opening_the_report_fetches_nothing(report: tuple[Page, str, list[str]]) -> None:
    page, url, hits = report
    requested = [r["request"]["url"] for r in page.of("Network.requestWillBeSent")]
    assert requested == [url]
    assert hits == []
    assert page.of("Network.loadingFailed") == []


def test_the_status_filter_shows_only_the_checks_of_that_status(report: tuple[Page, str, list[str]]) -> None:
    page, _, _ = report
    everything = _shown_checks(page)
    assert everything == ["CG-001", "CG-004", "CG-006", "CG-013", "CG-015"]
    _click(page, "label[for=show-fail]")
    assert page.evaluate("document.getElementById('show-fail').checked") is True
    assert _shown_checks(page) == ["CG-004", "CG-006"]
    rows: list[str] = page.evaluate(f"{_SHOWN % 'tr.check-row'}.map(e => e.dataset.check)")
    assert rows == ["CG-004", "CG-006"]
    _click(page, "label[for=show-error]")
    assert _shown_checks(page) == ["CG-013"]
    _click(page, "label[for=show-all]")
    assert _shown_checks(page) == everything


def test_search_narrows_the_checks_to_those_that_mention_the_text(report: tuple[Page, str, list[str]]) -> None:
    page, _, _ = report
    page.evaluate("document.getElementById('search').focus()")
    page.send("Input.insertText", {"text": "learn.microsoft.com.evil"})
    assert _shown_checks(page) == ["CG-006"]
    assert page.evaluate("document.getElementById('search-count').textContent") == "1 of 5 checks match"
    page.evaluate("document.getElementById('search').select()")
    page.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Backspace", "code": "Backspace",
                                         "windowsVirtualKeyCode": 8})
    page.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": "Backspace", "code": "Backspace",
                                         "windowsVirtualKeyCode": 8})
    assert page.evaluate("document.getElementById('search').value") == ""
    assert len(_shown_checks(page)) == 5
    assert page.evaluate("window.__violations") == []  # what was typed ran nothing either


def test_evidence_folds_away_and_opens(report: tuple[Page, str, list[str]]) -> None:
    page, _, _ = report
    selector = "#check-CG-004 details.evidence-block"
    opened = page.evaluate(f"document.querySelector({selector!r}).open")
    _click(page, f"{selector} > summary")
    assert page.evaluate(f"document.querySelector({selector!r}).open") is (not opened)


def _colours(page: Page) -> Any:
    return page.evaluate("[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]")


def _luminance(rgb: str) -> float:
    red, green, blue = (int(part) for part in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def test_the_report_is_dark_when_the_reader_asks_for_dark(report: tuple[Page, str, list[str]], tmp_path: Path) -> None:
    page, _, _ = report
    page.send("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
    light_page, light_ink = _colours(page)
    page.send("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    dark_page, dark_ink = _colours(page)
    assert _luminance(light_page) > 0.9 and _luminance(light_ink) < 0.3
    assert _luminance(dark_page) < 0.1 and _luminance(dark_ink) > 0.8
    page.send("Emulation.setEmulatedMedia", {"features": []})


def test_the_watch_sees_a_script_that_does_run(tmp_path: Path) -> None:
    """The marker and the violation log do catch an injected script: a page without closegate's escaping
    or policy sets the marker, and one with the policy reports the blocked handler."""
    marker = runs.HOSTILE_MARKUP[0]
    bare = tmp_path / "bare.html"
    bare.write_text(f"<!doctype html><html><body>{marker}</body></html>", encoding="utf-8")
    guarded = tmp_path / "guarded.html"
    guarded.write_text("<!doctype html><html><head><meta http-equiv=\"Content-Security-Policy\" "
                       "content=\"default-src 'none'\"></head><body>" + marker + "</body></html>", encoding="utf-8")
    with chromium(tmp_path / "profile") as page:
        _open(page, bare.as_uri())
        assert page.evaluate(f"document.documentElement.getAttribute({runs.PWNED!r})") == "img"
        _open(page, guarded.as_uri())
        assert page.evaluate(f"document.documentElement.hasAttribute({runs.PWNED!r})") is False
        assert page.evaluate("window.__violations.length") > 0
