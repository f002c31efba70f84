"""A stamp that moves whenever any case changes, so a live poll can answer "nothing new" with
one primary-key read instead of recounting every folder (issue 9: the idle poll is the most
frequent request of all).

Every transaction that writes a case (through the ORM or an ORM bulk statement) bumps the
`case_changes` counter just before it commits, in the same transaction. Folders also move with
the clock (Expired after 30 days ...), so the stamp carries the minute too: an idle poll
recounts at most once a minute. Writes that bypass the ORM (the benchmark loader) call
`bump()` themselves.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.orm import Session

from helpdesk.clock import clock
from helpdesk.extensions import db
from helpdesk.models import Case, Counter
from helpdesk.services.core.counters import next_number
from helpdesk.services.tracker import search  # noqa: F401  (its listeners first: the bump comes last)

COUNTER = "case_changes"
_TOUCHED = "case_changes_pending"
CLOCK_SECONDS = 60
MEMO_SIZE = 2048  # entries: a few per active agent
T = TypeVar("T")
_MEMO: OrderedDict[tuple, object] = OrderedDict()
_MEMO_LOCK = threading.Lock()


# Built once: the idle poll runs this on every request, and building the statement costs more
# than running it.
_COUNTER_VALUE = sa.select(Counter.value).where(Counter.name == COUNTER)


def current(max_age: float = 0) -> str:
    """The stamp now: the counter and the minute.

    With `max_age`, a counter this process read less than that many seconds ago is good enough
    (the idle poll: a change is then seen up to that much later, on a 10-second poll). Both
    times come from the app's clock, which tests can hold still."""
    cache = current_app.extensions.setdefault("change_stamp", {})
    now = clock().monotonic()
    if max_age > 0 and "read_at" in cache and now - cache["read_at"] < max_age:
        value = cache["value"]
    else:
        value = db.session.scalar(_COUNTER_VALUE) or 0
        cache.update(value=value, read_at=now)
    return f"{value}.{int(clock().time() // CLOCK_SECONDS)}"


def bump() -> None:
    """Move the stamp inside the caller's transaction.

    A new counter starts at a random value, so a database emptied and filled again (tests,
    restores) never repeats an old stamp that a process may still remember."""
    with db.session.no_autoflush:
        next_number(COUNTER, start=secrets.randbelow(2**48) + 1)


def remembered(stamp: str, key: tuple, compute: Callable[[], T]) -> T:
    """`compute()` once per key in this process while the stamp holds (no case has changed
    and the minute is the same); before any case was ever written, always computed."""
    if stamp.startswith("0."):
        return compute()
    entry = (stamp, key)
    with _MEMO_LOCK:
        if entry in _MEMO:
            _MEMO.move_to_end(entry)
            return _MEMO[entry]
    value = compute()
    with _MEMO_LOCK:
        _MEMO[entry] = value
        while len(_MEMO) > MEMO_SIZE:
            _MEMO.popitem(last=False)
    return value


@event.listens_for(FlaskSession, "after_flush")
def _note_case_writes(session: Session, _flush_context) -> None:
    # After a flush the session still lists what it flushed as new, dirty and deleted.
    changed = (session.new, session.dirty, session.deleted)
    if any(isinstance(obj, Case) for objects in changed for obj in objects):
        session.info[_TOUCHED] = True


@event.listens_for(FlaskSession, "do_orm_execute")
def _note_bulk_case_writes(state: sa.orm.ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        mapper = state.bind_mapper
        if mapper is not None and mapper.class_ is Case:
            state.session.info[_TOUCHED] = True


@event.listens_for(FlaskSession, "before_commit")
def _bump_before_commit(session: Session) -> None:
    session.flush()
    if session.info.pop(_TOUCHED, False):
        bump()


@event.listens_for(FlaskSession, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_TOUCHED, None)
