"""The site root sends each person to their role's home."""

from __future__ import annotations

from flask import redirect, url_for
from flask_login import current_user

from helpdesk.models import Role

HOME_ENDPOINTS = {
    Role.CUSTOMER: "portal.case_list",
    Role.AGENT: "tracker.home",
    Role.BILLING: "billing.home",
    Role.ADMIN: "admin.home",
}


def home_url(role: Role) -> str:
    """Where a user of `role` lands after logging in."""
    return url_for(HOME_ENDPOINTS[role])


def index():
    """Root: the login page for visitors, the role's home for everyone else."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(home_url(current_user.role))
