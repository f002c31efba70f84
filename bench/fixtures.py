"""After `flask bench-data`: a billing login and a payment, and the ids the load will use,
saved in the settings table so later runs skip the build. Usage: fixtures.py URL LOAD_SECONDS"""

from __future__ import annotations

import os
import sys

import sqlalchemy as sa

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import Case, Payment, PaymentMethod, Role, Setting, User
from helpdesk.sample_data import bench_data
from helpdesk.services.accounts import accounts
from helpdesk.web.paging import PER_PAGE

MARKER = "bench_fixtures"


def busiest(column) -> int:
    """The user id with the most cases in `column`."""
    return db.session.execute(
        sa.select(column, sa.func.count())
        .where(column.is_not(None))
        .group_by(column)
        .order_by(sa.func.count().desc())
        .limit(1)
    ).first()[0]


def main(url: str, load_seconds: float) -> None:
    os.environ["DATABASE_URL"] = url
    app = create_app()
    with app.app_context():
        agent = db.session.get(User, busiest(Case.assignee_id))
        customer = db.session.get(User, busiest(Case.requester_id))
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
            "all_pages": max(1, -(-agent_cases // PER_PAGE)),
            "load_seconds": round(load_seconds, 1),
        }
        db.session.merge(Setting(key=MARKER, value=fixtures))
        db.session.commit()
        print(f"fixtures: {fixtures}")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
