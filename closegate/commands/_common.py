"""What every closegate command shares: the one-line error, the root group, the global --log-file, and
how a tenant's strings reach the terminal.

An administrator moves between commands in the middle of closing a tenant; every command must fail
the same way (one line on stderr naming the cause and the fix, exit 2, also logged), and the root
group must log each command's start and outcome when `--log-file` is given. A tenant string is shown
through `shown` (inside closegate's own rich markup) or `visible` (plain text): both neutralise it with
closegate.text, the rule the reports use, so a display name can neither drive the terminal nor style
the output; a name is shortened with `cut`, a sentence quoting names with `cut_tokens`, a list with
`listed`. The root group refuses arguments that are not valid UTF-8 before any command runs.
Option spellings are kept consistent by tests/commands/test_cli_consistency.py rather than by shared
decorators, so each command's options stay readable where they are declared.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.markup import escape

from closegate import keys, logs
from closegate.errors import ClosegateError
from closegate.tags import RecordKey
from closegate.text import cut, cut_tokens, listed, visible

__all__ = ["CANNOT_RUN", "ClosegateGroup", "cut", "cut_tokens", "fail", "listed", "log_file_option", "read_signing_key",
           "shown", "visible", "warn", "warn_if_untagged"]

CANNOT_RUN = 2

F = TypeVar("F", bound=Callable[..., Any])


def shown(value: object) -> str:
    """A tenant string to embed in closegate's own rich markup: neutralised, and its brackets escaped so
    that "[red]...[/]" in a name prints as those characters instead of styling the line."""
    return escape(visible(str(value)))


def fail(exc: ClosegateError, command: str = "closegate") -> NoReturn:
    """The one way a command reports that it could not run: one line on stderr, exit 2."""
    logs.get_logger("cli").error("could not run", extra={"error": type(exc).__name__, "cause": exc.cause,
                                                         "fix": exc.fix})
    # Messages quote tenant strings and Graph's answers: neutralised like everything else shown.
    click.echo(f"{command}: {visible(_one_line(exc.one_line()))}", err=True)
    sys.exit(exc.exit_code)


def warn(message: str) -> None:
    """One line on stderr that does not stop the command (e.g. a file shown that was not written here)."""
    click.echo(f"closegate: warning: {visible(_one_line(message))}", err=True)


def warn_if_untagged(key: RecordKey) -> None:
    """Say once that records written now carry no integrity tag, and what that will mean."""
    if key.secret is None:
        warn(f"closegate's record key is unavailable ({key.problem}): the records written now carry no integrity "
             "tag, so `close` and `remediate --apply` will refuse them; make the key's folder writable or set "
             "[records] key_file")


def read_signing_key(path: Path | None) -> Ed25519PrivateKey | None:
    """The Ed25519 key of a --sign-key option, asking on the terminal for its password if it is encrypted."""
    if path is None:
        return None
    return keys.load_private_key(path, ask_password=lambda: click.prompt("Password of the signing key",
                                                                         hide_input=True, err=True))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _configure_log_file(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    # Nested invocations (the demo runs commands in-process) pass no --log-file: keep the outer file.
    if value is None or ctx.resilient_parsing:
        return
    try:
        logs.configure(value)
    except ClosegateError as exc:
        raise click.UsageError(exc.one_line()) from exc


def log_file_option(func: F) -> F:
    return click.option(
        "--log-file", type=click.Path(dir_okay=False, path_type=Path), default=None, expose_value=False,
        is_eager=True, callback=_configure_log_file,
        help="Append structured JSON-lines logs to PATH (secrets and tokens are redacted).",
    )(func)


# `closegate --help` lists commands in the order an administrator uses them to close a tenant.
WORKFLOW_ORDER: tuple[str, ...] = (
    "init", "permissions", "doctor", "backup", "audit", "report", "verify", "diff", "attest", "plan",
    "remediate", "journal", "signoff", "close", "demo", "emulator",
)


# The options that answer each command's prompts, for a run without a terminal.
_ANSWERS = {
    "close": "--confirm DOMAIN (the tenant's primary domain)",
    "remediate": "--confirm DOMAIN (the tenant's primary domain)",
    "init": "--tenant TENANT --client-id APP_ID",
    "signoff": "an unencrypted --sign-key, or run it at a terminal to type the key's password",
    "report": "an unencrypted --sign-key, or run it at a terminal to type the key's password",
}


class InvalidArgument(click.ClickException):
    """An argument closegate cannot record: one line on stderr, exit 2, before any command runs."""

    exit_code = CANNOT_RUN

    def show(self, file: Any = None) -> None:
        click.echo(f"closegate: {self.message}", err=True)


def _check_utf8(arg: str) -> None:
    # Python decodes argv with surrogateescape: bytes that are not UTF-8 arrive as lone surrogates, which
    # no JSON file, report or log can carry. Refused here, once for every option of every command, so no
    # command writes half a file (or a .tmp) before meeting them.
    try:
        arg.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidArgument(f"the argument {visible(arg)} is not valid UTF-8 (at character {exc.start + 1}): "
                              "retype it in a UTF-8 terminal; nothing was written") from None


class ClosegateGroup(click.Group):
    """The root group: logs each command's start and outcome, and turns a stray ClosegateError into one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        known = [name for name in WORKFLOW_ORDER if name in self.commands]
        return known + sorted(name for name in self.commands if name not in WORKFLOW_ORDER)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["closegate.argv"] = list(args)
        for arg in args:
            _check_utf8(arg)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        log = logs.get_logger("cli")
        argv: Sequence[str] = ctx.meta.get("closegate.argv", ())
        started = time.monotonic()
        log.info("command started", extra={"argv": list(argv)})
        code: int | str | None = 0
        try:
            return super().invoke(ctx)
        except ClosegateError as exc:
            code = exc.exit_code
            fail(exc)
        except click.exceptions.Abort:
            # A prompt met the end of its input (no terminal: a script, CI, a pipe) or was cancelled.
            code = CANNOT_RUN
            command = ctx.invoked_subcommand or ""
            fail(ClosegateError(f"`closegate {command}` asked a question and got no answer (no terminal, or cancelled)",
                                f"pass the answer as an option: {_ANSWERS.get(command, 'see --help')}"))
        except SystemExit as exc:
            code = exc.code
            raise
        except (click.exceptions.Exit, click.ClickException) as exc:
            code = exc.exit_code
            raise
        except BaseException as exc:
            code = "exception"
            log.exception("command crashed", extra={"error": type(exc).__name__})
            raise
        finally:
            log.info("command finished", extra={"exit_code": code,
                                                "seconds": round(time.monotonic() - started, 3)})
