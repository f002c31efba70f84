"""The report period: a GET form of two dates; a bad one is reported and the default used."""

from __future__ import annotations

from datetime import date

from wtforms import Form
from wtforms.validators import Optional

from helpdesk.services.reports.reports import DEFAULT_DAYS, MAX_DAYS, Period, default_period
from helpdesk.web.forms import DateField

IGNORED = f"Showing the last {DEFAULT_DAYS} days instead."


class PeriodForm(Form):
    """?from=YYYY-MM-DD&to=YYYY-MM-DD (both optional)."""

    date_from = DateField("From", name="from", validators=[Optional()])
    date_to = DateField("To", name="to", validators=[Optional()])

    def period(self, today: date) -> Period:
        """The chosen period, or the last 30 days with an error on the field at fault."""
        fallback = default_period(today)
        if not self.validate():
            for field in (self.date_from, self.date_to):
                if field.errors:
                    field.errors = [*field.errors, IGNORED]
            return fallback
        first, last = self.date_from.data, self.date_to.data
        if first is None and last is None:
            return self._show(fallback)
        if last is None:
            last = max(today, first)
        if first is None:
            first = default_period(last).first
        if first > last:
            self.date_to.errors = ["The end date is before the start date.", IGNORED]
            return fallback
        if (last - first).days + 1 > MAX_DAYS:
            self.date_to.errors = [f"Choose a period of at most {MAX_DAYS} days.", IGNORED]
            return fallback
        return self._show(Period(first, last))

    def _show(self, period: Period) -> Period:
        self.date_from.data, self.date_to.data = period.first, period.last
        return period
