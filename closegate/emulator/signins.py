"""Pending and completed user sign-ins: device codes waiting for a person, and refresh tokens.

A device code is the one part of sign-in a test cannot do by itself: in the real world a person opens
a browser. Here the operator surface plays that person (approve or decline by user code). Device
codes expire on the tenant's simulated clock so a test can expire one by advancing the clock;
refresh tokens are opaque random strings kept server-side, as Entra's are to a client.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

__all__ = ["DeviceCode", "DeviceCodeStatus", "DeviceCodeStore", "RefreshGrant", "RefreshTokenStore"]

DEVICE_CODE_LIFETIME = timedelta(seconds=900)  # Entra's expires_in for device codes
REFRESH_TOKEN_LIFETIME = 90 * 24 * 3600.0  # seconds of inactivity before a refresh token lapses
# Entra user codes are 9 characters; leave out the ones people misread (0/O, 1/I/L).
_USER_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class DeviceCodeStatus(Enum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    REDEEMED = "redeemed"


@dataclass(frozen=True)
class DeviceCode:
    device_code: str
    user_code: str
    client_id: str
    scopes: tuple[str, ...]  # as requested, in order
    expires: datetime  # simulated clock
    status: DeviceCodeStatus = DeviceCodeStatus.PENDING
    user_id: str | None = None

    def expired(self, now: datetime) -> bool:
        return now >= self.expires


@dataclass(frozen=True)
class RefreshGrant:
    client_id: str
    user_id: str
    scopes: frozenset[str]  # every delegated scope this grant may be exchanged for
    expires: float  # wall clock seconds


class DeviceCodeStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_device: dict[str, DeviceCode] = {}

    def create(self, client_id: str, scopes: tuple[str, ...], now: datetime) -> DeviceCode:
        code = DeviceCode(device_code=secrets.token_urlsafe(48),
                          user_code="".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(9)),
                          client_id=client_id, scopes=scopes, expires=now + DEVICE_CODE_LIFETIME)
        with self._lock:
            self._by_device[code.device_code] = code
        return code

    def get(self, device_code: str) -> DeviceCode | None:
        with self._lock:
            return self._by_device.get(device_code)

    def _by_user_code(self, user_code: str) -> DeviceCode | None:
        wanted = user_code.strip().upper()
        return next((c for c in self._by_device.values() if c.user_code == wanted), None)

    def decide(self, user_code: str, status: DeviceCodeStatus, now: datetime,
               user_id: str | None = None) -> DeviceCode | None:
        """Approve or decline a pending, unexpired code; None when there is no such code."""
        with self._lock:
            code = self._by_user_code(user_code)
            if code is None or code.status is not DeviceCodeStatus.PENDING or code.expired(now):
                return None
            code = replace(code, status=status, user_id=user_id)
            self._by_device[code.device_code] = code
            return code

    def redeem(self, device_code: str) -> None:
        with self._lock:
            code = self._by_device.get(device_code)
            if code is not None:
                self._by_device[device_code] = replace(code, status=DeviceCodeStatus.REDEEMED)

    def pending(self, now: datetime) -> list[DeviceCode]:
        with self._lock:
            return [c for c in self._by_device.values()
                    if c.status is DeviceCodeStatus.PENDING and not c.expired(now)]


class RefreshTokenStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._grants: dict[str, RefreshGrant] = {}

    def issue(self, grant: RefreshGrant) -> str:
        token = "1.A" + secrets.token_urlsafe(96)  # shaped like Entra's opaque "1.A..." tokens
        with self._lock:
            self._grants[token] = grant
        return token

    def get(self, token: str) -> RefreshGrant | None:
        with self._lock:
            return self._grants.get(token)
