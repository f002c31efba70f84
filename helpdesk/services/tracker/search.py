"""Full-text search over cases for agents: FTS5 on SQLite, tsvector + GIN on PostgreSQL.

`case_search` (migrations 0002 and 0016) holds one row per case: its number, subject and
body, the people (requester's name and e-mail, correspondent e-mail, organisation), the thread
(every public reply and private note) and the intake details (callback number, product
version, operating system). `contact_search` (migration 0016) holds one row per contact: name,
e-mail, phone and organisation. Session listeners, registered when this module is imported
(the app factory does), keep the rows current: each flush notes the cases and contacts it
touched, and just before commit their rows are rebuilt in the same transaction.

SQLite's FTS5 tables stem with porter over unicode61 (diacritics removed), PostgreSQL's
English configuration stems subjects, bodies and threads: "installing" finds "installation"
on both (tests/services/test_search_parity.py holds the queries that must agree).

The searcher's text never reaches the database as query syntax: it is cut into words and
each word becomes a quoted prefix term, all of which must match.
"""

# ruff: noqa: S608  (SQL here is assembled from constants and placeholder names; the
# searcher's words only ever travel as bound parameters)

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FlaskSession
from markupsafe import Markup, escape
from sqlalchemy import event
from sqlalchemy.orm import Session

from helpdesk.extensions import db
from helpdesk.models import Case, CaseStatus, Contact, Message, Organisation, User

SEARCH_TABLE = "case_search"
ARTICLE_SEARCH_TABLE = "article_search"  # migration 0005, kept by helpdesk.services.helpcentre.kb
CONTACT_SEARCH_TABLE = "contact_search"  # migration 0016
_INDEX_TABLES = {SEARCH_TABLE, ARTICLE_SEARCH_TABLE, CONTACT_SEARCH_TABLE}
# FTS5 keeps a virtual table's data in these shadow tables.
_FTS5_SHADOWS = {
    f"{table}_{s}"
    for table in _INDEX_TABLES
    for s in ("data", "idx", "content", "docsize", "config")
}

# Highlight markers: control characters, removed from indexed text, so any in a result
# were put there by the database. "<" is swapped for _LT while PostgreSQL's ts_headline
# parses, or its parser would drop anything that looks like an HTML tag.
_START, _STOP, _LT = "\x02", "\x03", "\x04"
_CONTROL = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F], " ")
_MARKED = re.compile(f"{_START}(.*?){_STOP}", re.DOTALL)

_WORD = re.compile(r"[^\W_]+")  # letters and digits: what both tokenizers keep
_CASE_NUMBER = re.compile(r"\s*#?\s*([0-9]{1,9})\s*")  # ASCII digits: int("٣") is 3
MAX_TERMS = 12  # words past these are ignored: a pasted page must not become a huge query
MAX_TERM_CHARS = 64
MAX_LIMIT = 100
MAX_OFFSET = 10**9  # far past any result list; keeps a typed offset inside SQL integers
# Relevance is scored over the newest matches only: a word in a tenth of a million cases would
# otherwise be scored a hundred thousand times per search (issue 9: p50 under 100 ms at 1M).
RANKED_CANDIDATES = 2000
# Matches counted past the page's start ("N+" beyond): counting 50,000 matches costs more than
# finding the page. With that many, PostgreSQL looks for the page in the newest RECENT_WINDOW
# cases first (its GIN index cannot give matches in id order; each one costs a table read).
COUNT_AHEAD = 1000
RECENT_WINDOW = 50_000
_CHUNK = 500  # cases per reindex statement
# Characters of body and thread indexed (their start): far beyond real conversation, and it
# keeps a thread of pasted logs under PostgreSQL's 1 MB tsvector limit, which fails writes.
_MAX_BODY, _MAX_THREAD = 50_000, 150_000

