"""What the commands that write PDFs share: closegate's signing identity from `[signing]`, and the
approver boxes `[signoff]` asks the report to print.

The identity is loaded once per command, with the passphrase the environment variable holds (never
the file, closegate.config_signing), so a wrong passphrase or a key that is not the certificate's
stops the command before anything is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from closegate.closure.policy import SignoffPolicy
from closegate.config_signing import SigningSettings

if TYPE_CHECKING:
    from closegate.reporting.approvers import Approver
    from closegate.reporting.pades import SigningIdentity

__all__ = ["report_approvers", "signing_identity"]


def signing_identity(settings: SigningSettings | None) -> SigningIdentity | None:
    """closegate's PAdES identity, or None when [signing] is not configured (the PDFs stay unsigned)."""
    if settings is None:
        return None
    from closegate.reporting.pades import load_identity

    return load_identity(settings.key, settings.certificate, passphrase=settings.passphrase, chain=settings.chain)


def report_approvers(policy: SignoffPolicy) -> tuple[Approver, ...]:
    """The boxes the report prints: the approvers [signoff] names, else one blank box per required approval
    (none required: the report's default blank boxes)."""
    from closegate.reporting.approvers import Approver

    if policy.approvers:
        return tuple(Approver(name, role) for name, role in policy.approvers)
    return (Approver(),) * policy.required
