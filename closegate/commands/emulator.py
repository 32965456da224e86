"""`closegate emulator serve`: run the local tenant in the foreground for the demo and manual testing."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click

from closegate.errors import ClosegateError

__all__ = ["register"]


class _CannotRun(click.ClickException):
    exit_code = 2  # closegate's "could not run" (closegate.cli)


@click.group("emulator")
def emulator_group() -> None:
    """The local Microsoft 365 / Entra tenant closegate is tested and demonstrated against.

    \b
    Example:
      closegate emulator serve --scenario demo --state-dir /tmp/tenant
    """


@emulator_group.command("serve")
@click.option("--scenario", default="demo", show_default=True,
              help="demo, ready, hybrid, partner, hostile, b2c, small-business, enterprise, generated:N, or a path "
              "to a scenario JSON file.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1; 0 picks a free one.")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where closegate.toml, ready and the certificates are written (default: a new temp dir).")
@click.option("--faults", default=None, help="Fault spec, e.g. latency=20ms..80ms,429=0.05,429below=0.01,seed=1.")
@click.option("--first-party", type=click.Choice(["realistic"]), default=None,
              help="Add Microsoft's own service principals as a real tenant holds them (hundreds).")
@click.option("--throttle", type=click.Choice(["realistic", "legacy"]), default="legacy", show_default=True,
              help="realistic: Graph's token buckets with debt and the app-wide and reports limits.")
@click.option("--latency", type=click.Choice(["realistic"]), default=None,
              help="Hold each answer for a time that grows with its page and batch size (latency=realistic).")
def serve(scenario: str, port: int, state_dir: Path | None, faults: str | None, first_party: str | None,
          throttle: str, latency: str | None) -> None:
    """Serve the emulated tenant until interrupted; writes STATE_DIR/closegate.toml, then STATE_DIR/ready.

    \b
    Examples:
      closegate emulator serve --scenario demo --state-dir /tmp/tenant
      closegate emulator serve --scenario generated:20000 --faults latency=20ms..80ms,429=0.05,seed=1
      closegate emulator serve --scenario enterprise --throttle realistic --latency realistic
    """
    from closegate.emulator import Emulator

    spec: str | Path = Path(scenario) if scenario.endswith(".json") else scenario
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if latency:
        faults = f"latency={latency}" + (f",{faults}" if faults else "")
    try:
        emu = Emulator(scenario=spec, state_dir=state_dir, port=port, faults=faults, first_party=first_party,
                       throttle=throttle).start()
    except ClosegateError as exc:
        raise _CannotRun(exc.one_line()) from exc
    except (ValueError, LookupError, OSError) as exc:
        raise _CannotRun(f"cannot start the emulator: {exc}") from exc
    previous = signal.signal(signal.SIGTERM, _on_signal)
    try:
        click.echo(f"emulator listening on {emu.url} (tenant {emu.tenant_id}, scenario {emu.scenario_name})")
        click.echo(f"config: {emu.config_path}")
        click.echo(f"CA bundle: {emu.ca_path}")
        click.echo(f"operator: {emu.operator_url}")
        click.echo("press Ctrl+C to stop")
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        emu.stop()
        click.echo("emulator stopped")


def register(group: click.Group) -> None:
    group.add_command(emulator_group)