# Column weights: number and subject first, then the people, the body and the intake details,
# then the thread.
_SQLITE_WEIGHTS = "10.0, 10.0, 4.0, 4.0, 1.0, 4.0"  # number, subject, body, people, thread, details
_CONTACT_WEIGHTS = "10.0, 10.0, 4.0, 1.0"  # name, e-mail, phone, organisation
MAX_CONTACTS = 5  # contacts shown above the cases: the searcher wants the right person, not a list
_CONTACT_CANDIDATES = 200  # contacts ranked per search (newest matches), as for cases
_SNIPPET_TOKENS = 24
_HEADLINE = f'StartSel="{_START}", StopSel="{_STOP}"'
_HEADLINE_ALL = f"HighlightAll=true, {_HEADLINE}"
_HEADLINE_FRAGMENTS = (
    f'MaxFragments=2, MaxWords=18, MinWords=8, FragmentDelimiter=" … ", {_HEADLINE}'
)
_FALLBACK_CHARS = 160

_sqlite_rows = sa.table(
    SEARCH_TABLE,
    *(sa.column(c) for c in ("rowid", "number", "subject", "body", "people", "thread", "details")),
)
_postgres_rows = sa.table(
    SEARCH_TABLE,
    *(
        sa.column(c)
        for c in ("case_id", "number", "subject", "body", "people", "thread", "details")
    ),
)
_CONTACT_COLUMNS = ("name", "email", "phone", "organisation")
_sqlite_contacts = sa.table(
    CONTACT_SEARCH_TABLE, *(sa.column(c) for c in ("rowid", *_CONTACT_COLUMNS))
)
_postgres_contacts = sa.table(
    CONTACT_SEARCH_TABLE, *(sa.column(c) for c in ("contact_id", *_CONTACT_COLUMNS))
)
_PHONE_PUNCTUATION = str.maketrans("", "", " -().+/")


# The caller lookup's trigram indexes (migration 0024): FTS5 tables on SQLite, with their
# shadow tables; GIN indexes on PostgreSQL.
_TRIGRAMS = re.compile(r".+_trigrams(_(data|idx|docsize|config|content))?")


def is_search_table(name: str) -> bool:
    """True for the search tables and their FTS5 shadow tables (dialect-specific, not models)."""
    return name in _INDEX_TABLES or name in _FTS5_SHADOWS or bool(_TRIGRAMS.fullmatch(name))


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic `include_name` hook: leave the search indexes out of schema comparisons."""
    if name is None:
        return True
    if type_ == "index":
        return not _TRIGRAMS.fullmatch(name)
    return not (type_ == "table" and is_search_table(name))


# --- the index -------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    return (text or "").translate(_CONTROL)


def _people(row: sa.Row) -> str:
    parts = [row.requester_name, row.requester_email]
    if (
        row.correspondent_email
        and row.correspondent_email.lower() != (row.requester_email or "").lower()
    ):
        parts.append(row.correspondent_email)
    parts.append(row.organisation)
    return " · ".join(p for p in parts if p)


def phone_words(phone: str | None) -> str:
    """A phone number as indexed: as typed, its digits, and its last ten digits when longer,
    so "+1 (555) 010-2233", "15550102233" and "5550102233" all find it (migration 0016)."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    digits = phone.translate(_PHONE_PUNCTUATION)
    return " ".join([phone, digits, *([digits[-10:]] if len(digits) > 10 else [])])


def _details(row: sa.Row) -> str:
    """The voice-mail intake fields an agent searches by: callback number, version, system."""
    return " ".join(
        part
        for part in (phone_words(row.callback_phone), row.product_version, row.operating_system)
        if part
    )


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _reindex_chunk(session: Session, ids: list[int]) -> None:
    postgres = _dialect(session) == "postgresql"
    cases = (
        sa.select(
            Case.id,
            Case.number,
            Case.subject,
            Case.body,
            Case.correspondent_email,
            Case.callback_phone,
            Case.product_version,
            Case.operating_system,
            Organisation.name.label("organisation"),
            User.name.label("requester_name"),
            User.email.label("requester_email"),
        )
        .join(Organisation, Organisation.id == Case.organisation_id)
        .outerjoin(User, User.id == Case.requester_id)
        .where(Case.id.in_(ids))
        .order_by(Case.id)
    )
    if postgres:
        # Concurrent writers to one case rebuild its row one after the other, each reading
        # the other's committed messages. NO KEY UPDATE leaves the key-share locks that
        # inserting a message takes alone, so two repliers cannot deadlock here.
        cases = cases.with_for_update(of=Case, key_share=True)
    found = session.execute(cases).all()
    threads: dict[int, list[str]] = {row.id: [] for row in found}
    if found:
        messages = (
            sa.select(Message.case_id, Message.body)
            .where(Message.case_id.in_(list(threads)))
            .order_by(Message.case_id, Message.created_at, Message.id)
        )
        for case_id, body in session.execute(messages):
            threads[case_id].append(_clean(body))
    table, key = (_postgres_rows, "case_id") if postgres else (_sqlite_rows, "rowid")
    rows = [
        {
            key: row.id,
            "number": str(row.number),
            "subject": _clean(row.subject),
            "body": _clean(row.body)[:_MAX_BODY],
            "people": _clean(_people(row)),
            "thread": "\n\n".join(threads[row.id])[:_MAX_THREAD],
            "details": _clean(_details(row)),
        }
        for row in found
    ]
    session.execute(sa.delete(table).where(table.c[key].in_(ids)))
    if rows:
        session.execute(sa.insert(table), rows)


