"""Help articles through the API: search and list, read, write."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from helpdesk.api.schemas.common import Cursor, PageSize, PersonRef, Strict, UtcTime
from helpdesk.api.schemas.text import line, not_null, text
from helpdesk.models import Visibility
from helpdesk.services.helpcentre import kb

Title = line(kb.TITLE_MAX, min_length=1)
ArticleBody = text(kb.BODY_MAX, min_length=1)
Words = line(200, min_length=1)
Tag = Annotated[
    str,
    Field(min_length=1, max_length=kb.TAG_MAX, pattern=r"^[^\x00-\x1f\x7f,]+$"),
]
Tags = Annotated[list[Tag], Field(max_length=kb.TAGS_MAX)]


class ArticleListQuery(Strict):
    q: Words | None = Field(
        default=None,
        description="Words to find (each as a prefix) in title, tags or text, best first. "
        "Without it: every article, oldest first.",
    )
    tag: Tag | None = Field(default=None, description="Only articles with this tag.")
    limit: PageSize = 25
    cursor: Cursor = None


class ArticleSummary(BaseModel):
    id: int
    slug: str
    title: str
    tags: list[str]
    visibility: Visibility = Field(description="`public`, or `internal` (staff only).")
    updated_at: UtcTime
    url: str = Field(description="The article in the help centre.")


class ArticleDetail(ArticleSummary):
    body: str = Field(description="As typed.")
    body_html: str = Field(description="Sanitised HTML of the body.")
    created_at: UtcTime
    updated_by: PersonRef | None
    link_count: int = Field(description="Public replies that linked it.")
    deflection_count: int = Field(description="Customers it answered before they opened a case.")


class ArticlePage(BaseModel):
    items: list[ArticleSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last.")


class ArticleCreate(Strict):
    title: Title
    body: ArticleBody
    tags: Tags = Field(default_factory=list)
    visibility: Visibility = Visibility.PUBLIC


class ArticleUpdate(Strict):
    """Only the fields sent change; every save keeps a revision. The slug stays."""

    title: Title | None = None
    body: ArticleBody | None = None
    tags: Tags | None = Field(default=None, description="The article's tags: the whole list.")
    visibility: Visibility | None = None

    refuse_null = field_validator("title", "body", "tags", "visibility")(not_null)
