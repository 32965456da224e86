"""What `closegate audit` and `closegate report` show while the reports render.

Laying out a large PDF takes tens of seconds (about 25 s for the demo tenant's 15 checks), and before
this the terminal stayed silent after the last "loaded" line. On a terminal a spinner line now says
what is rendering and which page WeasyPrint is laying out (reporting.render's `progress`); the line is
transient, so the command's own output that follows is unchanged. When stderr is not a terminal
(CI, a pipe, `--json`) nothing extra is written at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.text import Text

__all__ = ["rendering"]

Progress = Callable[[str], None]  # reporting.Progress, without importing reporting before it is needed


def _silent(line: str) -> None:
    return None


@contextmanager
def rendering(console: Console, *, enabled: bool = True) -> Iterator[Progress]:
    """A `progress` for reporting.render: a live status line on `console` if it is a terminal, else silence."""
    if not (enabled and console.is_terminal):
        yield _silent
        return
    with console.status(Text("rendering the reports"), spinner="line") as status:

        def tell(line: str) -> None:
            # Text, not markup: a line names report files and WeasyPrint's steps, never rich markup.
            status.update(Text(line))

        yield tell