def reindex_contacts(contact_ids: Iterable[int], *, session: Session | None = None) -> None:
    """Rebuild the search rows of these contacts, in the current transaction (gone: no row)."""
    session = session if session is not None else db.session()
    ids = sorted({int(i) for i in contact_ids if i is not None})
    table, key = (
        (_postgres_contacts, "contact_id")
        if _dialect(session) == "postgresql"
        else (_sqlite_contacts, "rowid")
    )
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found = session.execute(
            sa.select(
                Contact.id,
                Contact.name,
                Contact.email,
                Contact.phone,
                Organisation.name.label("organisation"),
            )
            .join(Organisation, Organisation.id == Contact.organisation_id)
            .where(Contact.id.in_(chunk))
        ).all()
        session.execute(sa.delete(table).where(table.c[key].in_(chunk)))
        if found:
            session.execute(
                sa.insert(table),
                [
                    {
                        key: row.id,
                        "name": _clean(row.name),
                        "email": _clean(row.email),
                        "phone": _clean(phone_words(row.phone)),
                        "organisation": _clean(row.organisation),
                    }
                    for row in found
                ],
            )


def reindex_cases(case_ids: Iterable[int], *, session: Session | None = None) -> None:
    """Rebuild the search rows of these cases from the database, in the current transaction.

    Ids of cases that no longer exist lose their row. Pending ORM changes are flushed first.
    """
    session = session if session is not None else db.session()
    ids = sorted({int(i) for i in case_ids if i is not None})
    for start in range(0, len(ids), _CHUNK):
        _reindex_chunk(session, ids[start : start + _CHUNK])


def reindex_all(batch: int = 1000, *, on_batch: Callable[[int], None] | None = None) -> int:
    """Rebuild every case's row, committing per batch (searches keep working); drop orphans.

    `on_batch` is called with the number of cases done after each batch (a progress bar).
    Returns the number of cases indexed.
    """
    batch = max(1, batch)
    done, last_id = 0, 0
    while True:
        ids = list(
            db.session.scalars(
                sa.select(Case.id).where(Case.id > last_id).order_by(Case.id).limit(batch)
            )
        )
        if not ids:
            break
        reindex_cases(ids)
        db.session.commit()
        done, last_id = done + len(ids), ids[-1]
        if on_batch:
            on_batch(len(ids))
    last_id = 0
    while True:  # the contacts too: few next to the cases
        ids = list(
            db.session.scalars(
                sa.select(Contact.id).where(Contact.id > last_id).order_by(Contact.id).limit(batch)
            )
        )
        if not ids:
            break
        reindex_contacts(ids)
        db.session.commit()
        last_id = ids[-1]
    if _dialect(db.session()) == "sqlite":
        # Rows of cases deleted behind the ORM's back: a virtual table has no cascade.
        db.session.execute(_DELETE_ORPHANS)
        db.session.execute(_DELETE_CONTACT_ORPHANS)
        db.session.commit()
    return done


_DELETE_ORPHANS = sa.text(
    "DELETE FROM case_search"
    " WHERE NOT EXISTS (SELECT 1 FROM cases WHERE cases.id = case_search.rowid)"
)
_DELETE_CONTACT_ORPHANS = sa.text(
    "DELETE FROM contact_search"
    " WHERE NOT EXISTS (SELECT 1 FROM contacts WHERE contacts.id = contact_search.rowid)"
)


# --- automatic upkeep --------------------------------------------------------------------

