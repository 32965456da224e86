"""closegate.toml files with a `[signoff]` policy, for tests that record sign-offs through the CLI."""

from __future__ import annotations

from pathlib import Path

__all__ = ["unsigned_allowed"]


def unsigned_allowed(directory: Path) -> Path:
    """A configuration that accepts approvals without a signature (a real tenant requires them by default)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "closegate.toml"
    path.write_text("[signoff]\nsignatures = false\n", "utf-8")
    return path
