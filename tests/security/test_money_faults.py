"""A refund whose worker process dies mid-request: before its commit nothing happened, after it
everything did, the customer's mail included (it waits in the outbox, written in the same
transaction), and the billing clerk's retry of the same form refunds nothing twice.

The worker is a real OS process handling the real refund form through the app; it is killed
with os._exit, so no `finally`, rollback or handler of ours runs: only what the database
committed survives. The exact moment is chosen with SQLAlchemy's session events, armed once
the refund's audit row (the last thing the service adds) is in the session.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import (
    AuditLog,
    OutboxMail,
    OutboxStatus,
    Payment,
    Refund,
    Role,
    User,
)
from helpdesk.services.mail.mail_sender import send_batch
from tests.conftest import as_user, config_for_tests, login_as, post_form
from tests.factories import make_organisation, make_user
from tests.services.test_mail_sender import point_mail_at, running_smtp_server
from tests.services.test_refunds import make_payment

CRASHED = 77  # the dying worker's exit status: proves it died where we meant it to
WORKER_TIMEOUT = 120
CUSTOMER = "cleo@acme.example"
REFUND = {"amount": "25.00", "reason": "Damaged in transit", "destination": "card"}
REFUND_SUBJECT = "Your refund of $25.00"


@pytest.fixture
def shop(app: Flask) -> dict:
    """A $100.00 card payment of Acme (whose login is Cleo) and a billing clerk."""
    with app.app_context():
        organisation = make_organisation(name="Acme Hosting")
        make_user(Role.CUSTOMER, organisation=organisation, email=CUSTOMER, name="Cleo")
        clerk = make_user(Role.BILLING, name="Bea Billing")
        payment = make_payment(organisation, amount_cents=10_000)
        db.session.commit()
        return {"clerk_id": clerk.id, "payment_id": payment.id}


def _refund_then_die(setup: dict, crash: str, results) -> None:
    """A worker process: post the refund form, and die just before or just after the commit."""
    from helpdesk.services.core import audit

    app = create_app(config_for_tests(setup["url"], Path(setup["tmp"])))
    armed = False
    real_record = audit.record

    def record_then_arm(*args, **kwargs):
        nonlocal armed
        row = real_record(*args, **kwargs)
        armed = args[0] == "refund.create"
        return row

    audit.record = record_then_arm

    def die_before(session) -> None:
        if armed and crash == "before":
            os._exit(CRASHED)

    def die_after(session) -> None:
        if armed and crash == "after":
            os._exit(CRASHED)

    sa.event.listen(Session, "before_commit", die_before)
    sa.event.listen(Session, "after_commit", die_after)
    client = app.test_client()
    with app.app_context():
        login_as(client, db.session.get(User, setup["clerk_id"]))
    page = f"/billing/payments/{setup['payment_id']}"
    response = post_form(
        client, f"{page}/refunds", {**REFUND, "idempotency_key": setup["key"]}, page=page
    )
    results.put(response.status_code)  # only reached if the crash never came


def run_dying_worker(app: Flask, shop: dict, tmp_path: Path, *, crash: str, key: str) -> None:
    context = multiprocessing.get_context("forkserver")
    results = context.Queue()
    setup = {**shop, "url": app.config["SQLALCHEMY_DATABASE_URI"], "tmp": str(tmp_path)}
    worker = context.Process(target=_refund_then_die, args=({**setup, "key": key}, crash, results))
    worker.start()
    worker.join(timeout=WORKER_TIMEOUT)
    if worker.is_alive():
        worker.kill()  # only our own child, by handle
        pytest.fail("the refund worker hung")
    assert results.empty(), f"the worker survived its crash point ({results.get()})"
    assert worker.exitcode == CRASHED


def state(app: Flask, payment_id: int) -> dict:
    """What the database holds about the refund, read afresh."""
    with app.app_context():
        refunds = db.session.scalars(sa.select(Refund).where(Refund.payment_id == payment_id)).all()
        audits = db.session.scalars(
            sa.select(AuditLog).where(AuditLog.action == "refund.create")
        ).all()
        mails = db.session.scalars(sa.select(OutboxMail).order_by(OutboxMail.id)).all()
        figures = {
            "refunds": [(r.amount_cents, r.idempotency_key) for r in refunds],
            "refunded_cents": db.session.get(Payment, payment_id).refunded_cents,
            "audits": [(a.object_id, a.details.get("amount_cents")) for a in audits],
            "mails": [(m.to_address, m.subject, m.status) for m in mails],
            "refund_ids": [r.id for r in refunds],
        }
        db.session.remove()
        return figures


def deliver(app: Flask, monkeypatch) -> list:
    """Run the outbox sender against a local SMTP server until it has nothing left; received."""
    with running_smtp_server() as smtp:
        point_mail_at(app, monkeypatch, smtp.port)
        with app.app_context():
            while send_batch().claimed:
                pass
            assert send_batch().claimed == 0  # nothing left over to send again
            db.session.remove()
        return list(smtp.received)


def payment_page(app: Flask, client, shop: dict) -> str:
    as_user(app, client, shop["clerk_id"])
    url = f"/billing/payments/{shop['payment_id']}"
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def retry(app: Flask, client, shop: dict, key: str) -> str:
    """The clerk presses Refund again on the same form (same idempotency key); the page after."""
    as_user(app, client, shop["clerk_id"])
    page = f"/billing/payments/{shop['payment_id']}"
    response = post_form(client, f"{page}/refunds", {**REFUND, "idempotency_key": key}, page=page)
    assert response.status_code == 303
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_crash_right_after_the_commit_keeps_everything_and_the_mail_goes_out_once(
    app, client, shop, tmp_path, monkeypatch
):
    key = secrets.token_urlsafe(24)
    run_dying_worker(app, shop, tmp_path, crash="after", key=key)

    # The request never answered, but the refund, the total, the audit row and the mail all
    # committed together.
    after = state(app, shop["payment_id"])
    [refund_id] = after["refund_ids"]
    assert after["refunds"] == [(2500, key)]
    assert after["refunded_cents"] == 2500
    assert after["audits"] == [(refund_id, 2500)]
    assert after["mails"] == [(CUSTOMER, REFUND_SUBJECT, OutboxStatus.QUEUED)]
    page = payment_page(app, client, shop)
    assert "Damaged in transit" in page and "Nothing refunded yet" not in page

    # The sender (its own process in production) delivers the refund mail, exactly once.
    [mail] = deliver(app, monkeypatch)
    assert mail.recipients == [CUSTOMER]
    assert mail.message["Subject"] == REFUND_SUBJECT
    body = mail.message.get_content()
    assert "we have refunded $25.00 of your payment of $100.00" in body
    assert "Visa card ending in 4242" in body and "Damaged in transit" in body

    # The clerk saw no answer and presses Refund again: the first refund is shown, no second.
    page = retry(app, client, shop, key)
    assert "Already refunded: this request was processed before." in page
    again = state(app, shop["payment_id"])
    assert again["refund_ids"] == [refund_id]
    assert again["refunded_cents"] == 2500 and len(again["audits"]) == 1
    assert again["mails"] == [(CUSTOMER, REFUND_SUBJECT, OutboxStatus.SENT)]
    assert deliver(app, monkeypatch) == []  # and no second mail


def test_a_crash_just_before_the_commit_leaves_nothing_and_a_retry_refunds_once(
    app, client, shop, tmp_path, monkeypatch
):
    key = secrets.token_urlsafe(24)
    run_dying_worker(app, shop, tmp_path, crash="before", key=key)

    nothing = state(app, shop["payment_id"])
    assert nothing == {
        "refunds": [],
        "refunded_cents": 0,
        "audits": [],
        "mails": [],
        "refund_ids": [],
    }
    assert "Nothing refunded yet." in payment_page(app, client, shop)
    assert deliver(app, monkeypatch) == []  # no mail about a refund that never happened

    # The same form again (same key): the dead request used nothing up, so this one refunds.
    page = retry(app, client, shop, key)
    assert "Refunded $25.00 to Visa ending 4242." in page
    done = state(app, shop["payment_id"])
    assert done["refunds"] == [(2500, key)] and done["refunded_cents"] == 2500
    assert len(done["audits"]) == 1
    [mail] = deliver(app, monkeypatch)
    assert (mail.recipients, mail.message["Subject"]) == ([CUSTOMER], REFUND_SUBJECT)
    # A third press is a replay of the refund just made.
    assert "Already refunded" in retry(app, client, shop, key)
    assert len(state(app, shop["payment_id"])["refund_ids"]) == 1
