"""What every closegate command shares: the one-line error, the root group and the global --log-file.

An administrator moves between commands in the middle of closing a tenant; every command must fail
the same way (one line on stderr naming the cause and the fix, exit 2, also logged), and the root
group must log each command's start and outcome when `--log-file` is given. Option spellings are
kept consistent by tests/commands/test_cli_consistency.py rather than by shared decorators, so each
command's options stay readable where they are declared.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from closegate import keys, logs
from closegate.errors import ClosegateError

__all__ = ["CANNOT_RUN", "ClosegateGroup", "fail", "log_file_option", "read_signing_key"]

CANNOT_RUN = 2

F = TypeVar("F", bound=Callable[..., Any])


def fail(exc: ClosegateError, command: str = "closegate") -> NoReturn:
    """The one way a command reports that it could not run: one line on stderr, exit 2."""
    logs.get_logger("cli").error("could not run", extra={"error": type(exc).__name__, "cause": exc.cause,
                                                         "fix": exc.fix})
    click.echo(f"{command}: {_one_line(exc.one_line())}", err=True)
    sys.exit(exc.exit_code)


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


class ClosegateGroup(click.Group):
    """The root group: logs each command's start and outcome, and turns a stray ClosegateError into one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        known = [name for name in WORKFLOW_ORDER if name in self.commands]
        return known + sorted(name for name in self.commands if name not in WORKFLOW_ORDER)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["closegate.argv"] = list(args)
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
