"""Inbound mail whose routing never finished: redeliveries resume it, the sweep finds it,
and two processes never both route one row. The clock is injected; no test sleeps."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Case, InboundMail, InboundStatus, Message, OutboxMail
from helpdesk.rules.inbound import parse
from helpdesk.services.cases import cases
from helpdesk.services.mail import inbound
from tests.services.test_inbound import answered_case, count, make_mail, outbox_to, people

__all__ = ["people"]  # the fixture, shared with the routing tests

STORED_AT = datetime(2026, 3, 2, 9, 0)
THREAD_TIMEOUT = 60


def store_only(raw: bytes, at: datetime = STORED_AT) -> int:
    """What a process killed after the raw commit leaves: a "received" row and nothing else."""
    mail = inbound._store(raw, parse(raw))
    mail.created_at = at
    db.session.commit()
    assert mail.status == InboundStatus.RECEIVED
    return mail.id


def test_a_redelivery_resumes_the_row_a_crash_left_unrouted(app, people, policy):
    with app.app_context():
        raw = make_mail("ann@oldtown.test", message_id="<crash-1@example.test>")
        mail_id = store_only(raw)
        again = inbound.ingest(raw, policy=policy)
        assert again.id == mail_id  # no second row
        assert again.status == InboundStatus.PROCESSED and again.case_id is not None
        assert count(InboundMail) == 1 and count(Case) == 1
        [ack] = outbox_to("ann@oldtown.test")
        assert ack.case_id == again.case_id


def test_a_redelivered_reply_adds_one_message(app, people, policy):
    with app.app_context():
        case = answered_case(people)
        raw = make_mail("ann@oldtown.test", f"[#{case.number}] still jams")
        mail_id = store_only(raw)
        assert inbound.ingest(raw, policy=policy).id == mail_id
        assert inbound.ingest(raw, policy=policy).status == InboundStatus.IGNORED
        assert count(Message, Message.case_id == case.id) == 1
        assert count(Case) == 1


def test_a_redelivery_of_a_routed_message_is_still_ignored(app, people, policy):
    with app.app_context():
        raw = make_mail("ann@oldtown.test")
        first = inbound.ingest(raw, policy=policy)
        second = inbound.ingest(raw, policy=policy)
        assert second.id != first.id and second.status == InboundStatus.IGNORED
        assert f"Duplicate of inbound mail {first.id}" in second.error
        assert count(Case) == 1


def test_the_sweep_routes_rows_unrouted_for_five_minutes(app, people, policy):
    with app.app_context():
        mail_id = store_only(make_mail("ann@oldtown.test"))
        early = STORED_AT + timedelta(minutes=4, seconds=59)
        assert inbound.sweep_stuck_mail(now=early, policy=policy) == []
        assert db.session.get(InboundMail, mail_id).status == InboundStatus.RECEIVED
        [swept] = inbound.sweep_stuck_mail(now=STORED_AT + timedelta(minutes=5), policy=policy)
        assert (swept.id, swept.status) == (mail_id, InboundStatus.PROCESSED)
        assert inbound.sweep_stuck_mail(now=STORED_AT + timedelta(hours=1), policy=policy) == []
        assert count(Case) == 1 and count(OutboxMail) == 1


def test_the_stuck_time_is_a_setting(app, people, policy, monkeypatch):
    monkeypatch.setitem(app.config, "INBOUND_STUCK_MINUTES", 30)
    with app.app_context():
        store_only(make_mail("ann@oldtown.test"))
        later = STORED_AT + timedelta(minutes=29)
        assert inbound.sweep_stuck_mail(now=later, policy=policy) == []
        assert len(inbound.sweep_stuck_mail(now=later + timedelta(minutes=1), policy=policy)) == 1


def test_the_sweep_leaves_quarantined_and_ignored_rows_alone(app, people, policy):
    with app.app_context():
        stuck = store_only(make_mail("ann@oldtown.test"))
        for status in (InboundStatus.QUARANTINED, InboundStatus.IGNORED):
            other = db.session.get(InboundMail, store_only(make_mail("ann@oldtown.test")))
            other.status = status
        db.session.commit()
        swept = inbound.sweep_stuck_mail(now=STORED_AT + timedelta(days=1), policy=policy)
        assert [mail.id for mail in swept] == [stuck]
        assert count(Case) == 1


def test_a_row_another_process_routed_meanwhile_is_not_routed_again(app, people, policy):
    with app.app_context():
        raw = make_mail("ann@oldtown.test")
        mail = db.session.get(InboundMail, store_only(raw))
        # Another process finished it between our read and our routing.
        with db.engine.begin() as other:
            other.execute(
                sa.update(InboundMail)
                .where(InboundMail.id == mail.id)
                .values(status=InboundStatus.PROCESSED)
            )
        result = inbound._process(mail, parse(raw), policy)
        assert result.status == InboundStatus.PROCESSED
        assert count(Case) == 0 and count(OutboxMail) == 0


def test_a_sweep_and_a_redelivery_at_once_route_the_row_once(app, people, policy, monkeypatch):
    """The sweep holds the row mid-routing; the MTA's redelivery must wait, then find it done."""
    with app.app_context():
        raw = make_mail("ann@oldtown.test")
        mail_id = store_only(raw)
    sweep_routing, redelivery_writing = threading.Event(), threading.Event()
    real_triage = cases._triage

    def triage_then_wait(case, now):
        if threading.current_thread().name == "sweep":
            sweep_routing.set()
            redelivery_writing.wait(THREAD_TIMEOUT)
        return real_triage(case, now)

    def spot_the_redelivery_writing(conn, cursor, statement, *args) -> None:
        if threading.current_thread().name == "redelivery" and statement.lstrip()[:6] in (
            "UPDATE",
            "INSERT",
        ):
            redelivery_writing.set()

    monkeypatch.setattr(cases, "_triage", triage_then_wait)
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", spot_the_redelivery_writing)
    results: dict[str, list[InboundMail] | InboundMail | BaseException] = {}

    def run(name: str, work) -> None:
        with app.app_context():
            try:
                results[name] = work()
                results[f"{name} status"] = _statuses(results[name])
            except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                results[name] = error
            finally:
                db.session.remove()

    far_later = STORED_AT + timedelta(days=1)
    sweep = threading.Thread(
        target=run,
        name="sweep",
        args=("sweep", lambda: inbound.sweep_stuck_mail(now=far_later, policy=policy)),
    )
    redelivery = threading.Thread(
        target=run,
        name="redelivery",
        args=("redelivery", lambda: inbound.ingest(raw, policy=policy)),
    )
    try:
        sweep.start()
        assert sweep_routing.wait(THREAD_TIMEOUT)
        redelivery.start()
        redelivery.join(THREAD_TIMEOUT)
        sweep.join(THREAD_TIMEOUT)
    finally:
        redelivery_writing.set()
        sa.event.remove(engine, "before_cursor_execute", spot_the_redelivery_writing)
    assert not sweep.is_alive() and not redelivery.is_alive()
    assert results["sweep status"] == [(mail_id, InboundStatus.PROCESSED)], results
    assert results["redelivery status"] == [(mail_id, InboundStatus.PROCESSED)], results
    with app.app_context():
        assert count(Case) == 1 and count(InboundMail) == 1 and count(OutboxMail) == 1


def _statuses(mails: list[InboundMail] | InboundMail) -> list[tuple[int, InboundStatus]]:
    mails = mails if isinstance(mails, list) else [mails]
    return [(mail.id, mail.status) for mail in mails]


@pytest.mark.parametrize("minutes, stuck", [(4, False), (5, True)])
def test_a_received_row_counts_as_stuck_after_the_setting(app, minutes, stuck):
    with app.app_context():
        mail = InboundMail(raw=b"", status=InboundStatus.RECEIVED, created_at=STORED_AT)
        assert inbound.is_stuck(mail, STORED_AT + timedelta(minutes=minutes)) is stuck
        mail.status = InboundStatus.QUARANTINED
        assert inbound.is_stuck(mail, STORED_AT + timedelta(days=1)) is False