_PENDING = "helpdesk.search.pending"
_BUSY = "helpdesk.search.reindexing"
_CASE_FIELDS = (
    "number",
    "subject",
    "body",
    "organisation_id",
    "organisation",
    "requester_id",
    "requester",
    "correspondent_email",
    "callback_phone",
    "product_version",
    "operating_system",
)
_CONTACT_FIELDS = ("name", "email", "phone", "organisation_id", "organisation")
_MESSAGE_FIELDS = ("case_id", "case", "body")


@dataclass
class _Pending:
    cases: set[int] = field(default_factory=set)
    organisations: set[int] = field(default_factory=set)
    users: set[int] = field(default_factory=set)
    numbers: set[int] = field(default_factory=set)  # bulk-inserted cases without their id
    contacts: set[int] = field(default_factory=set)

    def contact_ids(self, session: Session) -> set[int]:
        ids = set(self.contacts)
        if self.organisations:
            ids.update(
                session.scalars(
                    sa.select(Contact.id).where(
                        Contact.organisation_id.in_(sorted(self.organisations))
                    )
                )
            )
        return ids

    def case_ids(self, session: Session) -> set[int]:
        ids = set(self.cases)
        if self.numbers:
            ids.update(
                session.scalars(sa.select(Case.id).where(Case.number.in_(sorted(self.numbers))))
            )
        if self.organisations:
            ids.update(
                session.scalars(
                    sa.select(Case.id).where(Case.organisation_id.in_(sorted(self.organisations)))
                )
            )
        if self.users:
            ids.update(
                session.scalars(sa.select(Case.id).where(Case.requester_id.in_(sorted(self.users))))
            )
        return ids


def _changed(state: sa.orm.InstanceState, keys: Sequence[str]) -> bool:
    return any(state.attrs[key].history.has_changes() for key in keys)


def _values(state: sa.orm.InstanceState, key: str) -> set[int]:
    """The attribute's value before and after the flush, without loading anything."""
    history = state.attrs[key].history
    return {v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None}


def _primary_key(state: sa.orm.InstanceState) -> int | None:
    if state.identity:
        return state.identity[0]
    return state.dict.get("id")


@event.listens_for(FlaskSession, "after_flush")
def _note_changes(session: Session, _flush_context) -> None:
    """Remember the cases this flush touched (the session still shows the pre-flush state)."""
    pending = session.info.setdefault(_PENDING, _Pending())
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, Case):
            pending.cases.add(_primary_key(sa.inspect(obj)))
        elif isinstance(obj, Message):
            pending.cases.update(_values(sa.inspect(obj), "case_id"))
        elif isinstance(obj, Contact):
            pending.contacts.add(_primary_key(sa.inspect(obj)))
    for obj in session.dirty:
        if not isinstance(obj, Case | Message | Organisation | User | Contact):
            continue
        state = sa.inspect(obj)
        if isinstance(obj, Case) and _changed(state, _CASE_FIELDS):
            pending.cases.add(_primary_key(state))
        elif isinstance(obj, Message) and _changed(state, _MESSAGE_FIELDS):
            pending.cases.update(_values(state, "case_id"))
        elif isinstance(obj, Organisation) and _changed(state, ("name",)):
            pending.organisations.add(_primary_key(state))
        elif isinstance(obj, User) and _changed(state, ("name", "email")):
            pending.users.add(_primary_key(state))
        elif isinstance(obj, Contact) and _changed(state, _CONTACT_FIELDS):
            pending.contacts.add(_primary_key(state))
    pending.cases.discard(None)
    pending.contacts.discard(None)


@event.listens_for(FlaskSession, "do_orm_execute")
def _note_bulk_writes(execute_state: sa.orm.ORMExecuteState) -> None:
    """Remember the cases of ORM bulk writes, `session.execute(insert(Case), rows)` and the
    like, when their rows name them (bulk loaders give ids). UPDATE or DELETE statements
    with a WHERE clause go unnoticed: follow them with reindex_cases()."""
    if not (execute_state.is_insert or execute_state.is_update or execute_state.is_delete):
        return
    mapper = execute_state.bind_mapper
    if mapper is None or mapper.class_ not in (Case, Message):
        return
    key = "id" if mapper.class_ is Case else "case_id"
    rows = execute_state.parameters
    rows = rows if isinstance(rows, list | tuple) else [rows] if rows else []
    pending = execute_state.session.info.setdefault(_PENDING, _Pending())
    pending.cases.update(row[key] for row in rows if isinstance(row, dict) and row.get(key))
    if mapper.class_ is Case:
        pending.numbers.update(
            row["number"]
            for row in rows
            if isinstance(row, dict) and not row.get("id") and row.get("number")
        )


