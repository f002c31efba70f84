"""The change stamp behind the idle poll: it moves with every case write and nothing else."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Case, CaseStatus, Counter, Payment, PaymentMethod
from helpdesk.services.tracker import change_stamp
from tests.factories import make_case, make_organisation

pytestmark = pytest.mark.usefixtures("ctx")


def counter() -> str:
    return change_stamp.current().split(".")[0]


def test_creating_and_changing_a_case_moves_the_stamp():
    organisation = make_organisation()
    db.session.commit()
    before = counter()

    case = make_case(organisation)
    db.session.commit()
    created = counter()
    case.status = CaseStatus.OPEN
    db.session.commit()

    assert before != created != counter()


def test_writes_to_other_tables_leave_it_alone():
    organisation = make_organisation()
    db.session.commit()
    before = counter()

    db.session.add(
        Payment(organisation_id=organisation.id, method=PaymentMethod.PREPAID, amount_cents=100)
    )
    db.session.commit()

    assert counter() == before


def test_bulk_updates_of_cases_move_it():
    make_case(make_organisation())
    db.session.commit()
    before = counter()

    db.session.execute(sa.update(Case).values(tier=2))
    db.session.commit()

    assert counter() != before


def test_a_rolled_back_change_does_not_move_it():
    case = make_case(make_organisation())
    db.session.commit()
    before = counter()

    case.status = CaseStatus.OPEN
    db.session.flush()
    db.session.rollback()
    db.session.commit()

    assert counter() == before


def test_the_stamp_carries_the_minute_of_the_apps_clock(frozen_clock):
    first = change_stamp.current()  # the frozen clock stands 30 seconds into a minute
    frozen_clock.advance(29.9)
    same_minute = change_stamp.current()
    frozen_clock.advance(0.1)

    assert same_minute == first != change_stamp.current()


def test_a_fresh_enough_counter_expires_by_the_apps_clock(frozen_clock):
    make_case(make_organisation())
    db.session.commit()
    read = change_stamp.current()
    db.session.execute(sa.update(Case).values(tier=2))  # moves the counter
    db.session.commit()

    frozen_clock.advance(0.9)
    assert change_stamp.current(max_age=1) == read  # within its second: not read again
    frozen_clock.advance(0.1)
    fresh = change_stamp.current(max_age=1)
    assert fresh != read and fresh == change_stamp.current()


def test_remembered_values_last_while_the_stamp_holds():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert change_stamp.remembered("0.5", ("k",), compute) == 1  # no case ever: not kept
    assert change_stamp.remembered("0.5", ("k",), compute) == 2
    assert change_stamp.remembered("7.5", ("k",), compute) == 3
    assert change_stamp.remembered("7.5", ("k",), compute) == 3
    assert change_stamp.remembered("8.5", ("k",), compute) == 4
    assert change_stamp.remembered("8.5", ("other",), compute) == 5


def test_a_new_counter_starts_somewhere_new():
    make_case(make_organisation())
    db.session.commit()
    first = counter()
    db.session.execute(sa.delete(Counter).where(Counter.name == change_stamp.COUNTER))
    make_case(make_organisation())
    db.session.commit()

    assert counter() not in (first, "1")
