# ruff: noqa: S608  (SQL here names tables and columns of the models, never user input)
"""Bulk data for benchmarks: many organisations, cases and messages, inserted in batches.

Core INSERTs in large batches (not the ORM unit of work) so a million cases take minutes.
The text is built from a support vocabulary, so full-text search has realistic work to do.
"""

from __future__ import annotations

import enum
import html
import json
import operator
import queue
import random
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Case,
    CaseStatus,
    Category,
    Counter,
    Message,
    MessageKind,
    Order,
    OrderKind,
    Organisation,
    Origin,
    Role,
    User,
    utcnow,
)
from helpdesk.models.accounts import hash_password
from helpdesk.services.reports import reports, rollups
from helpdesk.services.tracker import change_stamp, folders, search

PASSWORD = "bench-password-2026"  # noqa: S105 (benchmark logins on a throwaway database)
BATCH = 5_000
AGENTS = 20

PROBLEMS = [
    "checkout page shows an error",
    "shipping rates are not calculated",
    "licence key rejected",
    "installation stops at step three",
    "report export is empty",
    "orders saved twice",
    "payment gateway times out",
    "customer cannot log in",
    "images missing after upgrade",
    "tax totals are wrong",
    "email notifications not sent",
    "search returns nothing",
    "coupon code not applied",
    "inventory count goes negative",
    "slow product pages",
    "SSL certificate warning",
    "cannot sell tickets",
    "database backup fails",
]
CONTEXT = [
    "since the upgrade to 9.2",
    "on the live site",
    "for some customers only",
    "after a restart",
    "when using Firefox",
    "on the mobile layout",
    "every Monday morning",
    "in the admin area",
    "with the hosted plan",
    "after changing the theme",
    "during the evening sale",
]
COMPANIES = [
    "Northwind",
    "Harbor",
    "Cedar",
    "Lakeside",
    "Summit",
    "Pinecrest",
    "Oldtown",
    "Riverside",
    "Maple",
    "Granite",
    "Bluebird",
    "Copper",
    "Willow",
    "Aurora",
]
KINDS = [
    "Outfitters",
    "Theatre",
    "Books",
    "Crafts",
    "Hosting",
    "Festival",
    "Hardware",
    "Studios",
    "Supplies",
    "Cinemas",
    "Bakery",
    "Garden",
]
# Roughly how a mature helpdesk's cases are spread over the folders.
STATUS_WEIGHTS = [
    (CaseStatus.CLOSED, 70),
    (CaseStatus.ANSWERED, 10),
    (CaseStatus.OPEN, 7),
    (CaseStatus.NEW, 6),
    (CaseStatus.WAITING, 7),
]


def _batches(total: int, size: int = BATCH) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


def _columns(table: sa.Table, sample: dict) -> list[sa.Column]:
    """The columns a loader row sets, plus those with a Python-side default (raw DBAPI writes
    skip SQLAlchemy's default handling); the rest stay NULL."""
    return [c for c in table.columns if c.name in sample or c.default is not None]


def _reader(column: sa.Column, sample: dict, sqlite: bool) -> Callable[[dict], object]:
    """How to read `column` from a loader row, as the driver wants it: chosen once per column
    and batch, not per value (a million cases hold twenty million values)."""
    if column.name not in sample:
        default = column.default.arg if column.default.is_scalar else column.default.arg(None)
        constant = _plain(default)
        return lambda row: constant
    key = column.name
    kind = column.type
    if isinstance(kind, sa.Enum):
        return lambda row: getattr(row[key], "value", row[key])
    if isinstance(kind, sa.JSON):
        return lambda row: json.dumps(row[key])
    if sqlite and isinstance(kind, sa.DateTime):
        # As SQLAlchemy's SQLite dialect stores them (sqlite3's own adapters differ).
        return lambda row: None if row[key] is None else row[key].isoformat(" ", "microseconds")
    if sqlite and isinstance(kind, sa.Date):
        return lambda row: None if row[key] is None else row[key].isoformat()
    return operator.itemgetter(key)


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value


def _write(table_name: str, columns: list[str], rows: list[tuple]) -> None:
    """Append rows fast: COPY on PostgreSQL, one executemany on SQLite. No ORM events fire,
    so the search rows are written by the loader itself."""
    if not rows:
        return
    connection = db.session.connection()
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table_name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    sql = f"INSERT INTO {table_name} ({names}) VALUES ({marks})"
    connection.exec_driver_sql(sql, rows)


