"""Macros (issue 14, item 3): the picker's list, a macro rendered for a case, its actions applied
with the reply, usage, and agents' and administrators' management of personal and shared ones.

A macro is a `CannedResponse` row: the system e-mails of the phone procedure (with a key) and
saved replies (without). `owner_id` NULL is shared with every agent; otherwise it is personal.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    ActivityKind,
    Article,
    CannedResponse,
    Case,
    CaseReason,
    CaseStatus,
    CaseType,
    MacroUse,
    Role,
    User,
    Visibility,
    utcnow,
)
from helpdesk.rules import macros as rules
from helpdesk.rules import priority as priority_rules
from helpdesk.services import ServiceError
from helpdesk.services.cases.casework import clean_text, committed, log_activity, touch
from helpdesk.services.core import audit
from helpdesk.services.mail import canned
from helpdesk.services.mail.links import mail_link
from helpdesk.services.tracker.callers import escape_like

TITLE_MAX = canned.TITLE_MAX
BODY_MAX = canned.BODY_MAX
PICKER_LIMIT = 20
LIST_LIMIT = 200
QUERY_MAX = 100
SUGGESTED_LINKS = 3


# --- who sees and edits what -------------------------------------------------------------


def _visible(agent: User) -> sa.ColumnElement[bool]:
    return sa.or_(CannedResponse.owner_id.is_(None), CannedResponse.owner_id == agent.id)


def can_edit(actor: User, macro: CannedResponse) -> bool:
    """Agents edit their own personal macros; administrators edit shared ones too."""
    if macro.owner_id is None:
        return actor.role == Role.ADMIN
    return macro.owner_id == actor.id


def usable_macro(agent: User, macro_id: object) -> CannedResponse:
    """The active macro `agent` may use: shared, or their own. Anything else is refused."""
    macro = (
        db.session.get(CannedResponse, macro_id)
        if isinstance(macro_id, int) and 0 < macro_id < 2**31
        else None
    )
    if macro is None or not macro.active or macro.owner_id not in (None, agent.id):
        raise ServiceError(
            "That macro is not one of yours or the team's; pick another.", field="macro_id"
        )
    return macro


def search(agent: User, query: str = "", limit: int = PICKER_LIMIT) -> list[CannedResponse]:
    """Active macros `agent` may use whose name or text contains `query`, most used first."""
    statement = sa.select(CannedResponse).where(CannedResponse.active, _visible(agent))
    words = (query or "").strip()[:QUERY_MAX].split()
    for word in words[:5]:
        pattern = f"%{escape_like(word)}%"
        statement = statement.where(
            sa.or_(
                CannedResponse.title.ilike(pattern, escape="\\"),
                CannedResponse.body.ilike(pattern, escape="\\"),
            )
        )
    return list(
        db.session.scalars(
            statement.order_by(
                CannedResponse.use_count.desc(), CannedResponse.title, CannedResponse.id
            ).limit(limit)
        )
    )


def listed(agent: User) -> tuple[list[CannedResponse], list[CannedResponse]]:
    """The management page: the agent's personal macros, then the shared ones, by name."""
    rows = db.session.scalars(
        sa.select(CannedResponse)
        .where(_visible(agent))
        .order_by(CannedResponse.title, CannedResponse.id)
        .limit(LIST_LIMIT)
    ).all()
    return [m for m in rows if m.owner_id is not None], [m for m in rows if m.owner_id is None]


