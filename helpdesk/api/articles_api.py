"""Help articles through the API: the help centre's search and listing, and its editor's save
(agents and administrators write, as helpdesk.helpcentre.views.EDITORS; every save keeps a
revision). Internal articles are read by the roles that read them in the help centre."""

from __future__ import annotations

from flask import g, url_for

from helpdesk.api.blueprint import bp
from helpdesk.api.problems import Problem, refused
from helpdesk.api.refusals import account
from helpdesk.api.schemas import articles as schemas
from helpdesk.api.schemas.common import PersonRef, decode_cursor, encode_cursor
from helpdesk.api.spec import Reply, operation
from helpdesk.extensions import db
from helpdesk.models import Article, Role, User, Visibility
from helpdesk.services import ServiceError
from helpdesk.services.helpcentre import kb

TAG = "Help articles"
# helpdesk.helpcentre.views.EDITORS: they write articles and read the internal ones.
EDITORS = frozenset({Role.AGENT, Role.ADMIN})


def _user() -> User:
    return g.api.user


def _reads_internal() -> bool:
    return _user().role in EDITORS


def _summary_fields(article: Article) -> dict:
    return {
        "id": article.id,
        "slug": article.slug,
        "title": article.title,
        "tags": kb.tag_list(article.tags),
        "visibility": article.visibility,
        "updated_at": article.updated_at,
        "url": url_for("helpcentre.article_show", slug=article.slug, _external=True),
    }


def _detail(article: Article) -> schemas.ArticleDetail:
    editor = db.session.get(User, article.updated_by_id) if article.updated_by_id else None
    return schemas.ArticleDetail(
        **_summary_fields(article),
        body=article.body,
        body_html=article.body_html,
        created_at=article.created_at,
        updated_by=PersonRef(id=editor.id, name=editor.name) if editor else None,
        link_count=article.link_count,
        deflection_count=article.deflection_count,
    )


@operation(
    bp,
    "GET",
    "/articles",
    summary="Search or list help articles",
    tag=TAG,
    scope=None,
    query=schemas.ArticleListQuery,
    response=schemas.ArticlePage,
)
def list_articles(query: schemas.ArticleListQuery) -> schemas.ArticlePage:
    """With `q`: the help centre's search, best first (a `tag` keeps the hits that carry it).
    Without: every article (of one `tag`) in the order they were written. Any token may
    read; internal articles are listed for agents' and administrators' tokens."""
    if query.q:
        offset = decode_cursor(query.cursor) or 0
        page = kb.search_articles(
            query.q,
            include_internal=_reads_internal(),
            limit=min(query.limit, kb.MAX_LIMIT),
            offset=offset,
        )
        following = offset + len(page.hits)
        # With a tag too, the page keeps the hits that carry it (it may come out shorter).
        hits = [
            hit
            for hit in page.hits
            if not query.tag or query.tag in kb.tag_list(hit.article.tags or "")
        ]
        return schemas.ArticlePage(
            items=[schemas.ArticleSummary(**_summary_fields(hit.article)) for hit in hits],
            next_cursor=encode_cursor(following) if page.has_next and page.hits else None,
        )
    listing = kb.listed_articles(query.tag, include_internal=_reads_internal()).order_by(None)
    after = decode_cursor(query.cursor)
    if after is not None:
        listing = listing.where(Article.id > after)
    rows = db.session.scalars(listing.order_by(Article.id).limit(query.limit + 1)).all()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return schemas.ArticlePage(
        items=[schemas.ArticleSummary(**_summary_fields(row)) for row in rows],
        next_cursor=encode_cursor(rows[-1].id) if more else None,
    )


def _article(article_id: int) -> Article:
    article = db.session.get(Article, article_id)
    if article is None or (article.visibility != Visibility.PUBLIC and not _reads_internal()):
        raise Problem(404, f"There is no article {article_id} this token can read.")
    return article


@operation(
    bp,
    "GET",
    "/articles/<int:article_id>",
    summary="Get a help article",
    tag=TAG,
    scope=None,
    response=schemas.ArticleDetail,
)
def get_article(article_id: int) -> schemas.ArticleDetail:
    """The article as typed and as sanitised HTML, with its tags and counts."""
    return _detail(_article(article_id))


def _may_write() -> User:
    user = _user()
    if user.role not in EDITORS:
        raise Problem(403, f"{account(user.role.value)} cannot write help articles.")
    return user


def _save(user: User, article: Article | None, **values) -> Article:
    try:
        return kb.save_article(
            user,
            article,
            title=values["title"],
            body=values["body"],
            tags=", ".join(values["tags"]),
            visibility=str(values["visibility"]),
        )
    except ServiceError as error:
        db.session.rollback()
        raise refused(error) from None


@operation(
    bp,
    "POST",
    "/articles",
    summary="Write a help article",
    tag=TAG,
    scope="articles:write",
    body=schemas.ArticleCreate,
    response=schemas.ArticleDetail,
    status=201,
)
def create_article(body: schemas.ArticleCreate) -> Reply:
    """Publish an article; its address (slug) comes from the title and stays."""
    saved = _save(_may_write(), None, **body.model_dump())
    return Reply(_detail(saved), 201, {"Location": url_for("api.get_article", article_id=saved.id)})


@operation(
    bp,
    "PATCH",
    "/articles/<int:article_id>",
    summary="Change a help article",
    tag=TAG,
    scope="articles:write",
    body=schemas.ArticleUpdate,
    response=schemas.ArticleDetail,
)
def update_article(article_id: int, body: schemas.ArticleUpdate) -> schemas.ArticleDetail:
    """Change the fields sent; every save keeps a revision (the help centre's history)."""
    user = _may_write()
    article = _article(article_id)
    sent = body.model_fields_set
    values = {
        "title": body.title if "title" in sent else article.title,
        "body": body.body if "body" in sent else article.body,
        "tags": body.tags if "tags" in sent else kb.tag_list(article.tags),
        "visibility": body.visibility if "visibility" in sent else article.visibility,
    }
    return _detail(_save(user, article, **values))
