"""After `flask bench-data`: a billing login and a payment, and the ids the load will use,
saved in the settings table so later runs skip the build. Usage: fixtures.py URL LOAD_SECONDS

The busiest agent is also given FOLDER_ROWS fresh cases in New and in Waiting: the loader spreads
cases over two years and only those awaiting an agent for under 30 days sit in those folders, so at
100,000 cases they held 8 and 14 rows and the folder pages were not measured with a full page."""

from __future__ import annotations

import os
import sys
from datetime import timedelta

import sqlalchemy as sa

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import (
    Case,
    CaseStatus,
    Payment,
    PaymentMethod,
    Role,
    Setting,
    User,
    utcnow,
)
from helpdesk.sample_data import bench_data
from helpdesk.services.accounts import accounts
from helpdesk.services.tracker import change_stamp
from helpdesk.web.paging import PER_PAGE

MARKER = "bench_fixtures"
VERSION = 2  # bench/run.py builds a database again when its fixtures are older
FOLDER_ROWS = PER_PAGE + 5


def busiest(column) -> int:
    """The user id with the most cases in `column`."""
    return db.session.execute(
        sa.select(column, sa.func.count())
        .where(column.is_not(None))
        .group_by(column)
        .order_by(sa.func.count().desc())
        .limit(1)
    ).first()[0]


def fill_folder(agent_id: int, status: CaseStatus) -> None:
    """Give the agent FOLDER_ROWS cases of `status` that still await an agent (not expired)."""
    now = utcnow()
    ids = db.session.scalars(
        sa.select(Case.id)
        .where(Case.status == status, Case.assignee_id.is_not(None))
        .order_by(Case.id.desc())
        .limit(FOLDER_ROWS)
    ).all()
    for n, case_id in enumerate(ids):
        since = now - timedelta(hours=2 + n)
        db.session.execute(
            sa.update(Case)
            .where(Case.id == case_id)
            .values(assignee_id=agent_id, awaiting_agent_since=since)
        )


def main(url: str, load_seconds: float) -> None:
    os.environ["DATABASE_URL"] = url
    app = create_app()
    with app.app_context():
        agent = db.session.get(User, busiest(Case.assignee_id))
        customer = db.session.get(User, busiest(Case.requester_id))
        fill_folder(agent.id, CaseStatus.NEW)
        fill_folder(agent.id, CaseStatus.WAITING)
        db.session.flush()
        change_stamp.bump()
        billing = accounts.create_user(
            email="billing@bench.example",
            name="Payments Clerk",
            password=bench_data.PASSWORD,
            role=Role.BILLING,
        )
        payment = Payment(
            organisation_id=customer.organisation_id,
            method=PaymentMethod.PREPAID,
            amount_cents=99500,
        )
        db.session.add(payment)
        db.session.flush()
        agent_cases = db.session.scalar(
            sa.select(sa.func.count()).select_from(Case).where(Case.assignee_id == agent.id)
        )
        fixtures = {
            "version": VERSION,
            "cases": db.session.scalar(sa.select(sa.func.count()).select_from(Case)),
            "password": bench_data.PASSWORD,
            "agent_email": agent.email,
            "customer_email": customer.email,
            "billing_email": billing.email,
            "agent_case": db.session.scalar(
                sa.select(sa.func.max(Case.number)).where(Case.assignee_id == agent.id)
            ),
            "customer_case": db.session.scalar(
                sa.select(sa.func.max(Case.number)).where(Case.requester_id == customer.id)
            ),
            "payment": payment.id,
            # A word only this customer's cases hold (their e-mail's local part).
            "rare_word": customer.email.split("@")[0].split(".")[0],
            "customer_organisation": customer.organisation_id,
            "all_pages": max(1, -(-agent_cases // PER_PAGE)),
            "load_seconds": round(load_seconds, 1),
        }
        db.session.merge(Setting(key=MARKER, value=fixtures))
        db.session.commit()
        print(f"fixtures: {fixtures}")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
