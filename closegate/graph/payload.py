"""Decoding Graph's JSON bodies into text every later stage can hash, write and render.

JSON may spell an unpaired UTF-16 surrogate as an escape ("\\ud800"); json.loads turns it into a
lone surrogate that no UTF-8 encoder accepts, so one hostile display name would crash the run
record's hash. Such characters are replaced by U+FFFD at the edge, once, while paired escapes
(emoji) decode as usual.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["loads"]

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def loads(body: bytes) -> Any:
    data = json.loads(body)
    if _SURROGATE_ESCAPE.search(body):
        data = _repair(data)
    return data


def _repair(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_repair(v) for v in value]
    if isinstance(value, dict):
        return {_repair(k): _repair(v) for k, v in value.items()}
    return value
