"""Case search: what it finds, how it ranks and highlights, and that the index keeps up."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Case, Category, Message, MessageKind, Origin, Role
from helpdesk.services.cases import cases
from helpdesk.services.cases.attachments import AttachmentPolicy
from helpdesk.services.tracker import search
from helpdesk.services.tracker.search import SearchPage, search_cases
from tests.factories import make_case, make_order, make_organisation, make_user

pytestmark = pytest.mark.usefixtures("ctx")


def numbers(text: str, **paging) -> list[int]:
    return [hit.number for hit in search_cases(text, **paging).hits]


def index_rows() -> int:
    return db.session.scalar(sa.text("SELECT count(*) FROM case_search"))


def add_message(case: Case, body: str, kind: MessageKind = MessageKind.REPLY) -> Message:
    message = Message(
        case_id=case.id,
        kind=kind,
        origin=Origin.WEB,
        body=body,
        body_html=f"<p>{body}</p>",
    )
    db.session.add(message)
    db.session.flush()
    return message


@pytest.fixture
def desk() -> dict[str, Case]:
    acme = make_organisation(name="Acme Widgets GmbH")
    zoe = make_user(Role.CUSTOMER, organisation=acme, name="Zoe Quist", email="zoe.quist@acme.test")
    globex = make_organisation(name="Globex Corporation")
    install = make_case(
        acme,
        number=10005,
        subject="Installation fails on Windows",
        body="The setup stops at step three with a permissions error.",
        requester_id=zoe.id,
        correspondent_email=zoe.email,
    )
    invoice = make_case(globex, number=20017, subject="Invoice question", body="Where is it?")
    add_message(invoice, "Please look in the billing portal under Statements.")
    add_message(invoice, "Legacy plan; the customer calls it the flamingo deal.", MessageKind.NOTE)
    db.session.commit()
    return {"install": install, "invoice": invoice}


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("windows", 10005),  # subject
        ("permissions", 10005),  # body
        ("billing portal", 20017),  # a public reply
        ("flamingo", 20017),  # a private note
        ("Acme", 10005),  # the company
        ("globex corporation", 20017),
        ("Zoe Quist", 10005),  # the requester's name
        ("zoe.quist@acme.test", 10005),  # ... and e-mail, whole
        ("quist", 10005),  # ... or in part
        ("instal", 10005),  # a prefix: installation
        ("INSTALLATION WINDOWS", 10005),  # every word, any case
    ],
)
def test_finds_cases_by_every_searchable_field(desk, text, number):
    assert numbers(text) == [number]


def test_every_word_must_match():
    make_case(make_organisation(), subject="Printer jams", body="Paper tray")
    db.session.commit()
    assert len(numbers("printer paper")) == 1
    assert numbers("printer scanner") == []


@pytest.mark.parametrize("text", ["10005", "#10005", "  # 10005 "])
def test_a_case_number_puts_that_case_first(desk, text):
    make_case(desk["install"].organisation, subject="See 10005 too", body="About 10005.")
    db.session.commit()
    page = search_cases(text)
    assert page.hits[0].number == 10005 and page.hits[0].exact_number
    assert page.total == 2 and not page.hits[1].exact_number


def test_a_case_number_finds_the_case_even_when_its_index_row_is_missing(desk):
    db.session.execute(sa.text("DELETE FROM case_search"))
    db.session.commit()
    page = search_cases("#10005")
    assert page.total == 1
    hit = page.hits[0]
    assert (hit.number, hit.exact_number, hit.subject) == (10005, True, desk["install"].subject)
    assert "The setup stops" in hit.snippet
    assert search_cases("windows").total == 0


def test_a_subject_match_ranks_above_a_body_only_match():
    organisation = make_organisation()
    in_body = make_case(organisation, subject="Question", body="The gearbox report is empty.")
    in_subject = make_case(organisation, subject="Gearbox report", body="It is empty.")
    db.session.commit()
    hits = search_cases("gearbox").hits
    assert [h.case_id for h in hits] == [in_subject.id, in_body.id]
    assert hits[0].score > hits[1].score > 0


def test_matches_are_marked_and_everything_else_is_escaped():
    organisation = make_organisation(name="Bits & <Bytes>")
    make_case(
        organisation,
        subject='<script>alert("x")</script> Gearbox broken',
        body="Since Monday the <b>gearbox</b> & the pump fail.",
    )
    db.session.commit()
    hit = search_cases("gearbox").hits[0]
    assert "<script>" not in hit.subject_html
    assert "&lt;script&gt;" in hit.subject_html
    assert "<mark>Gearbox</mark> broken" in hit.subject_html
    assert "<mark>gearbox</mark>" in hit.snippet
    assert "<b>" not in hit.snippet and "&amp;" in hit.snippet
    assert hit.organisation == "Bits & <Bytes>"  # plain text: the template escapes it
    assert "<mark>" in search_cases("bytes").hits[0].snippet  # a match in the people


def test_a_hit_carries_what_a_result_list_shows(desk):
    hit = search_cases("flamingo").hits[0]
    assert (hit.case_id, hit.number, hit.subject) == (desk["invoice"].id, 20017, "Invoice question")
    assert hit.status == desk["invoice"].status
    assert hit.organisation == "Globex Corporation"
    assert "<mark>flamingo</mark>" in hit.snippet


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "...", "-", "*", '"', "()", "#", "#-", "—!?"])
def test_text_without_words_returns_an_empty_page(desk, text):
    page = search_cases(text)
    assert (page.total, page.hits) == (0, [])


HOSTILE = [
    '"',
    '"unbalanced',
    "'",
    "it's",
    "(",
    "a) OR (b",
    "windows AND",
    "AND OR NOT",
    "NEAR(windows installation, 2)",
    "windows NEAR installation",
    "subject:windows",
    "{number subject}: 10005",
    "*",
    "win*",
    "-windows",
    "^windows",
    "windows + installation",
    "'' OR 1=1 --",
    "'); DROP TABLE cases; --",
    "installation:* & !windows | <-> ",
    "%_%",
    "\\",
    "\\'",
    "Ünïcödé résumé naïve",
    "日本語のテキスト",
    "😀 🙃",
    "\u202eevil\u202c",
    "e\u0301",
    "nul\x00byte",
    "\x00",
    "\x02mark\x03",
    "a" * 5000,
    "windows " * 1000,
    "9" * 5000,
    "#99999999999999999999",
    "x" * 70 + " instal",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_never_raises_and_returns_a_page(desk, text):
    page = search_cases(text)
    assert isinstance(page, SearchPage)
    assert page.total >= len(page.hits)
    # The session is still usable: nothing went wrong in the database.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 2


def test_hostile_text_still_finds_the_words_in_it(desk):
    assert numbers('"windows') == [10005]
    assert numbers("installation AND windows") == []  # "and" is a word here, not an operator
    assert numbers("(installation) -windows") == [10005]


def test_the_index_follows_a_new_message(desk):
    assert numbers("hovercraft") == []
    add_message(desk["install"], "My hovercraft is full of eels.", MessageKind.NOTE)
    db.session.commit()
    assert numbers("hovercraft") == [10005]


def test_the_index_follows_a_message_added_through_the_relationship(desk):
    desk["install"].messages.append(
        Message(kind=MessageKind.REPLY, origin=Origin.EMAIL, body="Zeppelin", body_html="")
    )
    db.session.commit()
    assert numbers("zeppelin") == [10005]


def test_a_thread_of_pasted_logs_is_indexed_in_part_and_never_fails_the_write(desk):
    def log(n: int) -> str:
        return " ".join(hashlib.md5(f"{n}.{i}".encode()).hexdigest() for i in range(600))  # noqa: S324

    for n in range(50):  # a megabyte of distinct words: too much for one tsvector
        add_message(desk["install"], f"log{n} {log(n)}")
    add_message(desk["install"], "Aardvark")
    db.session.commit()
    assert numbers("log0") == [10005]
    assert numbers("aardvark") == []  # past the indexed start of the thread


def test_the_index_follows_orm_bulk_inserts(desk):
    organisation_id = desk["install"].organisation_id
    base = {"organisation_id": organisation_id, "origin": Origin.PHONE, "body_html": ""}
    base |= {"category": Category.OTHER, "body": "Bulk loaded."}
    db.session.execute(
        sa.insert(Case),
        [{**base, "number": 30001, "subject": "Walrus"}, {**base, "number": 30002, "subject": "x"}],
    )
    case_id = db.session.scalar(sa.select(Case.id).where(Case.number == 30002))
    db.session.execute(
        sa.insert(Message),
        [
            {
                "case_id": case_id,
                "kind": MessageKind.NOTE,
                "origin": Origin.WEB,
                "body": "Narwhal",
                "body_html": "",
            }
        ],
    )
    db.session.commit()
    assert (numbers("walrus"), numbers("narwhal")) == ([30001], [30002])


def test_the_index_follows_a_message_edit_and_delete(desk):
    message = add_message(desk["install"], "Try the hovercraft.")
    db.session.commit()
    message.body = "Try the submarine."
    db.session.commit()
    assert (numbers("hovercraft"), numbers("submarine")) == ([], [10005])
    db.session.delete(message)
    db.session.commit()
    assert numbers("submarine") == []


def test_the_index_follows_a_subject_change(desk):
    desk["install"].subject = "Upgrade stalls on Linux"
    db.session.commit()
    assert numbers("windows") == []
    assert numbers("linux") == [10005]


def test_the_index_follows_a_renamed_organisation_and_requester(desk):
    case = desk["install"]
    case.organisation.name = "Initech"
    case.requester.email = "zq@initrode.test"
    db.session.commit()
    assert numbers("widgets") == [] and numbers("gmbh") == []
    assert numbers("initech initrode") == [10005]


def test_a_deleted_case_leaves_the_index(desk):
    invoice = desk["invoice"]
    for message in invoice.messages:
        db.session.delete(message)
    db.session.delete(invoice)
    db.session.commit()
    assert numbers("flamingo") == [] and numbers("invoice") == []
    assert index_rows() == 1


def test_a_rolled_back_change_leaves_the_index_as_it_was(desk):
    desk["install"].subject = "Renamed elsewhere"
    db.session.flush()
    db.session.rollback()
    make_case(make_organisation(), subject="Unrelated")
    db.session.commit()
    assert numbers("windows") == [10005] and numbers("elsewhere") == []


def test_writes_through_the_case_services_are_indexed(app, tmp_path):
    customer = make_user(Role.CUSTOMER, name="Nora Nilsen")
    order = make_order(customer.organisation)
    db.session.commit()
    policy = AttachmentPolicy.from_config({**app.config, "ATTACHMENT_DIR": str(tmp_path)})
    with app.test_request_context():
        case = cases.open_case(
            customer=customer,
            order_id=order.id,
            category=Category.SUPPORT,
            subject="Checkout totals wrong",
            body="The tax is added twice.",
            uploads=[],
            policy=policy,
        )
        cases.customer_reply(
            customer=customer, case=case, body="Also the shipping.", uploads=[], policy=policy
        )
    assert numbers("checkout tax shipping nora") == [case.number]


def test_pages_are_cut_in_the_database_and_counted():
    organisation = make_organisation()
    for n in range(23):
        make_case(organisation, subject=f"Paging test {n}")
    db.session.commit()
    pages = [search_cases("paging", limit=10, offset=offset) for offset in (0, 10, 20)]
    assert [p.total for p in pages] == [23, 23, 23]
    assert [len(p.hits) for p in pages] == [10, 10, 3]
    assert [p.has_next for p in pages] == [True, True, False]
    found = [h.case_id for p in pages for h in p.hits]
    assert len(set(found)) == 23
    beyond = search_cases("paging", limit=10, offset=40)
    assert (beyond.total, beyond.hits) == (23, [])
    assert search_cases("paging", offset=10**30).hits == []  # a hand-edited page number
    assert len(search_cases("paging", limit=10**9).hits) == 23
    assert len(search_cases("paging", limit=0).hits) == 1


def test_reindex_all_rebuilds_an_emptied_index(desk):
    db.session.execute(sa.text("DELETE FROM case_search"))
    db.session.commit()
    assert numbers("flamingo") == []
    done = []
    assert search.reindex_all(batch=1, on_batch=done.append) == 2
    assert done == [1, 1]
    assert numbers("flamingo") == [20017] and numbers("windows") == [10005]
    assert index_rows() == 2


def test_the_reindex_command_rebuilds_the_index(app, desk):
    db.session.execute(sa.text("DELETE FROM case_search"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["search-reindex", "--batch", "1"])
    assert result.exit_code == 0, result.output
    assert "Indexed 2 cases." in result.output
    db.session.remove()
    assert numbers("flamingo") == [20017]


def test_the_query_is_cut_into_quoted_words():
    parsed = search.parse_query('#10005 "Install" AND ((x* -y)) install ' + "z" * 100)
    assert parsed.terms == ("10005", "Install", "AND", "x", "y", "z" * search.MAX_TERM_CHARS)
    assert parsed.number is None
    assert search.parse_query(" #10005 ").number == 10005
    assert len(search.parse_query("w " * 500 + " ".join(f"w{n}" for n in range(50))).terms) == (
        search.MAX_TERMS
    )


def test_only_the_newest_matches_are_ranked_but_all_are_counted_and_reachable(monkeypatch):
    monkeypatch.setattr(search, "RANKED_CANDIDATES", 2)
    acme = make_organisation(name="Acme")
    oldest = make_case(acme, number=30001, subject="Gateway gateway gateway", body="gateway")
    make_case(acme, number=30002, subject="Printer", body="the gateway once")
    make_case(acme, number=30003, subject="Scanner", body="a gateway too")
    db.session.commit()

    page = search_cases("gateway", limit=2)
    assert page.total == 3
    assert oldest.number not in [hit.number for hit in page.hits]  # outside the ranked newest
    assert numbers("gateway", limit=2, offset=2) == [oldest.number]  # after them, still found
    monkeypatch.setattr(search, "RANKED_CANDIDATES", 3)
    assert numbers("gateway", limit=1) == [oldest.number]  # ranked, it is the best match


def test_counting_stops_past_the_page_and_says_there_is_more(monkeypatch):
    monkeypatch.setattr(search, "COUNT_AHEAD", 2)
    acme = make_organisation(name="Acme")
    best = make_case(acme, number=40001, subject="Gateway gateway", body="gateway gateway")
    for n in range(2, 5):
        make_case(acme, number=40000 + n, subject="Other", body="one gateway")
    db.session.commit()

    page = search_cases("gateway", limit=1)
    assert (page.total, page.more, page.has_next) == (2, True, True)
    assert [hit.number for hit in page.hits] == [best.number]
    assert search_cases("gateway", limit=1, offset=3).total == 4  # counted from the page on
    # However few of the matches are recent, the page is the same (PostgreSQL's window).
    monkeypatch.setattr(search, "RECENT_WINDOW", 0)
    assert numbers("gateway", limit=1) == [best.number]
