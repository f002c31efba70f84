"""`flask rerender-markup`: stored HTML rebuilt from the text as typed, in batches, once."""

from __future__ import annotations

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.markup import render_markup
from helpdesk.models import Article, Case, Message, MessageKind, Origin
from helpdesk.services.helpcentre import kb
from tests.factories import make_case, make_organisation

TYPED = "**Reset** the router, see https://help.example.com/router"
# What an older sanitiser stored: the text is right, the HTML is not what we render now.
STALE = "<p>**Reset** the router, see https://help.example.com/router</p>"


def _stale_rows() -> None:
    organisation = make_organisation()
    for n in range(3):
        case = make_case(organisation, body=f"{TYPED} {n}", body_html=STALE)
        db.session.add(
            Message(
                case_id=case.id,
                kind=MessageKind.REPLY,
                origin=Origin.WEB,
                body=TYPED,
                body_html=STALE,
            )
        )
    make_case(organisation, body=TYPED, body_html=render_markup(TYPED))  # already current
    db.session.add(Article(slug="router", title="Router", body="Unplug the modem.", body_html=""))
    db.session.commit()


def _rerender(app) -> str:
    result = app.test_cli_runner().invoke(args=["rerender-markup", "--batch", "2"])
    assert result.exit_code == 0, result.output
    return result.output


def test_rerender_markup_rewrites_stale_html_in_batches_and_counts(app):
    with app.app_context():
        _stale_rows()

    output = _rerender(app)

    assert "cases: 4 checked, 3 rewritten." in output
    assert "messages: 3 checked, 3 rewritten." in output
    assert "articles: 1 checked, 1 rewritten." in output
    with app.app_context():
        for model in (Case, Message, Article):
            for body, body_html in db.session.execute(sa.select(model.body, model.body_html)):
                assert body_html == render_markup(body)
        assert "<strong>Reset</strong>" in db.session.scalars(sa.select(Message.body_html)).first()
        # The article's search row follows its new HTML.
        assert [hit.article.slug for hit in kb.search_articles("modem").hits] == ["router"]


def test_rerender_markup_a_second_time_changes_nothing(app):
    with app.app_context():
        _stale_rows()
    _rerender(app)

    output = _rerender(app)

    assert "cases: 4 checked, 0 rewritten." in output
    assert "messages: 3 checked, 0 rewritten." in output
    assert "articles: 1 checked, 0 rewritten." in output
