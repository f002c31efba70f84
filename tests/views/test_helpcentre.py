"""The help centre through the test client: reading without a login, visibility, editing with
revisions, search, and the tracker composer's article suggestions and link counting."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Article, ArticleRevision, Case, Role, User
from helpdesk.services.helpcentre import kb
from tests.conftest import as_user, csrf_from, post_form
from tests.factories import make_case, make_user

HX = {"HX-Request": "true"}


@pytest.fixture
def desk(app):
    """An agent, a customer, and a public and an internal article written by the agent."""
    with app.app_context():
        lena = make_user(Role.AGENT, name="Lena Lind")
        anna = make_user(Role.CUSTOMER, name="Anna Novak")
        db.session.commit()
        kb.save_article(
            lena,
            None,
            title="How to request a licence key",
            body="Open **My orders** and choose Request key.",
            tags="licence keys, orders",
            visibility="public",
        )
        kb.save_article(
            lena,
            None,
            title="Licence server internals",
            body="Agents only: the key generator.",
            tags="licence keys",
            visibility="internal",
        )
        return {"lena": lena.id, "anna": anna.id, "org": anna.organisation_id}


def article(app, slug: str) -> Article:
    with app.app_context():
        found = db.session.scalar(sa.select(Article).where(Article.slug == slug))
        db.session.expunge(found)
        return found


def revisions(app, slug: str) -> list[tuple[str, int]]:
    with app.app_context():
        return db.session.execute(
            sa.select(ArticleRevision.title, ArticleRevision.edited_by_id)
            .join(Article, Article.id == ArticleRevision.article_id)
            .where(Article.slug == slug)
            .order_by(ArticleRevision.id)
        ).all()


def test_anyone_reads_public_articles_without_logging_in(client, desk):
    home = client.get("/help")
    assert home.status_code == 200
    assert 'href="/help">Help centre</a>' in home.text  # in the top bar when logged out
    assert "How to request a licence key" in home.text and "internals" not in home.text
    page = client.get("/help/how-to-request-a-licence-key")
    assert page.status_code == 200
    assert "<strong>My orders</strong>" in page.text
    assert "Linked in replies" not in page.text and "Edit" not in page.text


def test_internal_articles_are_hidden_from_anonymous_and_customers(app, client, desk):
    assert client.get("/help/licence-server-internals").status_code == 404
    as_user(app, client, desk["anna"])
    assert client.get("/help/licence-server-internals").status_code == 404
    assert "internals" not in client.get("/help?q=licence").text
    assert client.get("/help/no-such-article").status_code == 404


def test_staff_see_internal_articles_and_both_counts(app, client, desk):
    with app.app_context():
        db.session.execute(
            sa.update(Article)
            .where(Article.slug == "how-to-request-a-licence-key")
            .values(link_count=4, deflection_count=7)
        )
        db.session.commit()
    as_user(app, client, desk["lena"])
    internal = client.get("/help/licence-server-internals")
    assert internal.status_code == 200 and "internal: agents only" in internal.text
    public = client.get("/help/how-to-request-a-licence-key").text
    assert re.search(r"Linked in replies</dt><dd>4<", public)
    assert re.search(r"Cases deflected</dt><dd>7<", public)
    assert "Licence server internals" in client.get("/help").text


def test_tags_filter_the_list_by_whole_tag(client, desk):
    assert "How to request" in client.get("/help?tag=orders").text
    assert "How to request" not in client.get("/help?tag=order").text


def test_search_results_are_a_fragment_for_htmx_and_escaped(app, client, desk):
    with app.app_context():
        lena = db.session.get(User, desk["lena"])
        kb.save_article(
            lena,
            None,
            title="Templates <img src=x onerror=alert(1)>",
            body="Type <script>alert(1)</script> into the theme editor.",
            tags="",
            visibility="public",
        )
    fragment = client.get("/help?q=theme+editor", headers=HX)
    assert fragment.text.lstrip().startswith('<div id="help-results">')
    assert "<html" not in fragment.text and "Vary" in fragment.headers
    assert "<script>" not in fragment.text and "&lt;script&gt;" in fragment.text
    assert "<img" not in fragment.text and "&lt;img" in fragment.text
    assert "<mark>theme</mark>" in fragment.text
    assert "No article matches “zzz”" in client.get("/help?q=zzz").text
    full = client.get("/help?q=licence")
    assert "<html" in full.text and "How to request a <mark>licence</mark> key" in full.text


def test_customers_and_billing_cannot_write_articles(app, client, desk):
    assert client.get("/help/new").status_code == 302  # to the login page
    as_user(app, client, desk["anna"])
    assert client.get("/help/new").status_code == 403
    assert client.get("/help/how-to-request-a-licence-key/edit").status_code == 403
    assert client.get("/help/how-to-request-a-licence-key/history").status_code == 403
    token = csrf_from(client.get("/help").text)
    refused = client.post(
        "/help/how-to-request-a-licence-key/edit",
        data={"csrf_token": token, "title": "Hacked", "body": "x", "visibility": "public"},
    )
    assert refused.status_code == 403
    with app.app_context():
        clerk = make_user(Role.BILLING)
        db.session.commit()
        clerk_id = clerk.id
    as_user(app, client, clerk_id)
    assert client.get("/help/new").status_code == 403
    assert article(app, "how-to-request-a-licence-key").title == "How to request a licence key"


def test_agent_writes_an_article_sanitised_with_a_revision(app, client, desk):
    as_user(app, client, desk["lena"])
    response = post_form(
        client,
        "/help/new",
        {
            "title": "Resetting a password",
            "body": "Click **Forgot password**.\n\n<script>alert(1)</script>"
            "\n\n[bad](javascript:alert(1))",
            "tags": "Accounts",
            "visibility": "public",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/help/resetting-a-password")
    saved = article(app, "resetting-a-password")
    assert "<strong>Forgot password</strong>" in saved.body_html
    assert "<script>" not in saved.body_html and 'href="javascript' not in saved.body_html
    assert saved.tags == "accounts" and saved.updated_by_id == desk["lena"]
    assert revisions(app, "resetting-a-password") == [("Resetting a password", desk["lena"])]
    shown = client.get("/help/resetting-a-password").text
    assert "<script>alert" not in shown and "&lt;script&gt;" in shown


def test_bad_article_input_is_shown_on_the_form(app, client, desk):
    as_user(app, client, desk["lena"])
    response = post_form(
        client, "/help/new", {"title": "", "body": "Text", "tags": "x" * 41, "visibility": "public"}
    )
    assert response.status_code == 422 and "Enter a title." in response.text
    assert 'value="x' in response.text  # what was typed is kept
    tags = post_form(
        client,
        "/help/new",
        {"title": "T", "body": "Text", "tags": "x" * 41, "visibility": "public"},
    )
    assert tags.status_code == 422 and "Keep each tag under 40 characters." in tags.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == 2


def test_editing_keeps_revisions_listed_in_history(app, client, desk):
    as_user(app, client, desk["lena"])
    url = "/help/how-to-request-a-licence-key"
    form = client.get(f"{url}/edit").text
    assert "Open **My orders** and choose Request key." in form
    response = post_form(
        client,
        f"{url}/edit",
        {
            "title": "Requesting a licence key",
            "body": "Use the **Request key** button.",
            "tags": "licence keys",
            "visibility": "public",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    assert article(app, "how-to-request-a-licence-key").title == "Requesting a licence key"
    assert [t for t, _ in revisions(app, "how-to-request-a-licence-key")] == [
        "How to request a licence key",
        "Requesting a licence key",
    ]
    history = client.get(f"{url}/history").text
    assert history.count("<td>Lena Lind</td>") == 2
    old_id = re.findall(r'/history/(\d+)">Show<', history)
    assert len(old_id) == 1
    old = client.get(f"{url}/history/{old_id[0]}").text
    assert "<strong>My orders</strong>" in old and "by Lena Lind" in old
    assert "Request key</strong>" not in old
    assert client.get(f"{url}/history/999999").status_code == 404


def test_revision_of_another_article_is_not_shown(app, client, desk):
    as_user(app, client, desk["lena"])
    with app.app_context():
        internal_id = db.session.scalar(
            sa.select(ArticleRevision.id)
            .join(Article, Article.id == ArticleRevision.article_id)
            .where(Article.slug == "licence-server-internals")
        )
    assert client.get(f"/help/how-to-request-a-licence-key/history/{internal_id}").status_code == (
        404
    )


def _case(app, desk, **fields) -> int:
    with app.app_context():
        anna = db.session.get(User, desk["anna"])
        case = make_case(
            anna.organisation, requester_id=anna.id, assignee_id=desk["lena"], **fields
        )
        db.session.commit()
        return case.number


def test_composer_suggests_articles_with_an_insert_link_button(app, client, desk):
    number = _case(app, desk, subject="Need a new licence key", body="Our domain changed.")
    as_user(app, client, desk["lena"])
    page = client.get(f"/tracker/cases/{number}").text
    link = f"{app.config['BASE_URL'].rstrip('/')}/help/how-to-request-a-licence-key"
    assert f'data-insert-link="{link}"' in page
    assert "Licence server internals" not in page  # the customer could not open it
    assert "insert-link.js" in page and "<script>" not in page.replace("<script src=", "")
    typed = client.get(
        f"/tracker/cases/{number}/articles", query_string={"body": "zzz"}, headers=HX
    ).text
    assert typed.lstrip().startswith('<div id="article-suggestions">')
    assert "How to request" in typed  # the subject still counts while typing
    with app.app_context():
        lena = db.session.get(User, desk["lena"])
        kb.save_article(
            lena, None, title="Printer setup", body="Drivers.", tags="", visibility="public"
        )
    printer = client.get(
        f"/tracker/cases/{number}/articles", query_string={"body": "the printer"}, headers=HX
    ).text
    assert "Printer setup" in printer
    assert client.get(f"/tracker/cases/{number}/articles").status_code == 302


def test_composer_suggestions_are_for_staff_only(app, client, desk):
    number = _case(app, desk)
    as_user(app, client, desk["anna"])
    assert client.get(f"/tracker/cases/{number}/articles", headers=HX).status_code == 403


def test_a_public_reply_linking_an_article_counts_once(app, client, desk):
    number = _case(app, desk, subject="Licence key lost")
    as_user(app, client, desk["lena"])
    link = f"{app.config['BASE_URL'].rstrip('/')}/help/how-to-request-a-licence-key"

    def post(kind: str, body: str):
        token = csrf_from(client.get(f"/tracker/cases/{number}").text)
        response = client.post(
            f"/tracker/cases/{number}/messages",
            data={"csrf_token": token, "kind": kind, "body": body},
        )
        assert response.status_code == 302

    post("reply", f"Please follow {link} - again: {link}")
    assert article(app, "how-to-request-a-licence-key").link_count == 1
    post("note", f"Sent them {link}")  # a private note is no answer to the customer
    post("reply", "No link this time.")
    assert article(app, "how-to-request-a-licence-key").link_count == 1
    post("reply", f"One more: {link}")
    assert article(app, "how-to-request-a-licence-key").link_count == 2
    with app.app_context():
        assert db.session.scalar(sa.select(Case.status).where(Case.number == number)) == "answered"