def _insert(model, rows: list[dict]) -> None:
    if not rows:
        return
    sqlite = db.session.connection().dialect.name == "sqlite"
    columns = _columns(model.__table__, rows[0])
    readers = [_reader(c, rows[0], sqlite) for c in columns]
    values = [tuple([read(row) for read in readers]) for row in rows]
    _write(model.__table__.name, [c.name for c in columns], values)


def _search_columns() -> list[str]:
    key = "case_id" if db.session.connection().dialect.name == "postgresql" else "rowid"
    return [key, "number", "subject", "body", "people", "thread"]


def _search_row(case: dict, messages: list[dict], customer: int, organisation: str, tag: str):
    """The case's search row, as services.search would build it from the database."""
    people = f"Customer {customer} · customer{customer}.{tag}@bench.example · {organisation}"
    thread = "\n\n".join(m["body"] for m in messages)
    return (case["id"], str(case["number"]), case["subject"], case["body"], people, thread)


@contextmanager
def _fast_sqlite_writes() -> Iterator[None]:
    """A throwaway benchmark database need not survive a power cut mid-load: no fsync per
    commit, and a large page cache while the indexes grow."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    db.session.commit()  # PRAGMA synchronous cannot change inside a transaction
    raw = db.session.connection()
    raw.exec_driver_sql("PRAGMA synchronous = OFF")
    raw.exec_driver_sql("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        db.session.commit()
        raw = db.session.connection()
        raw.exec_driver_sql("PRAGMA synchronous = NORMAL")
        raw.exec_driver_sql("PRAGMA cache_size = -2000")


@contextmanager
def _search_index_dropped(cases: int) -> Iterator[None]:
    """On PostgreSQL a large load builds the GIN index once at the end (far faster than
    maintaining it row by row); searches during the load scan without it."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql" or cases < 20_000:
        yield
        return
    connection.exec_driver_sql("DROP INDEX IF EXISTS ix_case_search_document")
    db.session.commit()
    try:
        yield
    finally:
        db.session.rollback()
        connection = db.session.connection()
        connection.exec_driver_sql("SET maintenance_work_mem = '512MB'")
        connection.exec_driver_sql(
            "CREATE INDEX IF NOT EXISTS ix_case_search_document ON case_search USING gin (document)"
        )
        db.session.commit()


class _SearchRowWriter:
    """Writes search rows on a second PostgreSQL connection, beside the main load.

    The search table computes its tsvector as rows arrive: that work is a third of the load,
    and a second server process does it while the first takes the next batch of cases."""

    def __init__(self, engine: sa.Engine, columns: list[str]) -> None:
        self.engine, self.columns = engine, columns
        self.batches: queue.Queue[list[tuple] | None] = queue.Queue(maxsize=2)
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="bench-search-rows", daemon=True)
        self.thread.start()

    def send(self, rows: list[tuple]) -> None:
        if self.failure is not None:
            raise RuntimeError("writing search rows failed") from self.failure
        self.batches.put(rows)

    def close(self) -> None:
        self.batches.put(None)
        self.thread.join()
        if self.failure is not None:
            raise RuntimeError("writing search rows failed") from self.failure

    def _run(self) -> None:
        names = ", ".join(self.columns)
        try:
            with self.engine.connect() as connection:
                driver = connection.connection.driver_connection  # SQLAlchemy sees no statement
                while (rows := self.batches.get()) is not None:
                    with driver.cursor().copy(
                        f"COPY {search.SEARCH_TABLE} ({names}) FROM STDIN"
                    ) as copy:
                        for row in rows:
                            copy.write_row(row)
                    driver.commit()
        except BaseException as error:  # handed to the main thread at its next send()
            self.failure = error
            while self.batches.get() is not None:  # let the main thread finish its puts
                pass


@contextmanager
def _search_rows_beside() -> Iterator[_SearchRowWriter | None]:
    """A second writer for the search rows on PostgreSQL; None (written inline) on SQLite."""
    if db.session.connection().dialect.name != "postgresql":
        yield None
        return
    writer = _SearchRowWriter(db.engine, _search_columns())
    try:
        yield writer
    finally:
        writer.close()


