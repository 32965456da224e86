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


def test_cut_shortens_a_long_name_and_says_how_much_was_left_out() -> None:
    from closegate.text import cut

    assert cut("Alice " + "x" * 131) == "Alice " + "x" * 94 + "…(+37 chars)"
    assert cut("Alice") == "Alice"
    assert cut("\x1b]0;x\x07" * 30, limit=6) == "[U+001B]]0;x[U+0007]…(+174 chars)"  # neutralised as well


def test_cut_tokens_cuts_only_the_runs_no_one_could_read_and_keeps_the_sentence() -> None:
    from closegate.text import cut_tokens

    said = cut_tokens(f"3 users remain: {'A' * 10_000}, bob@contoso.com\nand more")
    assert said == f"3 users remain: {'A' * 200}…(+9801 chars) bob@contoso.com[U+000A]and more"
    run_id = "ab" * 32
    assert cut_tokens(f"run {run_id} of /srv/closegate/out/run.json") == f"run {run_id} of /srv/closegate/out/run.json"


def test_listed_names_the_first_few_and_counts_the_rest() -> None:
    from closegate.text import listed

    assert listed(["a", "b", "c", "d", "e"]) == "a, b, c and 2 more"
    assert listed(["a", "b"]) == "a, b"
    assert listed(["Z" * 500]) == "Z" * 100 + "…(+400 chars)"
