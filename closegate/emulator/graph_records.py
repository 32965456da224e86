"""The Graph routes for what a closure destroys beyond the directory, gathered in one place.

Each module owns its endpoints, permission sets and sources; `graph.py` turns these specs into
its routes after its own, so the directory's routes are matched first.
"""

from __future__ import annotations

from typing import Any

from closegate.emulator import graph_devices, graph_logs, graph_mto, graph_retention, graph_security, graph_sites

__all__ = ["ROUTE_SPECS"]

ROUTE_SPECS: tuple[tuple[str, str, Any, tuple[str, ...], dict[str, Any]], ...] = (
    *graph_security.ROUTES,
    *graph_retention.ROUTES,
    *graph_devices.ROUTES,
    *graph_logs.ROUTES,
    *graph_sites.ROUTES,
    *graph_mto.ROUTES,
)
