"""`flask demo-data` and `flask create-user`."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Activity,
    ActivityKind,
    AuditLog,
    BlockedCard,
    BlockedIP,
    Case,
    Invoice,
    InvoiceStatus,
    Order,
    OrderStatus,
    Organisation,
    Payment,
    Refund,
    Role,
    User,
)
from helpdesk.rules.eligibility import SupportLevel
from helpdesk.rules.folders import CaseClock, Folder, FolderSettings, folder_of
from helpdesk.rules.tiers import initial_tier
from helpdesk.sample_data import demo
from helpdesk.services.cases.eligibility import organisation_eligibility
from tests.conftest import post_form


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


@pytest.fixture
def demo_loaded(app):
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    return result


def test_demo_data_prints_every_login_and_is_idempotent(app, demo_loaded):
    assert "Demo data loaded." in demo_loaded.output
    for email, _, _ in demo.logins():
        assert email in demo_loaded.output
    assert demo.DEMO_PASSWORD in demo_loaded.output
    with app.app_context():
        before = row_counts()
    again = app.test_cli_runner().invoke(args=["demo-data"])
    assert again.exit_code == 0 and "already loaded" in again.output
    with app.app_context():
        assert row_counts() == before


def test_demo_staff_cover_every_role_and_tier(app, demo_loaded):
    with app.app_context():
        staff = db.session.execute(sa.select(User.role, User.tier)).all()
    assert {(Role.AGENT, 1), (Role.AGENT, 2), (Role.AGENT, 3)} <= set(staff)
    assert {Role.BILLING, Role.ADMIN, Role.CUSTOMER} <= {role for role, _ in staff}


EXPECTED_LEVELS = {
    "Northwind Outfitters": SupportLevel.ACTIVE,
    "Harbor Theatre": SupportLevel.NO_PLAN,
    "Cedar Books": SupportLevel.ACTIVE,
    "Lakeside Crafts": SupportLevel.SEND_TO_SALES,
    "Summit Hosting Co": SupportLevel.ACTIVE,
    "Pinecrest Festival": SupportLevel.ACTIVE,
    "Oldtown Hardware": SupportLevel.UNSUPPORTED,
    "Redwood Kiosks": SupportLevel.NO_ACCOUNT,  # a recurring payment on a blocked card
}


def demo_folders_at(app, now: datetime) -> set[Folder]:
    expiry = FolderSettings(app.config["EXPIRED1_DAYS"], app.config["EXPIRED2_DAYS"])
    return {
        folder_of(
            CaseClock(
                c.status,
                c.assignee_id,
                c.awaiting_agent_since,
                c.last_agent_reply_at,
                c.customer_viewed_at,
            ),
            now,
            expiry,
        )
        for c in db.session.scalars(sa.select(Case))
    }


def demo_levels_on(today: date) -> dict[str, SupportLevel]:
    """Each demo organisation's level as the app finds it (paid orders only)."""
    return {
        organisation.name: organisation_eligibility(organisation.id, today).level
        for organisation in db.session.scalars(sa.select(Organisation))
    }


# The test looks from the moment the demo counted its ages back from, not from its own clock:
# a run that crosses midnight (or a machine whose local date is not UTC's) sees the same.
def test_demo_cases_fill_every_folder(app, demo_loaded):
    with app.app_context():
        numbers = db.session.scalars(sa.select(Case.number)).all()
        assert demo_folders_at(app, demo.loaded_at()) == set(Folder)
    assert len(set(numbers)) == len(numbers)


def test_demo_orders_cover_every_eligibility_case(app, demo_loaded):
    with app.app_context():
        assert demo_levels_on(demo.loaded_at().date()) == EXPECTED_LEVELS


@pytest.mark.parametrize(
    "moment",
    [datetime(2026, 1, 31, 23, 59, 59), datetime(2026, 3, 1, 0, 0, 1)],
    ids=["last second of a month", "first second of a month"],
)
def test_the_demo_counts_every_age_back_from_the_moment_it_is_loaded_at(app, moment):
    with app.app_context():
        assert demo.load(app.config["CARD_HASH_KEY"].encode(), now=moment)
        assert demo.loaded_at() == moment
        assert demo_folders_at(app, moment) == set(Folder)
        assert demo_levels_on(moment.date()) == EXPECTED_LEVELS


def test_every_demo_case_keeps_the_eligibility_it_was_opened_with(app, demo_loaded):
    with app.app_context():
        unrecorded = db.session.scalars(
            sa.select(Case.number).where(Case.eligibility_level.is_(None))
        ).all()
        evaluation = db.session.scalar(
            sa.select(Case.eligibility_reason).where(Case.number == 10002)
        )
    assert unrecorded == []
    assert evaluation.startswith("Evaluating for")


