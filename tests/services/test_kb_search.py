"""Help article search: ranking, visibility, snippets, the index following edits, suggestions
for a case's text and link counting (on SQLite FTS5 and PostgreSQL tsvector alike)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Article, ArticleRevision, Role, User
from helpdesk.services import ServiceError
from helpdesk.services.helpcentre import kb
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture
def agent() -> User:
    user = make_user(Role.AGENT, name="Lena Lind")
    db.session.commit()
    return user


def write(agent: User, title: str, body: str, tags: str = "", visibility: str = "public"):
    return kb.save_article(agent, None, title=title, body=body, tags=tags, visibility=visibility)


def titles(text: str, **options) -> list[str]:
    return [hit.article.title for hit in kb.search_articles(text, **options).hits]


def test_a_title_match_ranks_above_a_tag_match_above_a_body_match(agent):
    write(agent, "Printing invoices", "The checkout page lists every order.")
    write(agent, "Checkout settings", "Where the payment options live.")
    write(agent, "Shipping rates", "Rates per zone.", tags="checkout, shipping")
    assert titles("checkout") == ["Checkout settings", "Shipping rates", "Printing invoices"]


def test_every_word_must_match_and_words_match_as_prefixes(agent):
    write(agent, "Installation checklist", "Check the server requirements first.")
    write(agent, "Server migration", "Move the store to a new host.")
    assert titles("instal") == ["Installation checklist"]
    assert titles("server requirements") == ["Installation checklist"]
    assert titles("server") == ["Server migration", "Installation checklist"]
    assert titles("server zebra") == []
    assert kb.search_articles("   %%% ").total == 0


def test_internal_articles_are_found_by_staff_only(agent):
    write(agent, "Refund workflow", "Internal steps for refunds.", visibility="internal")
    write(agent, "Refund policy", "Refunds within 30 days.")
    assert titles("refund") == ["Refund policy"]
    assert sorted(titles("refund", include_internal=True)) == ["Refund policy", "Refund workflow"]


def test_snippets_and_titles_are_escaped_with_matches_marked(agent):
    write(agent, "Templates <b>bold</b>", "Type `<script>alert(1)</script>` in the checkout box.")
    [hit] = kb.search_articles("checkout").hits
    assert "<mark>checkout</mark>" in hit.snippet
    assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet
    assert "<b>" not in hit.title_html and "&lt;b&gt;" in hit.title_html


def test_a_title_only_match_shows_the_start_of_the_body(agent):
    write(agent, "Licence keys", "Keys are issued per website. " * 20)
    [hit] = kb.search_articles("licence").hits
    assert str(hit.snippet).startswith("Keys are issued per website.")
    assert "<mark>Licence</mark>" in hit.title_html


def test_paging_counts_all_matches(agent):
    for n in range(5):
        write(agent, f"Backup guide {n}", "How to back up.")
    page = kb.search_articles("backup", limit=2, offset=2)
    assert page.total == 5 and len(page.hits) == 2 and page.has_next
    assert not kb.search_articles("backup", limit=2, offset=4).has_next


def test_the_index_follows_edits_and_deletes(agent):
    article = write(agent, "Old wording", "Nothing special.")
    kb.save_article(
        agent, article, title="Fresh wording", body="Nothing special.", tags="", visibility="public"
    )
    assert titles("old") == [] and titles("fresh") == ["Fresh wording"]
    kb.save_article(
        agent,
        article,
        title="Fresh wording",
        body="Nothing special.",
        tags="",
        visibility="internal",
    )
    assert titles("fresh") == [] and titles("fresh", include_internal=True) == ["Fresh wording"]
    db.session.delete(article)
    db.session.commit()
    assert titles("fresh", include_internal=True) == []


def test_reindex_all_rebuilds_a_lost_index(agent):
    write(agent, "Payment gateways", "Configure the gateway.")
    table = "article_search"
    db.session.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608
    db.session.commit()
    assert titles("gateway") == []
    assert kb.reindex_all_articles() == 1
    assert titles("gateway") == ["Payment gateways"]


def test_every_save_keeps_a_revision_and_the_slug(agent):
    article = write(agent, "How to request a key", "Open My orders.", tags="Keys, keys, Licence ")
    assert article.slug == "how-to-request-a-key" and article.tags == "keys, licence"
    kb.save_article(
        agent,
        article,
        title="Requesting a key",
        body="Open **My orders**.",
        tags="",
        visibility="public",
    )
    assert article.slug == "how-to-request-a-key"
    assert article.body_html == "<p>Open <strong>My orders</strong>.</p>\n"
    saved = db.session.scalars(sa.select(ArticleRevision.title).order_by(ArticleRevision.id)).all()
    assert saved == ["How to request a key", "Requesting a key"]
    again = write(agent, "How to request a key", "Second one.")
    assert again.slug == "how-to-request-a-key-2"
    assert write(agent, "New", "Reserved word as a title.").slug == "new-2"


@pytest.mark.parametrize(
    ("title", "body", "tags", "visibility", "field"),
    [
        ("", "Text", "", "public", "title"),
        ("T" * 201, "Text", "", "public", "title"),
        ("Title", "  ", "", "public", "body"),
        ("Title", "Text", ", ".join(f"t{n}" for n in range(11)), "public", "tags"),
        ("Title", "Text", "x" * 41, "public", "tags"),
        ("Title", "Text", "", "secret", "visibility"),
    ],
)
def test_bad_articles_are_refused_by_field(agent, title, body, tags, visibility, field):
    with pytest.raises(ServiceError) as refused:
        write(agent, title, body, tags, visibility)
    assert refused.value.field == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == 0


def test_suggestions_match_any_meaningful_word_public_only(agent):
    write(agent, "How to request a licence key", "Use My orders.")
    write(agent, "Licence key internals", "Agents only.", visibility="internal")
    write(agent, "Installation checklist", "Check the server requirements.")
    found = kb.suggest_articles("Hello, my licence has expired and I need help with it")
    assert [a.title for a in found] == ["How to request a licence key"]
    assert kb.suggest_articles("the and for with") == []
    assert kb.suggestion_terms("The server and the licence, the server!") == ("server", "licence")


def test_a_reply_linking_articles_counts_each_once(app, agent):
    key = write(agent, "Request a key", "Open My orders.")
    install = write(agent, "Install guide", "Run the installer.")
    link = kb.article_url(key.slug)
    assert link == f"{app.config['BASE_URL'].rstrip('/')}/help/{key.slug}"
    body = f"See {link} and again {link}.\nAlso {kb.article_url(install.slug)}, not /help/nope."
    assert kb.count_links(body) == 2
    kb.count_links(f"Only {link}")
    kb.count_links("No link here, and http://elsewhere.example/help/request-a-key")
    db.session.commit()
    db.session.expire_all()
    assert (key.link_count, install.link_count) == (2, 1)
