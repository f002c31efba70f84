"""Adding and removing people CC'd on a case, the same from the portal and the case page."""

from __future__ import annotations

from flask import flash, redirect, request
from flask_login import current_user

from helpdesk.services import ServiceError
from helpdesk.services.cases import cc


def cc_context(case) -> dict:
    """The CC list and the organisation's addresses that could be added."""
    copied = cc.addresses(case)
    taken = set(copied) | {a for a in (case.correspondent_email,) if a}
    if case.requester is not None:
        taken.add(case.requester.email.lower())
    return {
        "cc_addresses": copied,
        "cc_choices": sorted(cc.organisation_addresses(case.organisation_id) - taken),
    }


def cc_post(case, *, adding: bool, back: str):
    """Add or remove the posted address; a message either way; back to the case page."""
    entered = request.form.get("email", "")[:254]
    try:
        if adding:
            address = cc.add(current_user, case, entered)
            flash(f"{address} gets this case's replies from now on.", "success")
        else:
            cc.remove(current_user, case, entered)
            flash(f"{entered.strip().lower()} no longer gets this case's replies.", "info")
    except ServiceError as error:
        flash(error.message, "error")
    return redirect(back)