@event.listens_for(FlaskSession, "before_commit")
def _reindex_before_commit(session: Session) -> None:
    """Rebuild the rows of the cases this transaction touched, inside it."""
    if session.info.get(_BUSY):
        return
    session.info[_BUSY] = True
    try:
        # Reindexing writes through Core, so a second round only follows other listeners.
        for _ in range(3):
            session.flush()
            pending = session.info.pop(_PENDING, None)
            if pending is None:
                break
            reindex_cases(pending.case_ids(session), session=session)
            reindex_contacts(pending.contact_ids(session), session=session)
    finally:
        del session.info[_BUSY]


@event.listens_for(FlaskSession, "after_transaction_end")
def _forget_changes(session: Session, transaction) -> None:
    """A rolled-back transaction's cases need nothing (a savepoint's keep: reindex is safe)."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


# --- searching ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    """One case found: the subject and a snippet as safe HTML, matches in <mark>."""

    case_id: int
    number: int
    subject: str
    status: CaseStatus
    organisation: str
    score: float  # higher is better; 0 for a case found only by its number
    exact_number: bool  # the text was this case's number
    subject_html: Markup
    snippet: Markup


@dataclass(frozen=True)
class SearchPage:
    """One page of hits, best first, and how many there are in all."""

    text: str
    total: int
    hits: list[SearchHit]
    limit: int
    offset: int
    more: bool = False  # `total` stopped counting: there are more matches than it says

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.hits) < self.total


@dataclass(frozen=True)
class ParsedQuery:
    terms: tuple[str, ...]  # letters and digits only: safe inside quotes on both databases
    number: int | None  # the text was just a case number ("10005" or "#10005")


def parse_query(text: str) -> ParsedQuery:
    """Cut the searcher's text into at most MAX_TERMS distinct words, and spot a case number."""
    text = unicodedata.normalize("NFC", text or "")
    number = _CASE_NUMBER.fullmatch(text)
    terms: dict[str, str] = {}
    for word in _WORD.findall(text):
        terms.setdefault(word.lower(), word[:MAX_TERM_CHARS])
        if len(terms) == MAX_TERMS:
            break
    return ParsedQuery(tuple(terms.values()), int(number.group(1)) if number else None)


def marked_html(text: str | None) -> Markup:
    """Escape `text`, turning the database's highlight markers into <mark> elements."""
    text = (text or "").replace(_LT, "<")
    html, end = [], 0
    for match in _MARKED.finditer(text):
        html.append(escape(text[end : match.start()]))
        html.append(Markup("<mark>%s</mark>") % match.group(1))
        end = match.end()
    html.append(escape(text[end:]))
    return Markup("").join(html).replace(_START, "").replace(_STOP, "")


def _exact_case_id(number: int | None) -> int | None:
    if number is None:
        return None
    return db.session.scalar(sa.select(Case.id).where(Case.number == number))


