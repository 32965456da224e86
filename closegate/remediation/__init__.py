"""Remediation: plan the fixes an audit calls for, apply them safely, and journal every change.

`actions` declares fixes beside their checks, `plan` turns a fresh audit into a hashed, ordered plan,
`executor` applies an approved plan through `effects` under `guard` (what it may touch and whom it
must not, re-derived from the tenant, never taken from the plan), and `journal` makes every change
survive a crash. The final step (sign-off, close) builds on the plan and the journal.
"""

from __future__ import annotations
