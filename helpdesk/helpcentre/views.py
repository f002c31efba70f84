"""Help centre pages: search and browse for everyone, articles readable without a login,
writing, editing and revision history for agents and admins (seed 003, issue 7 item 5)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from helpdesk.extensions import db
from helpdesk.helpcentre.forms import ArticleForm
from helpdesk.markup import render_markup
from helpdesk.models import Article, ArticleRevision, Role, User
from helpdesk.services import ServiceError
from helpdesk.services.helpcentre import kb
from helpdesk.web.forms import show_service_error
from helpdesk.web.guards import role_required
from helpdesk.web.htmx import render_page_or_fragment
from helpdesk.web.paging import page_of
from helpdesk.web.params import arg_page

bp = Blueprint("helpcentre", __name__)

EDITORS = (Role.AGENT, Role.ADMIN)
QUERY_MAX = 200
PER_PAGE = 20


def _is_editor() -> bool:
    return current_user.is_authenticated and current_user.role in EDITORS


def _article(slug: str) -> Article:
    """The article if this reader may see it; 404 otherwise (internal ones exist for staff
    only, so the others cannot tell them from a wrong address)."""
    article = kb.article_by_slug(slug, include_internal=_is_editor())
    if article is None:
        abort(404)
    return article


@bp.route("")
def home():
    """Search box with live results, else the articles (by tag, when one is chosen)."""
    text = request.args.get("q", "").strip()[:QUERY_MAX]
    tag = request.args.get("tag", "").strip().lower()[: kb.TAG_MAX] or None
    page_number = arg_page()
    results = listing = None
    if text:
        results = kb.search_articles(
            text,
            include_internal=_is_editor(),
            limit=PER_PAGE,
            offset=(page_number - 1) * PER_PAGE,
        )
    else:
        listing = page_of(kb.listed_articles(tag, include_internal=_is_editor()), PER_PAGE)
    return render_page_or_fragment(
        "helpcentre/home.html",
        "helpcentre/_results.html",
        q=text,
        tag=tag,
        results=results,
        listing=listing,
        page_number=page_number,
        tag_list=kb.tag_list,
        can_edit=_is_editor(),
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(*EDITORS)
def article_new():
    """Write a new article."""
    form = ArticleForm()
    if form.validate_on_submit():
        saved = _save(form, None)
        if saved is not None:
            flash("Article published.", "success")
            return redirect(url_for("helpcentre.article_show", slug=saved.slug))
    status = 422 if form.is_submitted() else 200
    return render_template("helpcentre/edit.html", form=form, article=None), status


@bp.route("/<slug>")
def article_show(slug: str):
    """One article; its counts, edit and history links for staff."""
    article = _article(slug)
    return render_template(
        "helpcentre/article.html",
        article=article,
        tags=kb.tag_list(article.tags),
        can_edit=_is_editor(),
        link=kb.article_url(article.slug),
    )


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@role_required(*EDITORS)
def article_edit(slug: str):
    """Edit an article; every save keeps a revision."""
    article = _article(slug)
    form = ArticleForm(obj=article)
    if form.validate_on_submit():
        saved = _save(form, article)
        if saved is not None:
            flash("Article saved.", "success")
            return redirect(url_for("helpcentre.article_show", slug=saved.slug))
    status = 422 if form.is_submitted() else 200
    return render_template("helpcentre/edit.html", form=form, article=article), status


def _save(form: ArticleForm, article: Article | None) -> Article | None:
    try:
        return kb.save_article(
            current_user,
            article,
            title=form.title.data,
            body=form.body.data,
            tags=form.tags.data or "",
            visibility=form.visibility.data,
        )
    except ServiceError as error:
        show_service_error(form, error)
        return None


@bp.route("/<slug>/history")
@role_required(*EDITORS)
def article_history(slug: str):
    """Who saved which version of the article, and when."""
    article = _article(slug)
    return render_template(
        "helpcentre/history.html", article=article, revisions=kb.revisions(article)
    )


@bp.route("/<slug>/history/<int:revision_id>")
@role_required(*EDITORS)
def revision_show(slug: str, revision_id: int):
    """An earlier version of the article, as it read then."""
    article = _article(slug)
    revision = db.session.get(ArticleRevision, revision_id)
    if revision is None or revision.article_id != article.id:
        abort(404)
    # Revisions keep the typed text only: sanitised here by the same render_markup.
    body_html = render_markup(revision.body)
    editor = db.session.get(User, revision.edited_by_id) if revision.edited_by_id else None
    return render_template(
        "helpcentre/revision.html",
        article=article,
        revision=revision,
        body_html=body_html,
        editor_name=editor.name if editor else "someone removed",
    )