class _Sqlite:
    """FTS5: MATCH with quoted prefix terms, bm25 with column weights, snippet/highlight."""

    def __init__(self, terms: tuple[str, ...], tag_id: int | None = None) -> None:
        self.params = {"q": " AND ".join(f'"{t}"*' for t in terms), "a": _START, "b": _STOP}
        self.only = _tagged("rowid", tag_id, self.params)

    windowed = False  # FTS5 walks matches newest first by itself: no window needed

    def matches(
        self, exact: bool, scored: bool = True, older: bool = True, recent: bool = False
    ) -> str:
        score = f"-bm25({SEARCH_TABLE}, {_SQLITE_WEIGHTS})" if scored else "NULL"
        sql = (
            f"SELECT rowid AS case_id, {score} AS score"
            f" FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH :q{self.only}"
        )
        if scored:  # FTS5 walks the matches newest first and scores only the ones it keeps
            unscored = sql.replace(score, "NULL")
            sql = f"SELECT * FROM ({sql} ORDER BY rowid DESC LIMIT :candidates)"
            if older:
                sql += (
                    f" UNION ALL SELECT * FROM ({unscored}"
                    " ORDER BY rowid DESC LIMIT -1 OFFSET :candidates)"
                )
        if exact:
            sql += (
                " UNION ALL SELECT :exact_id, NULL WHERE NOT EXISTS (SELECT 1 FROM"
                f" {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH :q AND rowid = :exact_id)"
            )
        return sql

    def marks(self) -> str:
        def snippet(column: int) -> str:
            return f"snippet({SEARCH_TABLE}, {column}, :a, :b, '…', {_SNIPPET_TOKENS})"

        return (
            f"SELECT rowid AS case_id, highlight({SEARCH_TABLE}, 1, :a, :b) AS subject,"
            f" {snippet(2)} AS body, {snippet(4)} AS thread, {snippet(3)} AS people,"
            f" {snippet(5)} AS details"
            f" FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH :q"
            # One walk of the matches between the page's ids ("+": not a lookup per id, which
            # would expand every prefix term again for each of them).
            " AND rowid BETWEEN :low AND :high AND +rowid IN :ids"
        )


class _Postgres:
    """tsvector: per word an English (stemmed) or simple prefix lexeme, ts_rank_cd, ts_headline."""

    def __init__(self, terms: tuple[str, ...], tag_id: int | None = None) -> None:
        self.params = {"all": _HEADLINE_ALL, "fragments": _HEADLINE_FRAGMENTS}
        self.only = _tagged("case_id", tag_id, self.params)
        words = []
        for i, term in enumerate(terms):
            self.params[f"t{i}"] = "'" + term.replace("\\", "\\\\").replace("'", "''") + "':*"
            words.append(f"(to_tsquery('english', :t{i}) || to_tsquery('simple', :t{i}))")
        self.query = " && ".join(words)

    windowed = True

    def matches(
        self, exact: bool, scored: bool = True, older: bool = True, recent: bool = False
    ) -> str:
        score = f"ts_rank_cd(document, {self.query})" if scored else "NULL"
        sql = (
            f"SELECT case_id, {score} AS score FROM {SEARCH_TABLE}"
            f" WHERE document @@ ({self.query}){self.only}"
        )
        if recent:
            sql += " AND case_id > :floor"
        if scored:  # ranked after the LIMIT: only the kept matches are scored
            unscored = sql.replace(score, "NULL::real")
            sql = f"SELECT * FROM ({sql} ORDER BY case_id DESC LIMIT :candidates) AS newest"
            if older:
                sql += (
                    f" UNION ALL SELECT * FROM ({unscored} ORDER BY case_id DESC"
                    " OFFSET :candidates) AS older"
                )
        if exact:
            sql += (
                " UNION ALL SELECT :exact_id, NULL WHERE NOT EXISTS (SELECT 1 FROM"
                f" {SEARCH_TABLE} WHERE case_id = :exact_id AND document @@ ({self.query}))"
            )
        return sql

    def marks(self) -> str:
        def headline(config: str, column: str, options: str) -> str:
            text = f"replace({column}, '<', chr(4))"
            return f"ts_headline('{config}', {text}, {self.query}, :{options}) AS {column}"

        return (
            f"SELECT case_id, {headline('english', 'subject', 'all')},"
            f" {headline('english', 'body', 'fragments')},"
            f" {headline('english', 'thread', 'fragments')},"
            f" {headline('simple', 'people', 'fragments')},"
            f" {headline('simple', 'details', 'fragments')}"
            f" FROM {SEARCH_TABLE} WHERE case_id IN :ids"
        )


def _tagged(column: str, tag_id: int | None, params: dict) -> str:
    """The extra condition of a search within one tag's cases (ranked among those alone)."""
    if tag_id is None:
        return ""
    params["tag_id"] = tag_id
    return f" AND {column} IN (SELECT case_id FROM case_tags WHERE tag_id = :tag_id)"


def _snippet(marks: sa.Row | None, fallback: str) -> Markup:
    """The first of body, thread, people and details with a match in it; else the body's start."""
    if marks is not None:
        for text in (marks.body, marks.thread, marks.people, marks.details):
            if text and _START in text:
                return marked_html(text)
    short = _clean(fallback[:_FALLBACK_CHARS])
    return escape(short + ("…" if len(fallback) > len(short) else ""))


