"""Remediation: plan the fixes an audit calls for, apply them safely, and journal every change.

`actions` declares fixes beside their checks, `plan` turns a fresh audit into a hashed, ordered plan,
`executor` applies an approved plan through `effects`, and `journal` makes every change survive a
crash. The final step (sign-off, close) builds on the plan and the journal.
"""

from __future__ import annotations
