"""Placeholder: routes are added here."""

from helpdesk.billing.blueprint import bp  # noqa: F401
