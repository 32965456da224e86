"""Injected faults, so the product's retry, timeout and re-authentication paths meet real trouble.

The spec is the one in docs/internals.md: comma-separated `key=value`, e.g.
`latency=20ms..80ms,429=0.05,503=0.02,504=0.01,reset=0.01,slow=0.01,token_lifetime=30s,seed=7`.
`latency=realistic` holds each answer for a time that grows with its page or batch size
(closegate.emulator.latency); `429below=RATE` answers 429 below Graph's limits, as Graph does under
load (graph-facts §12.8), with a fractional Retry-After and throttle headers.
`slow_seconds` (default 120 s, longer than any sane client timeout) sets how long a "slow" response
is held. Faults apply to Graph and ARM traffic only: the identity platform and the operator surface
stay reliable so a test's trouble is where the test put it. Decisions come from one seeded RNG, so a
seeded run fails the same requests in the same order.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, fields, replace
from enum import Enum

from closegate.emulator.latency import REALISTIC, answer_size
from closegate.emulator.wire import Request, Response
from closegate.errors import ConfigError

__all__ = ["Fault", "FaultDecision", "FaultInjector", "FaultSpec", "parse_duration", "parse_fault_spec"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str) -> float:
    """'50ms', '5s', '2m', '1h' or a bare number of seconds -> seconds."""
    match = _DURATION.match(text)
    if not match:
        raise ConfigError(f"fault spec: {text!r} is not a duration", "write it like 50ms, 5s, 2m or 1h")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


class Fault(Enum):
    NONE = "none"
    THROTTLE = "429"
    THROTTLE_BELOW_LIMIT = "429below"
    UNAVAILABLE = "503"
    GATEWAY_TIMEOUT = "504"
    RESET = "reset"
    SLOW = "slow"


@dataclass(frozen=True)
class FaultSpec:
    latency_min: float = 0.0  # seconds
    latency_max: float = 0.0
    rate_429: float = 0.0
    rate_503: float = 0.0
    rate_504: float = 0.0
    rate_reset: float = 0.0
    rate_slow: float = 0.0
    rate_429_below: float = 0.0
    latency_model: str | None = None  # "realistic": closegate.emulator.latency
    slow_seconds: float = 120.0
    token_lifetime: float | None = None  # seconds; None = Entra's default (60-90 min)
    eventual: float = 0.0  # seconds a deleted object is still listed (applied by the directory state)
    seed: int | None = None

    def __post_init__(self) -> None:
        rates = (self.rate_429, self.rate_503, self.rate_504, self.rate_reset, self.rate_slow, self.rate_429_below)
        if any(r < 0 or r > 1 for r in rates) or sum(rates) > 1:
            raise ConfigError("fault spec: rates must be between 0 and 1 and add up to at most 1",
                              "lower the 429/503/504/reset/slow rates")
        if self.latency_min > self.latency_max:
            raise ConfigError("fault spec: latency range is reversed", "write it as low..high")
        if self.latency_model not in (None, "realistic"):
            raise ConfigError(f"fault spec: latency={self.latency_model} is not a latency model",
                              "use latency=realistic or a duration range")

    def describe(self) -> str:
        """The spec back in its text form (only the keys that differ from the defaults)."""
        default = FaultSpec()
        parts = []
        if self.latency_model is not None:
            parts.append(f"latency={self.latency_model}")
        if (self.latency_min, self.latency_max) != (0.0, 0.0):
            lo, hi = round(self.latency_min * 1000), round(self.latency_max * 1000)
            parts.append(f"latency={lo}ms" if lo == hi else f"latency={lo}ms..{hi}ms")
        for key, name in _RATE_KEYS.items():
            if getattr(self, name) != getattr(default, name):
                parts.append(f"{key}={getattr(self, name):g}")
        for key, name in (("slow_seconds", "slow_seconds"), ("token_lifetime", "token_lifetime"),
                          ("eventual", "eventual")):
            if getattr(self, name) != getattr(default, name):
                parts.append(f"{key}={getattr(self, name):g}s")
        if self.seed is not None:
            parts.append(f"seed={self.seed}")
        return ",".join(parts)


_RATE_KEYS = {"429": "rate_429", "503": "rate_503", "504": "rate_504", "reset": "rate_reset", "slow": "rate_slow",
              "429below": "rate_429_below"}
_DURATION_KEYS = {"slow_seconds": "slow_seconds", "token_lifetime": "token_lifetime", "eventual": "eventual"}


def parse_fault_spec(spec: str | None) -> FaultSpec:
    """Parse the `--faults` text; unknown keys and bad values are a ConfigError naming the key."""
    values: dict[str, object] = {}
    for item in filter(None, (p.strip() for p in (spec or "").split(","))):
        key, sep, raw = item.partition("=")
        key, raw = key.strip().lower(), raw.strip()
        if not sep or not raw:
            raise ConfigError(f"fault spec: {item!r} is not key=value", "e.g. --faults 429=0.05,seed=1")
        if key == "latency" and raw == "realistic":
            values["latency_model"] = raw
        elif key == "latency":
            lo, _, hi = raw.partition("..")
            values["latency_min"] = parse_duration(lo)
            values["latency_max"] = parse_duration(hi) if hi else values["latency_min"]
        elif key in _RATE_KEYS:
            try:
                values[_RATE_KEYS[key]] = float(raw)
            except ValueError:
                raise ConfigError(f"fault spec: {key}={raw} is not a rate", "use a fraction like 0.05") from None
        elif key in _DURATION_KEYS:
            values[_DURATION_KEYS[key]] = parse_duration(raw)
        elif key == "seed":
            if not raw.lstrip("-").isdigit():
                raise ConfigError(f"fault spec: seed={raw} is not an integer", "use e.g. seed=42")
            values["seed"] = int(raw)
        else:
            known = ", ".join(["latency", *_RATE_KEYS, *_DURATION_KEYS, "seed"])
            raise ConfigError(f"fault spec: unknown key {key!r}", f"use one of {known}")
    names = {f.name for f in fields(FaultSpec)}
    return FaultSpec(**{k: v for k, v in values.items() if k in names})  # type: ignore[arg-type]


@dataclass(frozen=True)
class FaultDecision:
    fault: Fault
    delay: float  # seconds to wait before answering (latency, or the whole hold of a slow response)
    retry_after: float = 1.0  # for THROTTLE_BELOW_LIMIT: Graph's fractional Retry-After


class FaultInjector:
    """Draws one decision per request from the current spec; the spec can be swapped at runtime."""

    def __init__(self, spec: FaultSpec | None = None) -> None:
        self._lock = threading.Lock()
        self._spec = spec or FaultSpec()
        self._rng = random.Random(self._spec.seed)
        self._latency_rng = self._latency_random(self._spec)  # apart, so latency draws leave fault draws alone

    @property
    def spec(self) -> FaultSpec:
        return self._spec

    @staticmethod
    def _latency_random(spec: FaultSpec) -> random.Random:
        return random.Random(None if spec.seed is None else spec.seed + 1)

    def set_spec(self, spec: FaultSpec) -> None:
        with self._lock:
            self._spec = spec
            self._rng = random.Random(spec.seed)
            self._latency_rng = self._latency_random(spec)

    def update(self, **changes: object) -> FaultSpec:
        with self._lock:
            self._spec = replace(self._spec, **changes)  # type: ignore[arg-type]
            return self._spec

    def decide(self) -> FaultDecision:
        with self._lock:
            spec, rng = self._spec, self._rng
            delay = rng.uniform(spec.latency_min, spec.latency_max) if spec.latency_max else 0.0
            draw = rng.random()
        for fault, rate in ((Fault.THROTTLE, spec.rate_429), (Fault.UNAVAILABLE, spec.rate_503),
                            (Fault.GATEWAY_TIMEOUT, spec.rate_504), (Fault.RESET, spec.rate_reset),
                            (Fault.SLOW, spec.rate_slow), (Fault.THROTTLE_BELOW_LIMIT, spec.rate_429_below)):
            if draw < rate:
                if fault is Fault.THROTTLE_BELOW_LIMIT:
                    with self._lock:
                        retry = round(self._rng.uniform(0.2, 3.0), 3)
                    return FaultDecision(fault, delay, retry)
                return FaultDecision(fault, delay + spec.slow_seconds if fault is Fault.SLOW else delay)
            draw -= rate
        return FaultDecision(Fault.NONE, delay)

    def answer_delay(self, req: Request, response: Response, *, arm: bool) -> float:
        """Seconds the realistic latency profile holds this answer (0 unless `latency=realistic`)."""
        if self._spec.latency_model != "realistic":
            return 0.0
        items, batch_items = answer_size(req, response)
        with self._lock:
            return REALISTIC.draw(self._latency_rng, write=req.method != "GET", arm=arm, items=items,
                                  batch_items=batch_items)
