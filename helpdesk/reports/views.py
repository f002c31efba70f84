"""Dashboards and reports (issue 8): the support dashboard with live counts, the support and
billing reports over a period, and CSV exports of every report table and any case list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from helpdesk.extensions import db
from helpdesk.formatting import when
from helpdesk.models import Role, utcnow
from helpdesk.reports.charts import billing_charts, dashboard_charts, support_charts
from helpdesk.reports.export import csv_response
from helpdesk.reports.forms import PeriodForm
from helpdesk.services.reports import reports, sla_report, time_report

# The tracker's folder filters, so an exported list matches the list on screen.
from helpdesk.services.tracker import case_filters, change_stamp, folders, sla
from helpdesk.tracker.common import folder_settings, signature
from helpdesk.web.guards import gate_blueprint, role_required
from helpdesk.web.htmx import render_page_or_fragment

bp = Blueprint("reports", __name__)
gate_blueprint(bp, Role.AGENT, Role.ADMIN, Role.BILLING)
SUPPORT_STAFF = (Role.AGENT, Role.ADMIN)
MONEY_STAFF = (Role.BILLING, Role.ADMIN)
REPORT_ROLES = {
    "support": SUPPORT_STAFF,
    "billing": MONEY_STAFF,
    "time": SUPPORT_STAFF,
    "sla": SUPPORT_STAFF,
}


@bp.app_template_filter("report_cell")
def report_cell(value: object) -> str:
    """A report table cell as people read it: 1,234 / 3.75 / 1,234.50 / a dash for nothing."""
    if value is None:
        return "–"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, datetime):  # an instant (the Macros table's last use)
        return when(value)
    return str(value)


def _live_context(live: reports.LiveCounts) -> dict:
    return {
        "live": live,
        "live_signature": signature(live.key()),
        "titles": folders.TITLES,
        "work_folders": folders.WORK_FOLDERS,
    }


@bp.route("/")
@role_required(*SUPPORT_STAFF)
def dashboard():
    """The support dashboard: what needs attention right now."""
    board = reports.dashboard(utcnow(), folder_settings())
    return render_template(
        "reports/dashboard.html",
        board=board,
        charts=dashboard_charts(board),
        goal_hours=sla.first_response_hours(),  # the admin's setting, not the start-up default
        **_live_context(board.live),
    )


@bp.route("/live")
@role_required(*SUPPORT_STAFF)
def live():
    """The dashboard's live counts; 204 while nothing changed since the page's version."""
    # While no case has changed (and the minute is the same) the counts cannot have moved:
    # every open dashboard polls, and each process counts once per change.
    expiry = folder_settings()
    stamp = change_stamp.current(max_age=current_app.config["CHANGE_STAMP_CACHE_SECONDS"])
    live_counts = change_stamp.remembered(
        stamp, ("dashboard live counts", expiry), lambda: reports.live_counts(utcnow(), expiry)
    )
    context = _live_context(live_counts)
    if request.args.get("known") == context["live_signature"]:
        return "", 204
    return render_template("reports/_live.html", **context)


def _period_form() -> tuple[PeriodForm, reports.Period]:
    form = PeriodForm(request.args)
    today = reports.local_today(utcnow(), reports.business_zone())
    return form, form.period(today)


def _period_report(name: str, tables: Callable, **extra: Callable):
    """A report page over the chosen period (its fragment for htmx): `tables(period)` gives
    the tables, each `extra` builds more context from them."""
    form, period = _period_form()
    built = tables(period)
    return render_page_or_fragment(
        f"reports/{name}.html",
        f"reports/_{name}_report.html",
        form=form,
        period=period,
        tables=built,
        **{key: build(built) for key, build in extra.items()},
    )


@bp.route("/support")
@role_required(*SUPPORT_STAFF)
def support():
    """The support report over a period: response times, what arrived, patterns, agents."""
    return _period_report(
        "support",
        reports.support_report,
        charts=lambda tables: support_charts(tables, sla.first_response_hours()),
    )


@bp.route("/billing")
@role_required(*MONEY_STAFF)
def billing():
    """The billing report over a period: payments, refunds by reason, blocked attempts."""
    return _period_report("billing", reports.billing_report, charts=billing_charts)


@bp.route("/time")
@role_required(*SUPPORT_STAFF)
def time_spent():
    """Hours logged on cases over a period: by agent, organisation, case type and month."""
    return _period_report("time", time_report.time_report)


@bp.route("/service-levels")
@role_required(*SUPPORT_STAFF)
def service_levels():
    """Per service-level policy: targets met by the cases of a period."""
    return _period_report("service_levels", sla_report.service_level_report)


@bp.route("/<report>/<name>.csv")
def table_csv(report: str, name: str):
    """One report table as CSV, for the period of the page it came from."""
    roles = REPORT_ROLES.get(report)
    if roles is None:
        abort(404)
    if current_user.role not in roles:
        abort(403)
    _, period = _period_form()
    table = reports.report_table(report, name, period)
    if table is None:
        abort(404)
    return csv_response(f"{report}-{name}-{period.slug()}.csv", table.header, table.rows)


@bp.route("/cases.csv")
@role_required(*SUPPORT_STAFF)
def cases_csv():
    """A tracker folder with its filters as CSV (?folder=queue&origin=phone...), streamed."""
    folder = folders.parse_folder(request.args.get("folder", folders.ALL))
    if folder is None:
        abort(404)
    scope = folders.scope_for(current_user, request.args.get("scope") == "everyone")
    query = reports.case_list_query(
        [
            folders.folder_condition(folder, utcnow(), folder_settings()),
            folders.scope_condition(folder, scope),
            *case_filters.conditions(request.args),
        ],
        folders.folder_order(folder),
    ).execution_options(yield_per=1000)

    def rows():
        # Runs while the response streams: the database hands over 1,000 rows at a time.
        yield from db.session.execute(query)

    stamp = utcnow().strftime("%Y-%m-%d")
    return csv_response(f"cases-{folder}-{stamp}.csv", reports.CASE_COLUMNS, rows())
