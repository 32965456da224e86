"""The closegate command line: wires objects together and maps outcomes to exit codes.

Exit codes: 0 READY / success, 1 NOT READY (a blocking check failed), 2 could not run (config,
sign-in, bad input), 3 CANNOT DETERMINE (no failure, but an ERROR or ATTEST remains).
"""

from __future__ import annotations

import importlib

import click

from closegate import __version__
from closegate.commands._common import ClosegateGroup, log_file_option

__all__ = ["main"]

# Each module defines `register(group: click.Group) -> None`. Listed explicitly, in help order.
COMMAND_MODULES: tuple[str, ...] = (
    "closegate.commands.emulator",
    "closegate.commands.init",
    "closegate.commands.permissions",
    "closegate.commands.doctor",
    "closegate.commands.audit",
    "closegate.commands.report",
    "closegate.commands.diff",
    "closegate.commands.attest",
    "closegate.commands.remediate",
    "closegate.commands.backup",
    "closegate.commands.signoff",
    "closegate.commands.close",
    "closegate.commands.demo",
)


@click.group(cls=ClosegateGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="closegate")
@log_file_option
def main() -> None:
    """closegate: prove a Microsoft 365 / Entra tenant is ready to close, then gate the delete.

    \b
    Example:
      closegate demo            run the whole job on the built-in demo tenant
    """


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(main)
