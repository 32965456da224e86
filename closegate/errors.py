"""The one exception tree of closegate, so the CLI can turn any failure into one line and an exit code.

    ClosegateError                 base; every error a user can see has `cause` and `fix`
    ├── ConfigError                missing, malformed or contradictory configuration
    ├── AuthError                  sign-in failed (wrong secret, unknown tenant, expired certificate...)
    ├── GraphError                 Microsoft Graph or ARM answered with an error (code, status, request id)
    │   ├── PermissionDenied       403: names the permission the endpoint needs and how to grant it
    │   ├── NotFound               404 on an object closegate expected
    │   └── Throttled              429/503 still returned after every retry
    ├── TransportError             connection reset, TLS failure, timeout: nothing usable came back
    ├── MalformedResponse          an answer that does not have the shape Graph documents
    ├── IntegrityError             a run record, plan, journal, backup or report does not verify
    └── NotInBackup                an offline audit needs a fact the backup does not hold

Every message is written for the operator: what happened, then what to do. No secret or token is
ever placed in an exception.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "ClosegateError",
    "ConfigError",
    "GraphError",
    "IntegrityError",
    "MalformedResponse",
    "NotFound",
    "NotInBackup",
    "PermissionDenied",
    "Throttled",
    "TransportError",
]


class ClosegateError(Exception):
    """Base class. `cause` says what went wrong, `fix` what the operator should do about it."""

    exit_code = 2

    def __init__(self, cause: str, fix: str = "") -> None:
        super().__init__(cause if not fix else f"{cause}: {fix}")
        self.cause = cause
        self.fix = fix

    def one_line(self) -> str:
        return str(self)


class ConfigError(ClosegateError):
    """The configuration cannot be used as given."""


class AuthError(ClosegateError):
    """Signing in to Microsoft Entra failed."""

    def __init__(self, cause: str, fix: str = "", *, code: str = "") -> None:
        super().__init__(cause, fix)
        self.code = code


class GraphError(ClosegateError):
    """Microsoft Graph (or Azure Resource Manager) returned an error response."""

    def __init__(
        self,
        cause: str,
        fix: str = "",
        *,
        status: int = 0,
        code: str = "",
        request_id: str = "",
        method: str = "",
        path: str = "",
    ) -> None:
        super().__init__(cause, fix)
        self.status = status
        self.code = code
        self.request_id = request_id
        self.method = method
        self.path = path


class PermissionDenied(GraphError):
    """403: the token lacks every permission the endpoint accepts."""

    def __init__(self, cause: str, fix: str = "", *, permissions: tuple[str, ...] = (), **kw: object) -> None:
        super().__init__(cause, fix, **kw)  # type: ignore[arg-type]
        self.permissions = permissions


class NotFound(GraphError):
    """404 for an object that was expected to exist."""


class Throttled(GraphError):
    """Still throttled (429/503/504) after the configured number of attempts."""

    def __init__(self, cause: str, fix: str = "", *, attempts: int = 0, **kw: object) -> None:
        super().__init__(cause, fix, **kw)  # type: ignore[arg-type]
        self.attempts = attempts


class TransportError(ClosegateError):
    """No usable HTTP response: connection refused or reset, TLS failure, timeout."""


class MalformedResponse(ClosegateError):
    """A response whose body does not have the documented shape."""


class IntegrityError(ClosegateError):
    """A signed or hashed artifact does not verify."""


class NotInBackup(ClosegateError):
    """An offline audit (closegate.backup.offline) needs a fact the backup does not hold, or holds unreadably."""
