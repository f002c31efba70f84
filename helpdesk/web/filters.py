"""Jinja filters: money, dates and status words people understand.

The formatting itself lives in helpdesk.formatting, shared with the e-mail the services write.
"""

from __future__ import annotations

from flask import Flask

from helpdesk.formatting import ago, money, number, when, zone_label, zone_name
from helpdesk.i18n import current_locale
from helpdesk.rules.durations import spoken
from helpdesk.rules.folders import CaseStatus
from helpdesk.services.core import settings
from helpdesk.services.mail.links import mail_link
from helpdesk.services.tracker import folders, sla

__all__ = ["ago", "money", "number", "when", "zone_label", "zone_name"]

CUSTOMER_STATUS = {
    CaseStatus.NEW: "Received",
    CaseStatus.OPEN: "Being worked on",
    CaseStatus.ANSWERED: "Answered - your reply is welcome",
    CaseStatus.WAITING: "Your reply is with us",
    CaseStatus.CLOSED: "Closed",
}


def filesize(size: int) -> str:
    """Bytes as people read them: "50 bytes", "1.2 KB", "3.4 MB"."""
    if size < 1024:
        return f"{size} byte{'' if size == 1 else 's'}"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def customer_status(status: CaseStatus) -> str:
    """What a case's status means to the customer who opened it."""
    return CUSTOMER_STATUS.get(CaseStatus(status), str(status))


def register(app: Flask) -> None:
    """Make the filters available to every template."""
    app.add_template_filter(money)
    app.add_template_filter(number)
    app.add_template_filter(when)
    app.add_template_filter(ago)
    app.add_template_filter(customer_status)
    app.add_template_filter(filesize)
    app.add_template_filter(spoken, "duration")  # minutes as "1 h 30 min"
    app.add_template_global(mail_link)
    app.add_template_global(zone_label)
    app.add_template_global(zone_name)
    app.add_template_global(current_locale)
    app.add_template_global(settings.setting, "setting")  # admin-adjustable values, current
    app.add_template_global(folders.GO_KEYS, "folder_keys")  # g + letter, keyboard shortcuts
    app.add_template_global(folders.TITLES, "folder_titles")
    app.add_template_global(sla.support_hours)