def _advance_sequences(*models) -> None:
    """Rows went in with explicit ids: PostgreSQL's id sequences must move past them, or the
    app's next insert collides (SQLite takes max(rowid) + 1 by itself)."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return
    for model in models:
        table = model.__tablename__
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))"
        )


def _fresh_statistics() -> None:
    """Planner statistics for the new rows, and on PostgreSQL a visibility map, without which
    index-only scans read every counted row from the table."""
    if db.session.connection().dialect.name != "postgresql":
        db.session.connection().exec_driver_sql("ANALYZE")
        db.session.commit()
        return
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


# Triggers that keep derived rows (folder tallies, the caller lookup's trigram tables): a
# trigger per inserted row made the load a third slower, so the load suspends them and
# rebuilds what they keep once at the end.
_SUSPENDED_TRIGGERS = re.compile(
    r"case_tallies_\w+|(organisations|users|contacts|orders)_trigrams_(insert|update|delete)"
    r"|report_stale_\w+"
)
# On PostgreSQL the same, table by table (its lookup indexes need no triggers).
_SUSPENDED_TABLES = ("cases", "messages", "orders")


@contextmanager
def _derived_rows_rebuilt_at_the_end() -> Iterator[None]:
    connection = db.session.connection()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        saved = [
            (name, sql)
            for name, sql in connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            )
            if _SUSPENDED_TRIGGERS.fullmatch(name)
        ]
        for name, _ in saved:
            connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    else:
        for table in _SUSPENDED_TABLES:
            connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    db.session.commit()
    yield
    connection = db.session.connection()
    if sqlite:
        for _, sql in saved:
            connection.exec_driver_sql(sql)
        for name, _ in saved:
            if name.endswith("_trigrams_insert"):
                index = name.removesuffix("_insert")
                connection.exec_driver_sql(f"INSERT INTO {index} ({index}) VALUES ('rebuild')")
    else:
        for table in _SUSPENDED_TABLES:
            connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    folders.rebuild_tallies()
    rollups.forget_all()
    db.session.commit()
    # The support report's default month, summed up now rather than on its first view.
    today = reports.local_today(utcnow(), reports.business_zone())
    reports.period_summaries(reports.default_period(today))


def load(
    cases: int,
    messages_per_case: int = 3,
    seed: int = 7,
    progress: Callable[[int], None] = lambda n: None,
) -> dict[str, int]:
    """Add `cases` cases (and their organisations, people, orders, messages); commit."""
    with _derived_rows_rebuilt_at_the_end():
        return _load(cases, messages_per_case, seed, progress)


def _load(
    cases: int, messages_per_case: int, seed: int, progress: Callable[[int], None]
) -> dict[str, int]:
    rng = random.Random(seed)
    now = utcnow()
    password_hash = hash_password(PASSWORD)
    organisations = max(10, cases // 20)
    first_org = (db.session.scalar(sa.select(sa.func.max(Organisation.id))) or 0) + 1
    first_user = (db.session.scalar(sa.select(sa.func.max(User.id))) or 0) + 1
    first_order = (db.session.scalar(sa.select(sa.func.max(Order.id))) or 0) + 1
    first_case = (db.session.scalar(sa.select(sa.func.max(Case.id))) or 0) + 1
    first_number = max(db.session.scalar(sa.select(sa.func.max(Case.number))) or 10000, 10000) + 1
    tag = f"b{first_org}"

    _insert(
        User,
        [
            {
                "id": first_user + n,
                "email": f"agent{n}.{tag}@bench.example",
                "name": f"Agent {n}",
                "password_hash": password_hash,
                "role": Role.AGENT,
                "tier": 1 + n % 3,
                "time_zone": "America/Denver",
                "active": True,
                "session_version": 1,
                "created_at": now,
            }
            for n in range(AGENTS)
        ],
    )
    agent_ids = [first_user + n for n in range(AGENTS)]
    org_names: list[str] = []
    for block in _batches(organisations):
        org_names.extend(f"{rng.choice(COMPANIES)} {rng.choice(KINDS)} {n}" for n in block)
        _insert(
            Organisation,
            [
                {
                    "id": first_org + n,
                    "name": org_names[n],
                    "customer_number": f"B{tag}-{n}",
                    "time_zone": "America/Denver",
                    "after_hours_support": n % 10 == 0,
                    "is_reseller": False,
                    "prepaid_balance_cents": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in block
            ],
        )
        _insert(
            User,
            [
                {
                    "id": first_user + AGENTS + n,
                    "email": f"customer{n}.{tag}@bench.example",
                    "name": f"Customer {n}",
                    "password_hash": password_hash,
                    "role": Role.CUSTOMER,
                    "organisation_id": first_org + n,
                    "time_zone": "America/Denver",
                    "active": True,
                    "session_version": 1,
                    "created_at": now,
                }
                for n in block
            ],
        )
        _insert(
            Order,
            [
                {
                    "id": first_order + n,
                    "number": f"O{tag}-{n}",
                    "organisation_id": first_org + n,
                    "purchaser_id": first_user + AGENTS + n,
                    "product": "AbleCommerce",
                    "version": rng.choice(["9.2", "9.1", "8.0", "5.1"]),
                    "kind": rng.choice(list(OrderKind)),
                    "status": "paid",
                    "ordered_at": now - timedelta(days=rng.randint(1, 700)),
                    "licensed_website": f"shop{n}.bench.example",
                    "quantity": 1,
                    "amount_cents": 99500,
                    "currency": "USD",
                    "created_at": now,
                }
                for n in block
            ],
        )
    statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
    message_id = (db.session.scalar(sa.select(sa.func.max(Message.id))) or 0) + 1
    with (
        _fast_sqlite_writes(),
        _search_index_dropped(cases),
        _search_rows_beside() as search_writer,
    ):
        for block in _batches(cases):
            case_rows, message_rows, search_rows = [], [], []
            for n in block:
                org = rng.randrange(organisations)
                created = now - timedelta(minutes=rng.randint(5, 60 * 24 * 730))
                status = rng.choice(statuses)
                problem, context = rng.choice(PROBLEMS), rng.choice(CONTEXT)
                body = (
                    f"Hello, the {problem} {context}. Order shop{org}.bench.example. Please help."
                )
                assigned = (
                    None if (status == CaseStatus.NEW and n % 3 == 0) else rng.choice(agent_ids)
                )
                replied = created + timedelta(hours=rng.randint(1, 48))
                case_rows.append(
                    {
                        "id": first_case + n,
                        "number": first_number + n,
                        "subject": f"{problem.capitalize()} {context}",
                        "body": body,
                        "body_html": f"<p>{html.escape(body)}</p>",
                        "organisation_id": first_org + org,
                        "order_id": first_order + org,
                        "requester_id": first_user + AGENTS + org,
                        "origin": rng.choice(list(Origin)),
                        "category": rng.choice(list(Category)),
                        "status": status,
                        "tier": rng.choice([1, 1, 1, 2, 2, 3]),
                        "assignee_id": assigned,
                        "priority_score": rng.choice([0, 0, 0, 1, 3, 5, 10]),
                        "priority_factors": [],
                        "created_at": created,
                        "updated_at": replied,
                        "awaiting_agent_since": None
                        if status in (CaseStatus.CLOSED, CaseStatus.ANSWERED)
                        else created,
                        "last_agent_reply_at": replied
                        if status in (CaseStatus.ANSWERED, CaseStatus.CLOSED, CaseStatus.WAITING)
                        else None,
                        "customer_viewed_at": replied if n % 4 else None,
                        "closed_at": replied if status == CaseStatus.CLOSED else None,
                        "version": 1,
                    }
                )
                for k in range(messages_per_case):
                    text = (
                        f"About the {problem}: "
                        + rng.choice(CONTEXT)
                        + (
                            ". Thanks for the details, please try clearing the cache."
                            if k % 2
                            else ". I tried that and it still fails."
                        )
                    )
                    message_rows.append(
                        {
                            "id": message_id,
                            "case_id": first_case + n,
                            "author_id": assigned
                            if k % 2 and assigned
                            else first_user + AGENTS + org,
                            "kind": MessageKind.REPLY,
                            "from_customer": not k % 2,
                            "origin": Origin.WEB,
                            "body": text,
                            "body_html": f"<p>{html.escape(text)}</p>",
                            "created_at": created + timedelta(minutes=10 * (k + 1)),
                        }
                    )
                    message_id += 1
                search_rows.append(
                    _search_row(
                        case_rows[-1],
                        message_rows[len(message_rows) - messages_per_case :],
                        org,
                        org_names[org],
                        tag,
                    )
                )
            _insert(Case, case_rows)
            _insert(Message, message_rows)
            if search_writer is None:
                _write(search.SEARCH_TABLE, _search_columns(), search_rows)
            db.session.commit()
            if search_writer is not None:
                search_writer.send(search_rows)  # after the commit: its rows name these cases
            progress(len(block))
    _advance_sequences(User, Organisation, Order, Case, Message)
    db.session.commit()
    _fresh_statistics()
    change_stamp.bump()  # raw inserts pass the session's listeners: live polls must see them
    last = first_number + cases - 1
    counter = db.session.get(Counter, "case")
    if counter is None:
        db.session.add(Counter(name="case", value=last))
    else:
        counter.value = max(counter.value, last)
    db.session.commit()
    return {"organisations": organisations, "cases": cases, "messages": cases * messages_per_case}