def search_cases(
    text: str, *, limit: int = 25, offset: int = 0, tag_id: int | None = None
) -> SearchPage:
    """Cases matching every word of `text` (as a prefix), best first, one page of them.

    "Best" ranks the newest RANKED_CANDIDATES matches (all of them, in any ordinary search); older
    matches follow, newest first. The total counts up to COUNT_AHEAD past the page (`more`).

    Searches number, subject, body, the whole thread (replies and private notes: agents
    only), the requester's name and e-mail and the organisation. A text that is only a case
    number puts that case first. Text without any word returns an empty page.
    """
    limit = min(max(int(limit), 1), MAX_LIMIT)
    offset = min(max(int(offset), 0), MAX_OFFSET)
    parsed = parse_query(text)
    if not parsed.terms:
        return SearchPage(text, 0, [], limit, offset)
    kind = _Postgres if _dialect(db.session()) == "postgresql" else _Sqlite
    dialect = kind(parsed.terms, tag_id)
    exact_id = _exact_case_id(parsed.number)
    params = {
        **dialect.params,
        "exact_id": exact_id,
        "limit": limit,
        "offset": offset,
        "candidates": RANKED_CANDIDATES,
    }
    exact = exact_id is not None
    ceiling = offset + COUNT_AHEAD
    order = "m.score IS NULL, m.score DESC, m.case_id DESC"  # unranked older matches last
    if exact:
        order = f"(m.case_id = :exact_id) DESC, {order}"
    # A page inside the ranked newest matches needs none of the older ones.
    inside = offset + limit <= RANKED_CANDIDATES
    page = _common_word_page(dialect, params, order, ceiling) if inside and not exact else []
    if page:  # the candidates alone reached the ceiling: no count of its own
        total, more = ceiling, True
    else:
        counted = dialect.matches(exact, scored=False)
        total = db.session.scalar(
            sa.text(f"SELECT count(*) FROM (SELECT * FROM ({counted}) AS c LIMIT :ceiling) AS m"),
            {**params, "ceiling": ceiling},
        )
        more = total >= ceiling
        if not total or offset >= total:
            return SearchPage(text, total or 0, [], limit, offset, more)
        if more and inside and dialect.windowed and not exact:
            page = _page(dialect.matches(exact, older=False, recent=True), order, params)
        if len(page) < limit:  # few matches, or too few of them recent
            page = _page(dialect.matches(exact, older=not inside), order, params)
    ids = [row.case_id for row in page]
    marks = {
        row.case_id: row
        for row in db.session.execute(
            sa.text(dialect.marks()).bindparams(sa.bindparam("ids", expanding=True)),
            {**dialect.params, "ids": ids, "low": min(ids), "high": max(ids)},
        )
    }
    hits = [
        SearchHit(
            case_id=row.case_id,
            number=row.number,
            subject=row.subject,
            status=CaseStatus(row.status),
            organisation=row.organisation,
            score=float(row.score or 0.0),
            exact_number=row.case_id == exact_id,
            subject_html=marked_html(marks[row.case_id].subject)
            if row.case_id in marks
            else escape(_clean(row.subject)),
            snippet=_snippet(marks.get(row.case_id), row.body_start or ""),
        )
        for row in page
    ]
    return SearchPage(text, total, hits, limit, offset, more)


def _common_word_page(dialect, params: dict, order: str, ceiling: int) -> list[sa.Row]:
    """The page from the newest ranked candidates, when they alone hold `ceiling` matches.

    A common word matches tens of thousands of cases: counting them costs as much as ranking
    the page (a second walk of the full-text index). When the newest candidates already reach
    the count's ceiling, the total is known to be "ceiling or more" and that walk is saved.
    Otherwise [] and the caller counts as usual."""
    if dialect.windowed:
        params["floor"] = (db.session.scalar(sa.select(sa.func.max(Case.id))) or 0) - RECENT_WINDOW
    matches = dialect.matches(False, older=False, recent=dialect.windowed)
    page = _page(matches, order, params, with_candidates=True)
    if page and page[0].candidates >= ceiling and len(page) == params["limit"]:
        return page
    return []