def test_every_demo_case_starts_at_the_tier_its_eligibility_gives(app, demo_loaded):
    """As triage sets it: an active plan (or a bug report) starts a case at tier 2."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Case.number, Case.category, Case.eligibility_level, Case.tier)
        ).all()
    wrong = [
        (number, level, tier)
        for number, category, level, tier in rows
        if tier != initial_tier(category, SupportLevel(level))
    ]
    assert wrong == []
    tiers = {number: tier for number, _, _, tier in rows}
    # Opened with an active support plan: the cases the demo once left at tier 1.
    assert {tiers[n] for n in (10001, 10002, 10003, 10004, 10005, 10010, 10041)} == {2}
    assert tiers[10006] == tiers[10007] == tiers[10008] == 1  # no plan, sales, version 5


def test_no_demo_case_is_held_below_its_tier_but_by_a_logged_override(app, demo_loaded):
    with app.app_context():
        below = db.session.execute(
            sa.select(Case.id, Case.number, User.name)
            .join(User, User.id == Case.assignee_id)
            .where(User.tier < Case.tier)
        ).all()
        overrides = {
            case_id: summary
            for case_id, summary in db.session.execute(
                sa.select(Activity.case_id, Activity.summary).where(
                    Activity.kind == ActivityKind.ASSIGNMENT,
                    Activity.summary.like("Override:%"),
                )
            )
        }
        audited = set(
            db.session.scalars(
                sa.select(AuditLog.object_id).where(AuditLog.action == "case.assign_below_tier")
            )
        )
    assert [number for _, number, _ in below] == [10003]  # the demo's one override
    for case_id, _, name in below:
        assert overrides[case_id].startswith(f"Override: {name} gave this tier 2 case to")
        assert case_id in audited


def test_the_demo_evaluator_has_an_unpaid_invoice_and_is_still_sent_to_sales(app, demo_loaded):
    with app.app_context():
        lakeside = db.session.scalar(
            sa.select(Organisation).where(Organisation.name == "Lakeside Crafts")
        )
        unpaid = db.session.scalars(
            sa.select(Invoice.status)
            .join(Order, Order.id == Invoice.order_id)
            .where(Order.organisation_id == lakeside.id, Order.status == OrderStatus.PENDING)
        ).all()
        level = organisation_eligibility(lakeside.id, demo.loaded_at().date())
    assert unpaid == [InvoiceStatus.OPEN]
    assert level.level == SupportLevel.SEND_TO_SALES
    assert level.reason.startswith("Evaluating for 130 days")


def test_demo_money_and_fraud_stop_are_consistent(app, demo_loaded):
    with app.app_context():
        for payment in db.session.scalars(sa.select(Payment)):
            assert payment.refunded_cents == sum(r.amount_cents for r in payment.refunds)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Refund)) == 2
        assert db.session.scalar(sa.select(BlockedIP.network)) == "203.0.113.0/24"
        card = db.session.scalar(sa.select(BlockedCard))
        assert card.last4 == "0002" and "4000000000000002" not in card.fingerprint
        audited = set(db.session.scalars(sa.select(AuditLog.action)))
        assert {"refund.create", "fraud.block_ip", "fraud.block_card"} <= audited


@pytest.mark.parametrize("email", [login[0] for login in demo.logins()])
def test_every_demo_login_works(app, demo_loaded, email):
    client = app.test_client()
    response = post_form(client, "/auth/login", {"email": email, "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200


def test_create_user_for_a_real_install(app):
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "--email",
            "Boss@Example.com",
            "--name",
            "First Admin",
            "--role",
            "admin",
            "--password",
            "quiet-harbour-lights-9",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert (user.email, user.role) == ("boss@example.com", Role.ADMIN)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--role", "admin", "--password", "short"], "Use at least 10 characters."),
        (["--role", "agent", "--password", "a-long-agent-passphrase"], "tier of 1, 2 or 3"),
        (
            ["--role", "customer", "--password", "a-long-customer-pass"],
            "belongs to an organisation",
        ),
        (
            [
                "--role",
                "customer",
                "--customer-number",
                "C404",
                "--password",
                "a-long-customer-pass",
            ],
            "No organisation",
        ),
    ],
)
def test_create_user_refuses_bad_input(app, args, message):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--email", "x@example.com", "--name", "X", *args]
    )
    assert result.exit_code != 0 and message in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_demo_morning_starts_with_the_overnight_voice_mail(app, demo_loaded):
    """Seed 003's first thing: overnight voice mails, after-hours customers first."""
    client = app.test_client()
    post_form(
        client, "/auth/login", {"email": "agent1@example.com", "password": demo.DEMO_PASSWORD}
    )
    page = client.get("/tracker/start-of-day").text
    voice_mail = page.index("Voice mail: box office printer down before the matinee")
    assert voice_mail < page.index("Customer replied")
