"""Jinja filters: money, dates and status words people understand."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from helpdesk.rules.folders import CaseStatus
from helpdesk.services import settings
from helpdesk.web.links import mail_link

CUSTOMER_STATUS = {
    CaseStatus.NEW: "Received",
    CaseStatus.OPEN: "Being worked on",
    CaseStatus.ANSWERED: "Answered - your reply is welcome",
    CaseStatus.WAITING: "Your reply is with us",
    CaseStatus.CLOSED: "Closed",
}


def money(cents: int | None, currency: str = "USD") -> str:
    """Integer cents as "USD 1,234.50"."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 100)
    return f"{sign}{currency} {whole:,}.{fraction:02d}"


def when(value: datetime | None) -> str:
    """A UTC timestamp as "2026-11-24 14:05 UTC"."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


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
    app.add_template_filter(when)
    app.add_template_filter(customer_status)
    app.add_template_filter(filesize)
    app.add_template_global(mail_link)
    app.add_template_global(settings.setting, "setting")  # admin-adjustable values, current
