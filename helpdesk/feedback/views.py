"""Did this solve it? pages: the link from an e-mail shows what it will record and one button;
the button records it. A help article's page asks the same of its readers."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext

from helpdesk.extensions import db
from helpdesk.feedback.forms import ArticleAnswerForm, ConfirmForm
from helpdesk.models import Case, utcnow
from helpdesk.rules.feedback import Outcome
from helpdesk.services.cases import feedback
from helpdesk.services.helpcentre import kb

bp = Blueprint("feedback", __name__)

ARTICLE_ANSWERS = "solved_articles"  # session: article id -> the reader's answer row


def _problem(kind: str, status: int):
    return render_template(
        "feedback/link_problem.html", kind=kind, days=feedback.valid_days()
    ), status


def _verified(token: str):
    try:
        vote = feedback.read_token(token)
        return vote, feedback.question_for(vote)
    except feedback.BadLink:
        return None, None


@bp.route("/<token>", methods=["GET", "POST"])
def answer(token: str):
    """GET: what this link answers, and one button to confirm it. POST: record it."""
    vote, question = _verified(token)
    if question is None:
        return _problem("bad", 404)
    if feedback.is_expired(question, utcnow()):
        return _problem("expired", 410)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            outcome, question = feedback.answer(vote, now=utcnow())
        except feedback.BadLink:
            return _problem("bad", 404)
        if outcome is Outcome.EXPIRED:
            return _problem("expired", 410)
        flash(_said(outcome, vote.solved), "success" if outcome is not Outcome.ALREADY else "info")
        return redirect(url_for("feedback.answer", token=token))
    if form.is_submitted():
        abort(400)
    case = db.session.get(Case, question.case_id)
    other = feedback.make_token(vote.mail_id, vote.case_id, not vote.solved)
    return render_template(
        "feedback/answer.html",
        form=form,
        vote=vote,
        question=question,
        case=case,
        other_url=url_for("feedback.answer", token=other),
        expires_at=feedback.expires_at(question),
    )


def _said(outcome: Outcome, solved: bool) -> str:
    if outcome is Outcome.ALREADY:
        return gettext("You already answered this e-mail. Thank you, nothing more to do.")
    if outcome is Outcome.CHANGED:
        if solved:
            return gettext("We changed your answer: it solved it after all. Thank you.")
        return gettext("We changed your answer: it did not solve it. Thank you for telling us.")
    if solved:
        return gettext("Thank you! We are glad it solved it.")
    return gettext("Thank you for telling us. Reply to the e-mail if you still need help.")


@bp.route("/article/<slug>", methods=["POST"])
def article_answer(slug: str):
    """A reader's Yes or No on a public help article's page; once per browser, changeable."""
    article = kb.article_by_slug(slug, include_internal=False)
    if article is None:
        abort(404)
    form = ArticleAnswerForm()
    if not form.validate_on_submit() or form.solved.data not in ("yes", "no"):
        flash(gettext("Choose Yes or No."), "error")
        return redirect(url_for("helpcentre.article_show", slug=slug))
    solved = form.solved.data == "yes"
    answers = dict(session.get(ARTICLE_ANSWERS) or {})
    earlier = answers.get(str(article.id))
    outcome, row = feedback.answer_on_article(
        article, solved, earlier_id=earlier if isinstance(earlier, int) else None, now=utcnow()
    )
    answers[str(article.id)] = row.id
    session[ARTICLE_ANSWERS] = dict(list(answers.items())[-50:])  # a cookie stays small
    if outcome is Outcome.ALREADY:
        flash(gettext("You already answered for this article. Thank you."), "info")
    elif solved:
        flash(gettext("Thank you! We are glad the article helped."), "success")
    else:
        flash(
            gettext("Thank you for telling us. If you still need help, open a support case."),
            "success",
        )
    return redirect(url_for("helpcentre.article_show", slug=slug))
