"""closegate's local Microsoft 365 / Entra tenant: identity platform, Graph and ARM on loopback HTTPS.

`Emulator` is imported lazily so that importing one part (say `closegate.emulator.wire` from a Graph
handler) does not pull in the whole server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from closegate.emulator.instance import Emulator

__all__ = ["Emulator"]


def __getattr__(name: str) -> Any:
    if name == "Emulator":
        from closegate.emulator.instance import Emulator

        return Emulator
    raise AttributeError(f"module 'closegate.emulator' has no attribute {name!r}")
