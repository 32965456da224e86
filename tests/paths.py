"""Where the tests find what lies beside the repository: the product owner's shared folder.

The repository and `shared/` sit side by side (a clean clone in CI gets the same layout), so the path
is found from this file, never written out.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["GRAPH_METADATA", "REPOSITORY", "SHARED"]

REPOSITORY = Path(__file__).resolve().parents[1]
SHARED = REPOSITORY.parent / "shared"
GRAPH_METADATA = SHARED / "graph-metadata"
