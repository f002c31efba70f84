"""How the rules' own sentences write a date: "2 Dec 2026", as every page does.

Rules use the standard library only, so they cannot ask Babel; this writes the English form
of helpdesk.formatting.DATE_FORMAT ("d MMM y"), and a test keeps the two the same.
"""

from datetime import date

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_text(day: date) -> str:
    """A date as "2 Dec 2026" (not strftime's %b, which follows the process locale)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
