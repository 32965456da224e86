"""closegate.text.visible: the one rule that makes a tenant's string harmless on a terminal and in a report."""

from __future__ import annotations

import pytest

from closegate.reporting.text import display, xml_safe
from closegate.text import visible


@pytest.mark.parametrize(("raw", "shown"), [
    ("\x1b]0;owned\x07", "[U+001B]]0;owned[U+0007]"),  # OSC: retitles the window
    ("\x1b[2J\x1b[1;32mAll checks PASS\x1b[0m", "[U+001B][2J[U+001B][1;32mAll checks PASS[U+001B][0m"),
    ("nul\x00here", "nul[U+0000]here"),
    ("\x9b31m", "[U+009B]31m"),  # C1 CSI
    ("two\nlines\r\tand tab", "two[U+000A]lines[U+000D][U+0009]and tab"),
    ("\u202egnp.exe\u202c", "[U+202E]gnp.exe[U+202C]"),  # Trojan Source
    ("a\u2028b\u2029c", "a[U+2028]b[U+2029]c"),
    ("lone \ud800 surrogate", "lone [U+D800] surrogate"),
    ("\ufffe\uffff\x7f", "[U+FFFE][U+FFFF][U+007F]"),
])
def test_visible_spells_out_every_character_that_acts_instead_of_showing(raw: str, shown: str) -> None:
    assert visible(raw) == shown


def test_visible_leaves_names_in_every_script_and_emoji_sequences_alone() -> None:
    names = "陳美玲 محمد الأحمد דוד כהן अर्जुन 🔥👩\u200d💻 🇺🇦 z͑͆a͒ [bold]markup[/] <b>&amp;"
    assert visible(names) == names


def test_reports_and_the_terminal_use_the_same_rule() -> None:
    hostile = "\x1b]0;x\x07 \u202eRTL \x00"
    assert xml_safe(hostile) == visible(hostile)
    assert display(hostile) == visible(hostile)
