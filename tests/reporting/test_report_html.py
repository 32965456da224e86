from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from closegate.models import RunRecord
from closegate.reporting.html import render_html, script
from closegate.reporting.view import safe_link
from tests.reporting import runs


class _Collect(HTMLParser):
    """Every start tag with its attributes, the text, and each script's content, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)


def only_closegates_script(page: _Collect) -> bool:
    """One script element, without attributes, whose text is closegate's own script."""
    elements = [attrs for tag, attrs in page.tags if tag == "script"]
    return elements == [{}] and page.scripts == [script()]


def parse(html: str) -> _Collect:
    parser = _Collect()
    parser.feed(html)
    return parser


@pytest.mark.parametrize(("build", "verdict"), [
    (runs.demo, "NOT READY"), (runs.ready, "READY"), (runs.cannot_determine, "CANNOT DETERMINE"),
])
def test_report_states_verdict_run_hash_and_every_check(build: object, verdict: str) -> None:
    record: RunRecord = build()  # type: ignore[operator]
    html = render_html(record)
    page = parse(html)
    text = " ".join(page.text)
    assert re.search(rf'class="verdict-label">.*{verdict}</p>', html)
    assert record.run_id in text
    for result in record.results:
        assert result.check_id in text


def test_html_is_self_contained_accessible_and_runs_only_closegates_script() -> None:
    page = parse(render_html(runs.demo()))
    tags = [tag for tag, _ in page.tags]
    assert ("html", {"lang": "en"}) in page.tags
    assert only_closegates_script(page) and "link" not in tags and "img" not in tags
    assert tags.count("h1") == 1 and "h2" in tags and "h3" in tags
    header_cells = [attrs for tag, attrs in page.tags if tag == "th"]
    assert header_cells and all(attrs.get("scope") in ("col", "row") for attrs in header_cells)
    external = [attrs["href"] for tag, attrs in page.tags if tag == "a" and not (attrs.get("href") or "").startswith("#")]
    assert external and all(href.startswith("https://learn.microsoft.com/") for href in external)


def test_status_is_told_in_words_and_symbol_not_colour_alone() -> None:
    html = render_html(runs.demo())
    assert '<span aria-hidden="true">\u2717</span> Fail</span>' in html
    assert '<span aria-hidden="true">\u270e</span> Attestation required</span>' in html
    assert '<span aria-hidden="true">\u2013</span> Not applicable</span>' in html


def test_evidence_lists_are_bounded_with_and_n_more() -> None:
    html = render_html(runs.demo(users=5_000))
    assert "and 4,990 more" in html
    assert "user9@contoso.com" in html and "user10@contoso.com" not in html


def test_attestations_show_who_and_when() -> None:
    text = " ".join(parse(render_html(runs.ready())).text)
    assert "Dana Compliance" in text and "2026-03-01T10:00:00Z" in text and "Every invoice is paid" in text


def test_hostile_tenant_strings_stay_text() -> None:
    html = render_html(runs.hostile(port=1))
    page = parse(html)
    tags = [tag for tag, _ in page.tags]
    assert only_closegates_script(page) and "img" not in tags and "link" not in tags
    assert tags.count("style") == 1 and tags.count("h1") == 1
    assert all("style" not in attrs for _, attrs in page.tags)
    text = "".join(page.text)
    assert "<script>alert(1)</script>" in text and "<img src=http://127.0.0.1:1/x>" in text
    assert "[U+202E]RTL-override" in text and "\u202e" not in html
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", html)
    assert "more characters)" in text and "A" * 1_001 not in html
    hrefs = [attrs.get("href") or "" for tag, attrs in page.tags if tag == "a"]
    assert all(h.startswith("#") or h.startswith("https://learn.microsoft.com/") for h in hrefs)


@pytest.mark.parametrize("url", [
    "http://learn.microsoft.com/x", "https://learn.microsoft.com.evil.example/x", "javascript:alert(1)",
    "https://user@learn.microsoft.com/x", "https://learn.microsoft.com:8443/x", "https://learn.microsoft.com/a\"b",
    "file:///etc/passwd", "//learn.microsoft.com/x",
])
def test_only_microsoft_https_addresses_become_links(url: str) -> None:
    assert safe_link(url).url == ""
    assert safe_link(url).text


def test_microsoft_documentation_is_linked() -> None:
    url = "https://learn.microsoft.com/en-us/entra/identity/users/directory-delete-howto"
    assert safe_link(url).url == url


def test_rendering_is_reproducible() -> None:
    assert render_html(runs.demo()) == render_html(runs.demo())
