"""closegate: the readiness gate in front of closing a Microsoft 365 / Microsoft Entra tenant."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