def snippet(body: str, limit: int = 120) -> str:
    """The start of a macro's text for lists, past a greeting line ("Hello {customer_name},")."""
    lines = [line.strip() for line in (body or "").splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith(","):
        lines = lines[1:]
    text = " ".join(lines)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- rendering for a case ----------------------------------------------------------------


def _public_article(slug: str | None) -> Article | None:
    if not slug:
        return None
    return db.session.scalar(
        sa.select(Article).where(Article.slug == slug, Article.visibility == Visibility.PUBLIC)
    )


def _suggested_links(case: Case) -> str:
    from helpdesk.services.helpcentre import (
        kb,  # imported here: kb builds on casework like this module
    )

    articles = kb.suggest_articles(f"{case.subject} {case.body}"[:2000], limit=SUGGESTED_LINKS)
    if not articles:  # as the phone procedure does: point to where every answer starts
        return f"- Help centre: {mail_link('helpcentre.home')}"
    return "\n".join(f"- {a.title}: {kb.article_url(a.slug)}" for a in articles)


def case_values(case: Case, agent: User) -> dict[str, str]:
    """The variables for a reply on `case` by `agent` (empty ones are left out, so they stay
    visible in the text and are reported)."""
    customer = case.requester.name if case.requester else ""
    values = {
        "customer_name": customer or "customer",
        "case_number": str(case.number),
        "agent_name": agent.name,
        "organisation": case.organisation.name if case.organisation else "",
        "article_links": _suggested_links(case),
    }
    return {name: value for name, value in values.items() if value}


@dataclass(frozen=True)
class Entry:
    """One macro in the picker: the text it inserts and what sending with it also does."""

    macro: CannedResponse
    text: str
    unknown: tuple[str, ...]
    effects: list[str]
    status: str | None  # the status it sets, to preselect beside "Send"

    @property
    def snippet(self) -> str:
        """The start of the text, for the list."""
        return snippet(self.text)


def picker(agent: User, case: Case, query: str = "") -> list[Entry]:
    """The macros matching `query`, each rendered for `case`."""
    found = search(agent, query)
    if not found:
        return []
    values = case_values(case, agent)
    slugs = sorted({slug for macro in found for slug in rules.article_slugs(macro.body)})
    links = canned.public_article_links(slugs)
    entries = []
    for macro in found:
        rendered = rules.render(macro.body, values, links)
        actions = rules.read_actions(macro.actions)
        entries.append(
            Entry(macro, rendered.text, rendered.unknown, describe(actions), actions.status)
        )
    return entries


def describe(actions: rules.Actions) -> list[str]:
    """What the actions do, in the agent's words (names looked up; missing ones said so)."""
    effects = []
    if actions.status:
        effects.append(f"status: {rules.STATUSES[actions.status]}")
    if actions.case_type_id:
        case_type = db.session.get(CaseType, actions.case_type_id)
        reason_id = actions.case_reason_id
        reason = db.session.get(CaseReason, reason_id) if reason_id else None
        names = " / ".join(x.name for x in (case_type, reason) if x) or "a removed type"
        effects.append(f"type: {names}")
    if actions.priority_factor:
        effects.append(f"priority: {priority_rules.BY_CODE[actions.priority_factor].label}")
    if actions.assignee_id:
        assignee = db.session.get(User, actions.assignee_id)
        effects.append(f"assign to {assignee.name if assignee else 'a removed user'}")
    if actions.article_slug:
        article = _public_article(actions.article_slug)
        effects.append(f"link: {article.title if article else actions.article_slug}")
    return effects


# --- sending with a macro ----------------------------------------------------------------


def link_article(macro: CannedResponse, body: str) -> tuple[str, str | None]:
    """The reply with the macro's help-article link appended (once), and the article's title
    when the link was added."""
    article = _public_article(rules.read_actions(macro.actions).article_slug)
    if article is None:
        return body, None
    from helpdesk.services.helpcentre import (
        kb,  # imported here: kb builds on casework like this module
    )

    link = kb.article_url(article.slug)
    if link in body:
        return body, None
    return rules.with_link(body, article.title, link), article.title


def _facts(case: Case) -> rules.CaseFacts:
    return rules.CaseFacts(
        status=str(case.status),
        case_type_id=case.case_type_id,
        case_reason_id=case.case_reason_id,
        priority_factors=tuple(c for c in case.priority_factors or [] if isinstance(c, str)),
        assignee_id=case.assignee_id,
    )


def apply(
    agent: User,
    case: Case,
    macro: CannedResponse,
    now: datetime,
    linked: str | None = None,
    *,
    keep_status: bool = False,
) -> list[str]:
    """Apply the macro's actions to `case` after the reply is written, count the use and log
    it on the timeline; no commit (the reply's transaction). Returns what changed.

    `keep_status`: the agent chose a status beside "Send", which wins over the macro's.
    """
    actions = rules.read_actions(macro.actions)
    if keep_status:
        actions = dataclasses.replace(actions, status=None)
    steps = rules.plan(actions, _facts(case), "", None)
    done = [_apply_step(agent, case, macro, step, now) for step in steps]
    if linked:
        done.append(f"linked “{linked}”")
    macro.use_count = CannedResponse.use_count + 1
    macro.last_used_at = now
    db.session.add(MacroUse(macro_id=macro.id, user_id=agent.id, case_id=case.id, created_at=now))
    summary = f"Macro “{macro.title}” used" + (f": {', '.join(done)}" if done else "")
    log_activity(case, agent, ActivityKind.ACTION, summary, now)
    touch(case, now)
    return done


def _apply_step(agent: User, case: Case, macro: CannedResponse, step: rules.Step, now) -> str:
    if step.kind == "status":
        return _set_status(agent, case, str(step.value), now)
    if step.kind == "classify":
        return _classify(case, *step.value)
    if step.kind == "priority_factor":
        return _add_factor(agent, case, str(step.value), now)
    if step.kind == "assignee":
        return _assign(agent, case, int(step.value), now)
    raise ValueError(step.kind)  # "article" is applied to the body before it is written


def _set_status(agent: User, case: Case, status: str, now) -> str:
    from helpdesk.services.tracker import tracker  # imported here: tracker sends with macros

    # The same change, and the same timeline words, as the status chosen beside "Send".
    tracker._set_status_after_send(agent, case, CaseStatus(status), now, answered=False)
    return f"status {rules.STATUSES[status]}"


def _refused(what: str) -> ServiceError:
    return ServiceError(
        f"This macro {what}; ask whoever manages the macro to update it.", field="macro_id"
    )


def _classify(case: Case, case_type_id: int, reason_id: int | None) -> str:
    case_type = db.session.get(CaseType, case_type_id)
    if case_type is None or not case_type.active:
        raise _refused("sets a case type that is no longer in the list")
    reason = db.session.get(CaseReason, reason_id) if reason_id else None
    if reason_id and (reason is None or reason.case_type_id not in (None, case_type_id)):
        raise _refused("sets a reason that does not belong to its case type")
    case.case_type_id, case.case_reason_id = case_type_id, reason_id
    return "type " + " / ".join(x.name for x in (case_type, reason) if x)


def _add_factor(agent: User, case: Case, code: str, now) -> str:
    from helpdesk.services.tracker import priority  # imported here: priority builds on casework too

    factors = [*(case.priority_factors or []), code]
    previous = case.priority_score
    case.priority_factors = priority_rules.from_counts(priority_rules.counts(factors))
    case.priority_score = priority_rules.score(case.priority_factors, priority.weights())
    label = priority_rules.BY_CODE[code].label
    log_activity(
        case,
        agent,
        ActivityKind.PRIORITY,
        f"Priority factor added: {label} = {case.priority_score} (was {previous})",
        now,
    )
    return f"priority factor {label}"


def _assign(agent: User, case: Case, assignee_id: int, now) -> str:
    from helpdesk.services.tracker import tracker  # imported here: tracker sends with macros

    try:
        assignee = tracker._check_assignee(assignee_id)
    except ServiceError:
        raise _refused("assigns to someone who is no longer an active agent") from None
    tracker._set_assignee(agent, case, assignee, now)
    return f"assigned to {assignee.name}"


def count_use(macro: CannedResponse, user: User | None, case: Case | None, now) -> None:
    """Count a use without a reply (the phone procedure's system e-mails); no commit."""
    macro.use_count = CannedResponse.use_count + 1
    macro.last_used_at = now
    db.session.add(
        MacroUse(
            macro_id=macro.id,
            user_id=user.id if user else None,
            case_id=case.id if case else None,
            created_at=now,
        )
    )


# --- management --------------------------------------------------------------------------


@dataclass(frozen=True)
class MacroInput:
    """What the management form gives."""

    title: str
    body: str
    actions: rules.Actions
    active: bool = True


def _checked(fields: MacroInput, system_email: bool) -> MacroInput:
    title = clean_text(fields.title, field="title", label="a name", limit=TITLE_MAX)
    body = clean_text(fields.body, field="body", label="the text", limit=BODY_MAX)
    if system_email:  # it is also mailed by the phone procedure: its own placeholders only
        canned.check_template("x", body)
    else:
        unknown = rules.unknown_placeholders(body)
        if unknown:
            known = ", ".join(f"{{{name}}}" for name in rules.VARIABLES)
            raise ServiceError(
                f"Unknown placeholder {', '.join(unknown)}. Use {known} or "
                "{article:<slug>} of a public help article.",
                field="body",
            )
    _check_actions(fields.actions)
    return MacroInput(title, body, fields.actions, bool(fields.active))


def _check_actions(actions: rules.Actions) -> None:
    if actions.case_reason_id and not actions.case_type_id:
        raise ServiceError("Choose the case type of the reason.", field="case_type_id")
    if actions.case_type_id:
        case_type = db.session.get(CaseType, actions.case_type_id)
        if case_type is None or not case_type.active:
            raise ServiceError("Choose a case type from the list.", field="case_type_id")
    if actions.case_reason_id:
        reason = db.session.get(CaseReason, actions.case_reason_id)
        if reason is None or reason.case_type_id not in (None, actions.case_type_id):
            raise ServiceError("Choose a reason that belongs to the type.", field="case_reason_id")
    if actions.assignee_id:
        assignee = db.session.get(User, actions.assignee_id)
        if assignee is None or not assignee.is_staff or not assignee.active:
            raise ServiceError("Choose an active agent.", field="assignee_id")
    if actions.article_slug and _public_article(actions.article_slug) is None:
        raise ServiceError(
            f"There is no public help article “{actions.article_slug}”.", field="article_slug"
        )


def create_macro(
    actor: User, fields: MacroInput, *, shared: bool, ip_address: str | None = None
) -> CannedResponse:
    """A new personal macro, or a shared one (administrators only); audit; commit."""
    if shared and actor.role != Role.ADMIN:
        raise ServiceError("Only administrators share macros with the team.")
    fields = _checked(fields, system_email=False)

    def write(files: list[Path]) -> CannedResponse:
        macro = CannedResponse(
            title=fields.title,
            subject="",
            body=fields.body,
            actions=fields.actions.as_stored(),
            active=fields.active,
            owner_id=None if shared else actor.id,
        )
        db.session.add(macro)
        db.session.flush()
        audit.record("macro.create", actor=actor, obj=macro, ip_address=ip_address, shared=shared)
        return macro

    return committed(write)


def update_macro(
    actor: User, macro: CannedResponse, fields: MacroInput, *, ip_address: str | None = None
) -> CannedResponse:
    """Save an edit of a macro the actor may edit; audit which parts changed; commit."""
    if not can_edit(actor, macro):
        raise ServiceError("You cannot change this macro.")
    fields = _checked(fields, system_email=macro.is_system_email)
    new = {
        "title": fields.title,
        "body": fields.body,
        "actions": fields.actions.as_stored(),
        "active": fields.active,
    }
    changed = sorted(name for name, value in new.items() if getattr(macro, name) != value)

    def write(files: list[Path]) -> CannedResponse:
        if not changed:
            return macro
        for name, value in new.items():
            setattr(macro, name, value)
        macro.updated_at = utcnow()
        audit.record("macro.update", actor=actor, obj=macro, ip_address=ip_address, changed=changed)
        return macro

    return committed(write)


def delete_macro(actor: User, macro: CannedResponse, *, ip_address: str | None = None) -> None:
    """Delete a saved reply the actor may edit (system e-mails are deactivated instead); audit;
    commit."""
    if not can_edit(actor, macro):
        raise ServiceError("You cannot delete this macro.")
    if macro.is_system_email:
        raise ServiceError(
            "The phone procedure sends this e-mail; make it inactive instead of deleting it."
        )

    def write(files: list[Path]) -> None:
        audit.record(
            "macro.delete", actor=actor, obj=macro, ip_address=ip_address, title=macro.title
        )
        db.session.delete(macro)

    committed(write)


# --- report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """One row of the report's Macros table."""

    title: str
    uses: int
    last_used_at: datetime | None


def usage(start: datetime, end: datetime, limit: int = 50) -> list[Usage]:
    """Macros used between `start` and `end` (naive UTC), most used first."""
    rows = db.session.execute(
        sa.select(
            CannedResponse.title,
            sa.func.count(MacroUse.id).label("uses"),
            sa.func.max(MacroUse.created_at).label("last"),
        )
        .join(MacroUse, MacroUse.macro_id == CannedResponse.id)
        .where(MacroUse.created_at >= start, MacroUse.created_at < end)
        .group_by(CannedResponse.id, CannedResponse.title)
        .order_by(sa.desc("uses"), CannedResponse.title)
        .limit(limit)
    ).all()
    return [Usage(title, uses, last) for title, uses, last in rows]