def _page(matches: str, order: str, params: dict, with_candidates: bool = False) -> list[sa.Row]:
    """Sort and cut the matches first, then fetch the few cases of the page; `with_candidates`
    adds how many matches there were before the cut."""
    counted = ", count(*) OVER () AS candidates" if with_candidates else ""
    best = f"SELECT *{counted} FROM ({matches}) AS m ORDER BY {order} LIMIT :limit OFFSET :offset"
    return db.session.execute(
        sa.text(
            f"SELECT m.case_id, m.score{', m.candidates' if with_candidates else ''}, c.number,"
            " c.subject, c.status, o.name AS organisation,"
            f" substr(c.body, 1, {_FALLBACK_CHARS + 1}) AS body_start"
            f" FROM ({best}) AS m JOIN cases c ON c.id = m.case_id"
            f" JOIN organisations o ON o.id = c.organisation_id ORDER BY {order}"
        ),
        params,
    ).all()


# --- contacts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactHit:
    """One contact found: who, at which customer, and how to reach them; name in <mark>."""

    contact_id: int
    name: str
    name_html: Markup
    email: str | None
    phone: str | None
    position: str | None
    former_employee: bool
    organisation_id: int
    organisation: str
    user_id: int | None


def _contact_matches(postgres: bool, terms: tuple[str, ...]) -> tuple[str, dict]:
    """SQL giving (contact_id, score) of the newest _CONTACT_CANDIDATES matches, and params."""
    if postgres:
        query = _Postgres(terms)
        score = f"ts_rank_cd(document, {query.query})"
        sql = (
            f"SELECT contact_id, {score} AS score FROM {CONTACT_SEARCH_TABLE}"
            f" WHERE document @@ ({query.query}) ORDER BY contact_id DESC LIMIT :candidates"
        )
        return sql, {k: v for k, v in query.params.items() if k.startswith("t")}
    table = CONTACT_SEARCH_TABLE
    sql = (
        f"SELECT rowid AS contact_id, -bm25({table}, {_CONTACT_WEIGHTS}) AS score FROM {table}"
        f" WHERE {table} MATCH :q ORDER BY rowid DESC LIMIT :candidates"
    )
    return sql, {"q": _Sqlite(terms).params["q"]}


def _marked_name(name: str, terms: tuple[str, ...]) -> Markup:
    """The name with the words the searcher typed the start of in <mark>."""
    prefixes = [t.lower() for t in terms]
    html, end = [], 0
    for match in _WORD.finditer(name):
        if any(match.group().lower().startswith(p) for p in prefixes):
            html.append(escape(name[end : match.start()]))
            html.append(Markup("<mark>%s</mark>") % match.group())
            end = match.end()
    html.append(escape(name[end:]))
    return Markup("").join(html)


def search_contacts(text: str, *, limit: int = MAX_CONTACTS) -> list[ContactHit]:
    """Contacts matching every word of `text` (as a prefix) by name, e-mail, phone or company,
    best first: at most `limit`, ranked among the newest matching contacts."""
    parsed = parse_query(text)
    if not parsed.terms:
        return []
    limit = min(max(int(limit), 1), MAX_LIMIT)
    matches, params = _contact_matches(_dialect(db.session()) == "postgresql", parsed.terms)
    best = f"SELECT * FROM ({matches}) AS m ORDER BY m.score DESC, m.contact_id DESC LIMIT :limit"
    rows = db.session.execute(
        sa.text(
            "SELECT c.id, c.name, c.email, c.phone, c.position, c.former_employee,"
            " c.organisation_id, c.user_id, o.name AS organisation"
            f" FROM ({best}) AS m JOIN contacts c ON c.id = m.contact_id"
            " JOIN organisations o ON o.id = c.organisation_id"
            " ORDER BY m.score DESC, m.contact_id DESC"
        ),
        {**params, "candidates": _CONTACT_CANDIDATES, "limit": limit},
    ).all()
    return [
        ContactHit(
            contact_id=row.id,
            name=row.name,
            name_html=_marked_name(row.name, parsed.terms),
            email=row.email,
            phone=row.phone,
            position=row.position,
            former_employee=bool(row.former_employee),
            organisation_id=row.organisation_id,
            organisation=row.organisation,
            user_id=row.user_id,
        )
        for row in rows
    ]
