"""Canned responses, seed 000's system e-mails: installing the defaults, editing, rendering."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Article, CannedResponse, User, Visibility, utcnow
from helpdesk.rules import canned as rules
from helpdesk.services import ServiceError
from helpdesk.services.cases.casework import clean_text, committed
from helpdesk.services.core import audit
from helpdesk.services.helpcentre.kb import article_url
from helpdesk.services.mail.canned_defaults import DEFAULTS

TITLE_MAX = 120
SUBJECT_MAX = 200
BODY_MAX = 20_000
SAMPLE_NAME = "Ben Harris"
SAMPLE_CASE_NUMBER = "10001"
SAMPLE_ARTICLE_LINKS = (
    "- How to open a support case: https://support.example/help/open-support-case"
)


@dataclass(frozen=True)
class Rendered:
    """A canned response's subject and body with the variables filled in."""

    subject: str
    body: str


def add_missing_defaults() -> int:
    """Add seed 000's eight system e-mails whose keys are not there yet; no commit.

    Existing ones, edited or not, are left alone. Returns how many were added.
    """
    keys = set(db.session.scalars(sa.select(CannedResponse.key)))
    added = 0
    for default in DEFAULTS:
        if default.key in keys:
            continue
        db.session.add(
            CannedResponse(
                key=default.key,
                title=default.title,
                subject=default.subject,
                customers_only=default.customers_only,
                body=default.body,
            )
        )
        added += 1
    return added


def seed_defaults() -> int:
    """`add_missing_defaults` and commit: safe to run on every start."""
    return committed(lambda files: add_missing_defaults())


def all_responses() -> list[CannedResponse]:
    """Every system e-mail, by title (there are a handful: no paging needed beyond 200); saved
    replies without a key are macros only, managed with the other macros."""
    return list(
        db.session.scalars(
            sa.select(CannedResponse)
            .where(CannedResponse.key.is_not(None))
            .order_by(CannedResponse.title, CannedResponse.id)
            .limit(200)
        )
    )


def public_article_links(slugs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Slug to absolute link, for the public articles among `slugs` (internal ones are not
    for customers, so they stay unresolved)."""
    if not slugs:
        return {}
    found = db.session.scalars(
        sa.select(Article.slug).where(
            Article.slug.in_(sorted(set(slugs))), Article.visibility == Visibility.PUBLIC
        )
    )
    return {slug: article_url(slug) for slug in found}


def render(subject: str, body: str, variables: Mapping[str, str]) -> Rendered:
    """Fill the variables and {article:<slug>} links into a subject and a body."""
    slugs = [*rules.placeholders(subject).article_slugs, *rules.placeholders(body).article_slugs]
    links = public_article_links(slugs)
    return Rendered(
        subject=rules.render_subject(subject, variables, links),
        body=rules.render(body, variables, links),
    )


def sample_variables(agent: User) -> dict[str, str]:
    """Made-up values for an administrator's preview."""
    return {
        "customer_name": SAMPLE_NAME,
        "case_number": SAMPLE_CASE_NUMBER,
        "agent_name": agent.name,
        "article_links": SAMPLE_ARTICLE_LINKS,
    }


def _check_placeholders(text: str, field: str) -> None:
    found = rules.placeholders(text)
    if found.unknown:
        known = ", ".join(f"{{{name}}}" for name in rules.VARIABLES)
        raise ServiceError(
            f"Unknown placeholder {', '.join(found.unknown)}. Use {known} or "
            "{article:<slug>} of a public help article.",
            field=field,
        )
    missing = sorted(set(found.article_slugs) - set(public_article_links(found.article_slugs)))
    if missing:
        raise ServiceError(
            f"There is no public help article “{missing[0]}”; check the slug in "
            f"{{article:{missing[0]}}}.",
            field=field,
        )


def check_template(subject: str, body: str) -> None:
    """Refuse a subject on more than one line, and unknown placeholders or article slugs."""
    if rules.one_line(subject) != subject:
        raise ServiceError("Keep the subject on one line.", field="subject")
    _check_placeholders(subject, "subject")
    _check_placeholders(body, "body")


def update_response(
    admin: User,
    response: CannedResponse,
    *,
    title: str,
    subject: str,
    body: str,
    active: bool,
    ip_address: str | None = None,
) -> CannedResponse:
    """Save an administrator's edit of a system e-mail, refusing unknown placeholders; audit
    which parts changed; commit."""
    title = clean_text(title, field="title", label="a title", limit=TITLE_MAX)
    subject = clean_text(subject, field="subject", label="a subject", limit=SUBJECT_MAX)
    body = clean_text(body, field="body", label="the text", limit=BODY_MAX)
    check_template(subject, body)
    new = {"title": title, "subject": subject, "body": body, "active": bool(active)}
    changed = sorted(name for name, value in new.items() if getattr(response, name) != value)

    def write(files: list[Path]) -> CannedResponse:
        if not changed:
            return response
        for name, value in new.items():
            setattr(response, name, value)
        response.updated_at = utcnow()
        audit.record(
            "canned.update",
            actor=admin,
            obj=response,
            ip_address=ip_address,
            key=response.key,
            changed=changed,
        )
        return response

    return committed(write)
