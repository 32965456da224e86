"""The emulator in a process of its own, as every benchmark runs it, and what it says from its side.

A client measured in the emulator's process would share its interpreter lock and its memory; a
separate `closegate emulator serve` is what a real tenant is to closegate: something across a socket.
Benchmarks run it with Graph's documented throttling (`--throttle realistic`: token buckets with
burst, refill and debt, graph-facts §12.8) and the latency model (`--latency realistic`).
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["ROOT", "Served", "peak_rss_mb", "served"]

ROOT = Path(__file__).resolve().parent.parent
REALISTIC = ("--throttle", "realistic", "--latency", "realistic")


class Served:
    """A running emulator: its closegate.toml and an operator client over its loopback surface."""

    def __init__(self, config: Path, pid: int) -> None:
        self.config = config
        self.pid = pid
        self._operator: Any = None

    @property
    def operator(self) -> Any:
        if self._operator is None:
            from closegate.config import load_settings
            from closegate.emulator.operator import OperatorClient

            settings = load_settings(self.config)
            self._operator = OperatorClient(settings.emulator["operator_url"], settings.cloud.ca_bundle, timeout=600)
        return self._operator

    def close(self) -> None:
        if self._operator is not None:
            self._operator.close()


@contextmanager
def served(scenario: str, *options: str, realistic: bool = True, timeout: float = 1800) -> Iterator[Served]:
    """`closegate emulator serve --scenario SCENARIO [realistic throttle and latency] OPTIONS` in a child."""
    state = Path(tempfile.mkdtemp(prefix="closegate-bench-"))
    cmd = [sys.executable, "-c", "from closegate.cli import main; main()", "emulator", "serve",
           "--scenario", scenario, "--state-dir", str(state), *(REALISTIC if realistic else ()), *options]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    handle = Served(state / "closegate.toml", proc.pid)
    try:
        deadline = time.monotonic() + timeout
        while not (state / "ready").exists():
            if proc.poll() is not None:
                raise RuntimeError(f"emulator exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"emulator did not become ready within {timeout:.0f} s")
            time.sleep(0.2)
        yield handle
    finally:
        handle.close()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def peak_rss_mb() -> float:
    """This process's peak RSS. Linux keeps ru_maxrss across fork+exec, so a client started by a
    large `make bench` process would report its parent's peak; VmHWM belongs to this image only."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
