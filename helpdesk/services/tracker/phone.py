"""Phone support: the system e-mail for a call (seed 000 steps IV-VI), voice-mail intake and
linking the phone case to the e-mail on the same subject (seed 003 preliminary procedures)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.markup import render_markup
from helpdesk.models import (
    Activity,
    ActivityKind,
    Article,
    CannedResponse,
    Case,
    CaseLink,
    CaseStatus,
    Category,
    LinkKind,
    Organisation,
    Origin,
    OutboxMail,
    Role,
    User,
    Visibility,
    utcnow,
)
from helpdesk.rules import priority as priority_rules
from helpdesk.rules.numbers import parse_id
from helpdesk.rules.phone_procedure import (
    ISSUE_LABELS,
    Issue,
    Recommendation,
    recommend,
    shared_words,
)
from helpdesk.rules.subjects import clean_subject
from helpdesk.rules.tier_fit import TOP_TIER, can_take, staff_tier
from helpdesk.rules.tiers import initial_tier
from helpdesk.services import ServiceError
from helpdesk.services.accounts.accounts import normalise_email
from helpdesk.services.cases import cases
from helpdesk.services.cases.casework import clean_text, committed, log_activity, touch
from helpdesk.services.cases.eligibility import record_at_opening
from helpdesk.services.core.counters import next_number
from helpdesk.services.fraud import fraud_flags
from helpdesk.services.mail import outbox
from helpdesk.services.mail.canned import render as render_canned
from helpdesk.services.mail.links import mail_link
from helpdesk.services.tracker import callers, macros, sla, tracker
from helpdesk.services.tracker.callers import Account, Person

PRIORITY_RANGE = range(-50, 101)
ESTIMATE_MAX_MINUTES = 100_000
PHONE_MAX = 40
VERSION_MAX = 40
OS_MAX = 80
SUGGESTION_SCAN = 50  # recent open e-mail cases of the organisation compared by subject
NEW_CASE_PREVIEW = "(given when sent)"
# How a case an agent opens by hand may have reached us (issue 12): a voice mail, an e-mail a
# customer sent to one of us, or one we open ourselves. Web cases come from the portal only.
HAND_ORIGINS = (Origin.PHONE, Origin.EMAIL, Origin.GENERATED)
RECEIVED_MAX_AGE = timedelta(days=90)  # older than this is a typing mistake, not a message
CLOCK_SLACK = timedelta(minutes=5)  # a phone's clock a little ahead of ours is not "future"
# Factors only the agent can tell from the message; the others are detected from the case.
TICKABLE_FACTORS = tuple(f.code for f in priority_rules.FACTORS if not f.detected)

# Help articles each system e-mail points to ({article_links}), by slug.
ARTICLES_FOR: dict[str, tuple[str, ...]] = {
    "faq-request-key": ("request-licence-key",),
    "faq-open-case": ("open-support-case",),
    "faq-hosting-ticket": ("open-support-case",),
    "faq-report-bug": ("open-support-case",),
    "faq-support-resources": ("install-checklist", "open-support-case"),
}


@dataclass(frozen=True)
class SystemEmail:
    """A system e-mail with its variables filled in, ready to show or queue."""

    key: str
    title: str
    subject: str
    body: str
    customers_only: bool


@dataclass(frozen=True)
class Sent:
    """What `send_system_email` did."""

    case: Case
    mail: OutboxMail
    new_case: bool


def recommendation_for(account: Account, issue: Issue, *, persistent: bool) -> Recommendation:
    """Seed 000's answer to this account's call about `issue`."""
    return recommend(
        issue,
        account.eligibility.level,
        persistent=persistent,
        is_customer=account.is_customer,
    )


def canned_response(key: str) -> CannedResponse | None:
    """The active system e-mail with this key."""
    return db.session.scalar(
        sa.select(CannedResponse).where(CannedResponse.key == key, CannedResponse.active)
    )


def _article_links(key: str) -> str:
    slugs = ARTICLES_FOR.get(key, ())
    articles = (
        db.session.scalars(
            sa.select(Article)
            .where(Article.slug.in_(slugs), Article.visibility == Visibility.PUBLIC)
            .order_by(Article.title)
        ).all()
        if slugs
        else []
    )
    if not articles:
        return f"- Support portal: {mail_link('portal.case_list')}"
    return "\n".join(
        f"- {a.title}: {mail_link('portal.article_show', article_id=a.id)}" for a in articles
    )


def mail_variables(*, key: str, recipient_name: str, case_number: str, agent: User) -> dict:
    """The only variables a system e-mail may use."""
    return {
        "customer_name": recipient_name or "customer",
        "case_number": case_number,
        "agent_name": agent.name,
        "article_links": _article_links(key),
    }


def render_system_email(response: CannedResponse, variables: dict) -> SystemEmail:
    """Fill the variables into the subject and body (helpdesk.rules.canned: known names and
    article links only, the subject kept on one line); unknown braces stay as written."""
    rendered = render_canned(response.subject, response.body, variables)
    return SystemEmail(
        key=response.key,
        title=response.title,
        subject=rendered.subject,
        body=rendered.body,
        customers_only=response.customers_only,
    )


def preview(
    key: str, *, agent: User, recipient_name: str, case: Case | None = None
) -> SystemEmail | None:
    """The system e-mail as it would be sent (a new case's number is not known yet)."""
    canned = canned_response(key)
    if canned is None:
        return None
    number = str(case.number) if case is not None else NEW_CASE_PREVIEW
    return render_system_email(
        canned,
        mail_variables(key=key, recipient_name=recipient_name, case_number=number, agent=agent),
    )


def _recipient(organisation: Organisation, email: str) -> Person:
    wanted = (email or "").strip().lower()
    for person in callers.people(organisation.id):
        if person.email and person.email.lower() == wanted and not person.former:
            return person
    raise ServiceError(
        "Choose a current contact of this account to receive the e-mail.", field="recipient"
    )


def send_system_email(
    agent: User,
    organisation: Organisation,
    recipient_email: str,
    recipient_name: str,
    canned_key: str,
    case: Case | None = None,
    *,
    issue: Issue | str = Issue.OTHER,
) -> Sent:
    """Queue a system e-mail to a caller and log it on `case`, or on a new phone case; commit.

    Without a case, the call itself becomes one: origin phone, "Phone call: <issue>",
    assigned to the agent and already answered (the e-mail is the answer). Routing is not
    run for it: the agent who took the call has handled it.
    """
    issue = Issue(issue)
    canned = canned_response(canned_key)
    if canned is None:
        raise ServiceError("There is no such system e-mail.", field="canned_key")
    person = _recipient(organisation, recipient_email)
    if canned.customers_only and not callers.is_customer(organisation.id):
        raise ServiceError(
            f"“{canned.title}” is for customers only, and this account has not purchased.",
            field="canned_key",
        )
    if case is not None:
        if case.organisation_id != organisation.id:
            raise ServiceError("That case belongs to another customer.", field="case")
        if case.status == CaseStatus.CLOSED:
            raise ServiceError(
                f"Case #{case.number} is closed; log the call on a new case instead.", field="case"
            )
    name = (recipient_name or "").strip() or person.name
    recipient_user = db.session.get(User, person.user_id) if person.user_id else None

    def write(files: list[Path]) -> Sent:
        now = utcnow()
        target = case or _call_case(agent, organisation, person, issue, canned, now)
        email = render_system_email(
            canned,
            mail_variables(
                key=canned.key, recipient_name=name, case_number=str(target.number), agent=agent
            ),
        )
        mail = outbox.queue_mail(
            to_address=person.email,
            to_name=name,
            subject=email.subject,
            template="canned",
            case=target,
            user=recipient_user,
            template_key=canned.key,
            body=email.body,
            agent=agent,  # who answered, for "Did this solve it?"
        )
        log_activity(
            target,
            agent,
            ActivityKind.MAIL,
            f"Sent system e-mail “{canned.title}” to {name} <{person.email}>",
            now,
        )
        macros.count_use(canned, agent, target, now)  # the report counts system e-mails too
        if case is not None:
            touch(target, now)
        return Sent(target, mail, case is None)

    return committed(write)


def _call_case(
    agent: User,
    organisation: Organisation,
    person: Person,
    issue: Issue,
    canned: CannedResponse,
    now: datetime,
) -> Case:
    label = ISSUE_LABELS[issue]
    body = (
        f"Phone call from {person.name} <{person.email}> about: {label}.\n\n"
        f"Answered on the phone with the system e-mail “{canned.title}”."
    )
    case = Case(
        number=next_number("case"),
        subject=f"Phone call: {label}",
        body=body,
        body_html=render_markup(body),
        organisation_id=organisation.id,
        requester_id=person.user_id,
        correspondent_email=person.email,
        origin=Origin.PHONE,
        category=Category(issue.value),
        status=CaseStatus.ANSWERED,
        assignee_id=agent.id,
        assigned_at=now,
        opened_at=now,
        first_response_at=now,
        last_agent_reply_at=now,
        awaiting_agent_since=None,
        created_at=now,
        updated_at=now,
    )
    case.tier = initial_tier(issue.value, record_at_opening(case, now).level)
    db.session.add(case)
    db.session.flush()
    fraud_flags.flag_new_case(case, now)  # answered at once: no triage, but flagged all the same
    db.session.add(
        Activity(
            case_id=case.id,
            actor_id=agent.id,
            kind=ActivityKind.CALL,
            summary=f"Phone call from {person.name}: {label}",
            outcome=f"Sent “{canned.title}”",
            created_at=now,
        )
    )
    return case


# --- Voice mail intake (seed 003, preliminary procedures) -------------------------------


@dataclass(frozen=True)
class Intake:
    """What the agent heard in a voice mail (seed 003 "Preliminary Procedures"), or read in
    an e-mail sent to them, for a case they open by hand."""

    organisation_id: int | None
    title: str  # "something meaningful indicating the topic area"
    synopsis: str  # "a synopsis in the description field"
    issue: Issue = Issue.SUPPORT
    callback_phone: str = ""
    correspondent_email: str = ""  # the patron's primary e-mail address
    estimate_minutes: int | None = None
    assignee_id: int | None = None  # None: support (generic), i.e. the routing rules
    priority_score: int | None = None  # None: what triage gives
    product_version: str = ""
    operating_system: str = ""
    origin: Origin | str = Origin.PHONE
    received_at: datetime | None = None  # naive UTC: when the message was left; None = now
    factors: tuple[str, ...] = ()  # priority factors the agent ticked (TICKABLE_FACTORS)
    override_reason: str | None = None  # why the assignee may have it below the case's tier


def _optional(value: str, limit: int, field: str, label: str) -> str | None:
    value = (value or "").strip()
    if len(value) > limit:
        raise ServiceError(f"Keep {label} under {limit} characters.", field=field)
    return value or None


def _assignee(assignee_id: int | None) -> User | None:
    if assignee_id is None:
        return None
    assignee = db.session.get(User, assignee_id)
    if assignee is None or assignee.role not in (Role.AGENT, Role.ADMIN) or not assignee.active:
        raise ServiceError("Choose an active agent.", field="assignee_id")
    return assignee


def triage(
    case: Case,
    at: datetime,
    assignee: User | None = None,
    actor: User | None = None,
    *,
    override_reason: str | None = None,
):
    """New-case triage for a phone case: the web cases' steps (tier, routing, and whatever
    else `cases._triage` grows), then the agent's chosen assignee wins over routing.

    Once the tier is known, an assignee below it gets the case only with `override_reason`
    (on the timeline and in the audit trail, as when assigning); otherwise a ServiceError on
    `assignee_id`. No commit: the caller rolls everything back on a refusal.
    """
    cases._triage(case, at)
    if assignee is None:
        return
    if not can_take(assignee.tier, case.tier):
        _override(actor, case, assignee, override_reason, at)
    if case.assignee_id != assignee.id:
        case.assignee_id, case.assigned_at = assignee.id, at
        db.session.add(
            Activity(
                case_id=case.id,
                actor_id=actor.id if actor else None,
                kind=ActivityKind.ASSIGNMENT,
                summary=f"Assigned to {assignee.name} at phone intake",
                created_at=at,
            )
        )


def _override(
    actor: User | None, case: Case, assignee: User, reason: str | None, at: datetime
) -> None:
    """Seeds 000/003: a case goes to its tier or higher; below it only with a reason."""
    reason = (reason or "").strip()
    if not reason or actor is None:
        mine = actor is not None and actor.id == assignee.id
        who = "you are" if mine else f"{assignee.name} is"
        higher = " or higher" if case.tier < TOP_TIER else ""
        raise ServiceError(
            f"This case needs tier {case.tier}: {who} tier {staff_tier(assignee.tier)}. "
            f"Choose an agent of tier {case.tier}{higher}, leave it to the routing rules, "
            "or give a reason to give it anyway.",
            field="assignee_id",
        )
    reason = clean_text(
        reason, field="override_reason", label="the reason", limit=tracker.OVERRIDE_REASON_MAX
    )
    tracker.record_override(actor, case, assignee, reason, at)


def _hand_origin(value: Origin | str) -> Origin:
    try:
        origin = Origin(value)
    except ValueError:
        origin = None
    if origin not in HAND_ORIGINS:
        raise ServiceError("Choose how the case reached us.", field="origin")
    return origin


def check_received_at(received_at: datetime | None, now: datetime) -> datetime | None:
    """The time a message was left, refused when in the future or months ago."""
    if received_at is None:
        return None
    if received_at > now + CLOCK_SLACK:
        raise ServiceError(
            "That time is still to come: enter when it was left.", field="received_at"
        )
    if received_at < now - RECEIVED_MAX_AGE:
        raise ServiceError(
            f"Enter a time within the last {RECEIVED_MAX_AGE.days} days.", field="received_at"
        )
    return received_at


def _ticked(factors: tuple[str, ...]) -> list[str]:
    unknown = [code for code in factors if code not in TICKABLE_FACTORS]
    if unknown:
        raise ServiceError(f"Unknown priority factor: {unknown[0]}.", field="factors")
    return priority_rules.from_counts(dict.fromkeys(factors, 1))


OPENED_BY = {
    Origin.PHONE: "Voice mail taken in by {name}",
    Origin.EMAIL: "E-mail case opened by {name}",
    Origin.GENERATED: "Opened by {name}: a case we generated",
}


def open_phone_case(
    agent: User,
    intake: Intake,
    *,
    now: datetime | None = None,
    also: Callable[[Case], None] | None = None,
) -> Case:
    """A case an agent opens by hand, awaiting an agent: numbered, triaged; commit.

    Origin phone (a voice mail, the default), e-mail or generated. The priority factors the
    agent ticked are added to the detected ones, which (like the first-response clock) count
    from `received_at`, when the message was left, if the agent entered it. `also` runs in the
    same transaction once the case exists (the API keeps its idempotency key there).
    """
    origin = _hand_origin(intake.origin)
    received_at = check_received_at(intake.received_at, now or utcnow())
    ticked = _ticked(tuple(intake.factors))
    organisation = (
        db.session.get(Organisation, intake.organisation_id) if intake.organisation_id else None
    )
    if organisation is None:
        raise ServiceError("Find the caller's account first.", field="organisation_id")
    title = clean_text(
        clean_subject(intake.title), field="title", label="a title", limit=cases.SUBJECT_MAX
    )
    synopsis = clean_text(
        intake.synopsis, field="synopsis", label="a synopsis", limit=cases.BODY_MAX
    )
    email = None
    if (intake.correspondent_email or "").strip():
        try:
            email = normalise_email(intake.correspondent_email)
        except ServiceError as error:
            raise ServiceError(error.message, field="correspondent_email") from error
    if origin == Origin.EMAIL and email is None:
        raise ServiceError("Enter the address the e-mail came from.", field="correspondent_email")
    if intake.estimate_minutes is not None and not (
        0 <= intake.estimate_minutes <= ESTIMATE_MAX_MINUTES
    ):
        raise ServiceError(
            f"An estimate is 0 to {ESTIMATE_MAX_MINUTES} minutes.", field="estimate_minutes"
        )
    if intake.priority_score is not None and intake.priority_score not in PRIORITY_RANGE:
        raise ServiceError("Priority must be between -50 and 100.", field="priority_score")
    assignee = _assignee(intake.assignee_id)
    phone = _optional(intake.callback_phone, PHONE_MAX, "callback_phone", "the phone number")
    version = _optional(intake.product_version, VERSION_MAX, "product_version", "the version")
    system = _optional(intake.operating_system, OS_MAX, "operating_system", "the OS")
    requester = (
        db.session.scalar(
            sa.select(User).where(
                User.email == email,
                User.organisation_id == organisation.id,
                User.role == Role.CUSTOMER,
            )
        )
        if email
        else None
    )

    def write(files: list[Path]) -> Case:
        at = now or utcnow()
        case = Case(
            number=next_number("case"),
            subject=title,
            body=synopsis,
            body_html=render_markup(synopsis),
            organisation_id=organisation.id,
            requester_id=requester.id if requester else None,
            correspondent_email=email,
            callback_phone=phone,
            origin=origin,
            category=Category(Issue(intake.issue).value),
            status=CaseStatus.NEW,
            created_at=at,
            updated_at=at,
            awaiting_agent_since=at,
            estimate_minutes=intake.estimate_minutes,
            product_version=version,
            operating_system=system,
            received_at=received_at,
            priority_factors=ticked,
        )
        db.session.add(case)
        db.session.flush()
        log_activity(
            case, agent, ActivityKind.STATUS, OPENED_BY[origin].format(name=agent.name), at
        )
        triage(case, at, assignee, agent, override_reason=intake.override_reason)
        if received_at is not None:
            # Seed 003: call back "within 4 hours of receiving a voice mail", not of typing it in.
            sla.apply_first_response_due(case, received_at)
        if intake.priority_score is not None and intake.priority_score != case.priority_score:
            log_activity(
                case,
                agent,
                ActivityKind.PRIORITY,
                f"Priority {case.priority_score} -> {intake.priority_score} at intake",
                at,
            )
            case.priority_score = intake.priority_score
        if also is not None:
            also(case)
        return case

    return committed(write)


def link_suggestions(case: Case) -> list[tuple[int, str, frozenset[str]]]:
    """Open e-mail cases of the same organisation whose subject shares words with this one:
    (number, subject, shared words), most shared first (seed 003: link the e-mail case)."""
    candidates = db.session.execute(
        sa.select(Case.number, Case.subject)
        .where(
            Case.organisation_id == case.organisation_id,
            Case.origin == Origin.EMAIL,
            Case.status != CaseStatus.CLOSED,
            Case.id != case.id,
        )
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(SUGGESTION_SCAN)
    ).all()
    linked = _linked_ids(case.id)
    scored = [
        (number, subject, words)
        for number, subject in candidates
        if (words := shared_words(case.subject, subject))
    ]
    if linked:
        numbers = set(db.session.scalars(sa.select(Case.number).where(Case.id.in_(linked))))
        scored = [s for s in scored if s[0] not in numbers]
    scored.sort(key=lambda s: (-len(s[2]), -s[0]))
    return scored[:5]


def _linked_ids(case_id: int) -> set[int]:
    rows = db.session.execute(
        sa.select(CaseLink.case_id, CaseLink.linked_case_id).where(
            sa.or_(CaseLink.case_id == case_id, CaseLink.linked_case_id == case_id)
        )
    ).all()
    return {b if a == case_id else a for a, b in rows}


def link_cases(actor: User, case: Case, other_number: int | str | None) -> CaseLink:
    """Link two cases of the same customer as related, e.g. a phone case and its e-mail;
    commit."""
    text = str(other_number or "").strip().lstrip("#")
    if (number := parse_id(text)) is None:
        raise ServiceError("Enter the number of the case to link.", field="other_number")
    other = db.session.scalar(sa.select(Case).where(Case.number == number))
    if other is None:
        raise ServiceError(f"There is no case #{text}.", field="other_number")
    if other.id == case.id:
        raise ServiceError("A case cannot be linked to itself.", field="other_number")
    if other.organisation_id != case.organisation_id:
        raise ServiceError(
            f"Case #{other.number} belongs to another customer; link only cases of the same "
            "customer.",
            field="other_number",
        )
    if other.id in _linked_ids(case.id):
        raise ServiceError(f"Case #{other.number} is already linked.", field="other_number")

    def write(files: list[Path]) -> CaseLink:
        now = utcnow()
        link = CaseLink(
            case_id=case.id, linked_case_id=other.id, kind=LinkKind.RELATED, created_by_id=actor.id
        )
        db.session.add(link)
        log_activity(case, actor, ActivityKind.LINK, f"Linked to #{other.number}", now)
        log_activity(other, actor, ActivityKind.LINK, f"Linked to #{case.number}", now)
        touch(case, now)
        touch(other, now)
        return link

    return committed(write)
