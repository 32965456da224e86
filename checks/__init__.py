"""The built-in check catalog: one module per check, listed here explicitly and in order.

A test fails if a module on disk is missing from `BUILTIN_MODULES` (modules starting with "_" are
shared helpers, not checks). Third-party checks come in through the "closegate.checks" entry points.
"""

from __future__ import annotations

__all__ = ["BUILTIN_MODULES"]

BUILTIN_MODULES: tuple[str, ...] = (
    "caller_can_close_tenant",  # CG-001
    "backup_taken",  # CG-002
    "single_global_admin",  # CG-003
    "no_other_users",  # CG-004
    "directory_sync_disabled",  # CG-005
    "no_active_subscriptions",  # CG-006
    "no_disabled_subscriptions",  # CG-007
    "mfa_disabled_except_admin",  # CG-008
    "no_app_registrations",  # CG-009
    "no_deletable_service_principals",  # CG-010
    "no_azure_subscriptions",  # CG-011
    "not_partner_directory",  # CG-012
    "no_mfa_providers",  # CG-013
    "no_self_service_signup_products",  # CG-014
    "invoices_paid",  # CG-015
    "b2c_directory_emptied",  # CG-016
    "recycle_bin_empty",  # CG-017
    "usage_report_names_visible",  # CG-018
    "no_active_legal_holds",  # CG-019
    "holds_outside_graph_attested",  # CG-020
    "retention_reviewed",  # CG-021
    "no_autopilot_registrations",  # CG-022
    "devices_inventoried",  # CG-023
    "bitlocker_keys_exported",  # CG-024
    "no_domain_services",  # CG-027
)
