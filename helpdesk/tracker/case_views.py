"""The agent's case page: thread with notes, composer, assignment, classification, priority,
calls, pick-list actions and the activity timeline (seeds 001, 002, 003)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from helpdesk.extensions import db
from helpdesk.models import (
    Activity,
    Attachment,
    Case,
    CaseAction,
    CaseLink,
    CaseReason,
    CaseType,
    Message,
    MessageKind,
    TimeKind,
    utcnow,
)
from helpdesk.rules.folders import CaseClock, folder_of
from helpdesk.rules.send_status import AfterSend
from helpdesk.rules.tier_fit import can_take
from helpdesk.services import ServiceError
from helpdesk.services.cases import attachments, cases, feedback, time_tracking
from helpdesk.services.fraud import fraud_flags
from helpdesk.services.helpcentre import kb
from helpdesk.services.mail import inbound
from helpdesk.services.tracker import notifications, tracker
from helpdesk.services.tracker.folders import TITLES
from helpdesk.tracker import cc_views  # noqa: F401  (a case's CC routes)
from helpdesk.tracker.billing_case import billing_case_context, composer_form_class
from helpdesk.tracker.blueprint import CASE_READERS, STAFF, bp
from helpdesk.tracker.case_eligibility import eligibility_context
from helpdesk.tracker.case_routing import case_routing_context
from helpdesk.tracker.common import folder_settings, sidebar_context, staff_members
from helpdesk.tracker.contact_views import case_contacts_context
from helpdesk.tracker.forms import (
    AcceptForm,
    ActionForm,
    AssignForm,
    CallForm,
    ClassifyForm,
    CloneDepartmentForm,
    CloneOrdersForm,
    CloseForm,
    EscalateForm,
    MessageForm,
    PlainForm,
    PriorityForm,
    SendBackForm,
    SubcaseForm,
    Tier2Form,
)
from helpdesk.tracker.intake_views import intake_context
from helpdesk.tracker.macro_views import posted_macro_id
from helpdesk.tracker.merge_views import merge_context
from helpdesk.tracker.tag_views import case_tags_context
from helpdesk.tracker.time_views import case_time_context, log_time
from helpdesk.web.access import LARGEST_CASE_NUMBER, get_attachment_or_404, get_case_or_404
from helpdesk.web.cc_views import cc_context
from helpdesk.web.files import request_uploads, send_attachment
from helpdesk.web.forms import show_service_error
from helpdesk.web.guards import role_required
from helpdesk.web.htmx import is_htmx_request
from helpdesk.web.params import arg_int

SUGGESTION_TEXT_MAX = 2000


def _forms(case, **given) -> dict:
    """Every form of the case page, with their choices; `given` ones keep their errors."""
    forms = {
        "message_form": composer_form_class(current_user)(),
        "assign_form": AssignForm(assignee_id=case.assignee_id),
        "priority_form": PriorityForm(priority_score=case.priority_score),
        "classify_form": ClassifyForm(
            case_type_id=case.case_type_id, case_reason_id=case.case_reason_id
        ),
        "call_form": CallForm(),
        "action_form": ActionForm(),
        "close_form": CloseForm(),
        "plain_form": PlainForm(),
        "escalate_form": EscalateForm(),
        "send_back_form": SendBackForm(),
        "tier2_form": Tier2Form(
            estimate_minutes=case.estimate_minutes,
            kind=case.tier2_kind or "",
            criticality=case.criticality or "",
            note=case.tier2_note,
        ),
        "subcase_form": SubcaseForm(),
        "clone_department_form": CloneDepartmentForm(),
        "clone_orders_form": CloneOrdersForm(),
        **given,
    }
    forms["clone_department_form"].assignee_id.choices = [
        SelectChoice(str(u.id), u.name) for u in staff_members()
    ]
    forms["assign_form"].assignee_id.choices = [SelectChoice("", "Support queue (unassigned)")] + [
        SelectChoice(
            str(u.id),
            f"{u.name} ({u.role}{f', tier {u.tier}' if u.tier else ''}, "
            f"{(u.agent_status or 'available').replace('_', ' ')})"
            + ("" if can_take(u.tier, case.tier) else f" - below tier {case.tier}"),
        )
        for u in staff_members()
    ]
    types = db.session.scalars(
        sa.select(CaseType).where(CaseType.active).order_by(CaseType.position)
    ).all()
    forms["classify_form"].case_type_id.choices = [SelectChoice("", "-")] + [
        SelectChoice(str(t.id), t.name) for t in types
    ]
    reasons = db.session.scalars(
        sa.select(CaseReason).where(CaseReason.active).order_by(CaseReason.position)
    ).all()
    forms["classify_form"].case_reason_id.choices = [SelectChoice("", "-")] + [
        SelectChoice(str(r.id), r.name) for r in reasons
    ]
    actions = db.session.scalars(
        sa.select(CaseAction).where(CaseAction.active).order_by(CaseAction.position)
    ).all()
    forms["action_form"].action_id.choices = [SelectChoice(str(a.id), a.name) for a in actions]
    return forms


def _page(case, status: int = 200, **given):
    activities = db.session.scalars(
        sa.select(Activity)
        .options(selectinload(Activity.actor))
        .where(Activity.case_id == case.id)
        .order_by(Activity.created_at.desc(), Activity.id)
        .limit(100)
    ).all()
    links = db.session.execute(
        sa.select(CaseLink.kind, CaseLink.case_id, CaseLink.linked_case_id).where(
            sa.or_(CaseLink.case_id == case.id, CaseLink.linked_case_id == case.id)
        )
    ).all()
    folder = folder_of(
        CaseClock(
            case.status,
            case.assignee_id,
            case.awaiting_agent_since,
            case.last_agent_reply_at,
            case.customer_viewed_at,
        ),
        utcnow(),
        folder_settings(),
    )
    return render_template(
        "tracker/case.html",
        **_thread_data(case),
        activities=activities,
        linked=_linked_numbers(case, links),
        folder_title=TITLES[folder],
        **eligibility_context(case, utcnow().date()),
        **_article_suggestions(
            case, given["message_form"].body.data if "message_form" in given else None
        ),
        **_forms(case, **given),
        **case_routing_context(case, current_user, given),
        **intake_context(case, given),
        **case_contacts_context(case, given),
        **case_tags_context(case, given),
        **case_time_context(case, given),
        **merge_context(case, given),
        **cc_context(case),
        **_fraud_context(case),
        **sidebar_context(),
        **billing_case_context(case, given.get("billing_failed")),
        solved_answers=feedback.case_answers(case.id),  # "Did this solve it?" answers
        mention_choices=notifications.mention_choices(),
    ), status


def _fraud_context(case) -> dict:
    """The case's fraud flags (issue 15 item 16): rows written when blocks or cases are made."""
    return {"fraud_flags": fraud_flags.flags_for_cases([case.id]).get(case.id, [])}


def _article_suggestions(case, typed: str | None) -> dict:
    """Public help articles for the case, or for the reply being typed (issue 7): each with
    the absolute link "Insert link" puts into the reply."""
    text = f"{case.subject} {typed}" if (typed or "").strip() else f"{case.subject} {case.body}"
    articles = kb.suggest_articles(text[:SUGGESTION_TEXT_MAX])
    return {"suggested_articles": [(article, kb.article_url(article.slug)) for article in articles]}


@bp.route("/cases/<int:number>/articles")
@role_required(*CASE_READERS)
def case_article_suggestions(number: int):
    """The composer's help-article panel for what the agent is typing (htmx, debounced)."""
    case = _case(number)
    if not is_htmx_request():
        return redirect(url_for("tracker.case_view", number=number))
    context = _article_suggestions(case, request.args.get("body", ""))
    return render_template("tracker/_article_suggestions.html", case=case, **context)


def _linked_numbers(case, links) -> list[tuple[str, int]]:
    other_ids = {b if a == case.id else a for _, a, b in links}
    numbers = (
        dict(
            db.session.execute(sa.select(Case.id, Case.number).where(Case.id.in_(other_ids))).all()
        )
        if other_ids
        else {}
    )
    related = [(kind.value, numbers[b if a == case.id else a]) for kind, a, b in links]
    for label, other_id in (("parent", case.parent_id), ("cloned from", case.cloned_from_id)):
        if other_id:
            related.append((label, db.session.get(Case, other_id).number))
    return related


def _case(number: int):
    return get_case_or_404(number, current_user)


@bp.route("/cases/<int:number>")
@role_required(*CASE_READERS)
def case_view(number: int):
    """The case; opening a New case assigned to me moves it to Open."""
    case = _case(number)
    tracker.open_as_assignee(current_user, case)
    notifications.mark_case_read(current_user, case)
    return _page(case)


@bp.route("/cases/<int:number>/thread")
@role_required(*CASE_READERS)
def case_thread(number: int):
    """Live thread poll: 204 while the case version is unchanged."""
    case = _case(number)
    if arg_int("v", low=0) == case.version:
        return "", 204
    if not is_htmx_request():
        return redirect(url_for("tracker.case_view", number=number))
    return render_template("tracker/_thread.html", **_thread_data(case))


def _thread_data(case) -> dict:
    """The whole thread, notes included, with each message's files."""
    messages = db.session.scalars(
        sa.select(Message)
        .options(selectinload(Message.author))
        .where(Message.case_id == case.id)
        .order_by(Message.created_at, Message.id)
    ).all()
    files: dict[int | None, list[Attachment]] = {}
    for attachment in db.session.scalars(
        sa.select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)
    ):
        files.setdefault(attachment.message_id, []).append(attachment)
    can_split = current_user.role in STAFF and case.merged_into_id is None
    return {"case": case, "messages": messages, "attachments": files, "can_split": can_split}


def act(number: int, form_name: str, form, action: Callable, success: str | None):
    """Validate `form`, run `action(case, form)`; on success redirect, else show the errors."""
    case = _case(number)
    if form.validate_on_submit():
        try:
            action(case, form)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            if success:
                flash(success, "success")
            return redirect(url_for("tracker.case_view", number=number))
    return _page(case, 422, **{form_name: form})


@bp.route("/cases/<int:number>/messages", methods=["POST"])
@role_required(*CASE_READERS)
def case_message(number: int):
    """Send a public reply (mailed) or a private note, with the status chosen beside "Send"."""
    form = composer_form_class(current_user)()

    def send(case, form):
        minutes = time_tracking.parsed_minutes(form.time_spent.data)  # before anything is sent
        tracker.agent_message(
            agent=current_user,
            case=case,
            body=form.body.data,
            kind=MessageKind(form.kind.data),
            uploads=request_uploads(),
            policy=attachments.current_policy(),
            then=AfterSend(form.then.data or ""),
            # Macros change status and assignment: agent work, so not from a notes-only composer.
            macro_id=posted_macro_id() if form.__class__ is MessageForm else None,
        )
        if minutes:
            kind = TimeKind.REPLY if form.kind.data == "reply" else TimeKind.NOTE
            log_time(case, minutes, kind)

    return act(number, "message_form", form, send, _sent_flash(form.kind.data, form.then.data))


SENT_STATUS = {
    AfterSend.WAIT.value: " The case waits for the customer.",
    AfterSend.KEEP_OPEN.value: " The case stays open.",
    AfterSend.CLOSE.value: " The case is closed.",
}


def _sent_flash(kind: str | None, then: str | None) -> str:
    """What the agent is told after "Send": the message, then any status they chose."""
    sent = "Reply sent to the customer." if kind == "reply" else "Note added."
    return sent + SENT_STATUS.get(then or "", "")


@bp.route("/cases/<int:number>/assign", methods=["POST"])
@role_required(*STAFF)
def case_assign(number: int):
    """Assign or reassign, optionally with a hand-over note (seed 003 transfer of ownership)."""
    form = AssignForm()
    form.assignee_id.choices = [SelectChoice("", "")] + [
        SelectChoice(str(u.id), u.name) for u in staff_members()
    ]
    return act(
        number,
        "assign_form",
        form,
        lambda case, f: tracker.assign(
            current_user,
            case,
            f.assignee_id.data,
            f.note.data or "",
            override_reason=f.override_reason.data,
        ),
        "Assignment saved.",
    )


@bp.route("/cases/<int:number>/accept", methods=["POST"])
@role_required(*STAFF)
def case_accept(number: int):
    """Take a case from the support queue into my queue."""
    return act(
        number,
        "accept_form",
        AcceptForm(),
        lambda case, f: tracker.accept(current_user, case, override_reason=f.override_reason.data),
        "The case is yours.",
    )


@bp.route("/cases/<int:number>/priority", methods=["POST"])
@role_required(*STAFF)
def case_priority(number: int):
    """Set the priority score."""
    return act(
        number,
        "priority_form",
        PriorityForm(),
        lambda case, f: tracker.set_priority(current_user, case, f.priority_score.data),
        "Priority saved.",
    )


@bp.route("/cases/<int:number>/classify", methods=["POST"])
@role_required(*STAFF)
def case_classify(number: int):
    """Set the case type and reason; a case nobody holds yet is routed by the rules."""
    form = _forms(_case(number))["classify_form"]

    def classify(case, f):
        queued = case.assignee_id is None
        tracker.classify(current_user, case, f.case_type_id.data, f.case_reason_id.data)
        if not queued:
            flash("Type and reason saved.", "success")
        elif case.assignee is not None:
            flash(f"Type and reason saved. Routed to {case.assignee.name}.", "success")
        else:
            flash("Type and reason saved. It stays in the support queue.", "success")

    return act(number, "classify_form", form, classify, None)


@bp.route("/cases/<int:number>/calls", methods=["POST"])
@role_required(*CASE_READERS)
def case_call(number: int):
    """Log a call with notes and outcome."""

    def log(case, form):
        minutes = time_tracking.parsed_minutes(form.call_minutes.data, field="call_minutes")
        tracker.log_call(current_user, case, form.notes.data, form.outcome.data or "")
        if minutes:
            log_time(case, minutes, TimeKind.CALL)

    return act(number, "call_form", CallForm(), log, "Call logged.")


@bp.route("/cases/<int:number>/actions", methods=["POST"])
@role_required(*STAFF)
def case_action(number: int):
    """Record an action from the pick list."""
    form = _forms(_case(number))["action_form"]
    return act(
        number,
        "action_form",
        form,
        lambda case, f: tracker.record_action(
            current_user, case, f.action_id.data, f.note.data or ""
        ),
        "Action recorded.",
    )


@bp.route("/cases/<int:number>/repost", methods=["POST"])
@role_required(*STAFF)
def case_repost(number: int):
    """Expired 2: mail the answer to the customer again."""
    return act(
        number,
        "plain_form",
        PlainForm(),
        lambda case, f: tracker.repost(current_user, case),
        "The answer was mailed to the customer again.",
    )


@bp.route("/cases/<int:number>/messages/<int:message_id>/accept-sender", methods=["POST"])
@role_required(*STAFF)
def case_accept_sender(number: int, message_id: int):
    """An e-mail held as from an unverified sender becomes the customer's reply (logged)."""
    if not 0 < message_id <= LARGEST_CASE_NUMBER:  # ids are INTEGER: no larger one exists
        abort(404)
    return act(
        number,
        "plain_form",
        PlainForm(),
        lambda case, f: inbound.accept_sender(
            current_user, case, message_id, ip_address=request.remote_addr
        ),
        "Accepted as the customer's reply.",
    )


@bp.route("/cases/<int:number>/close", methods=["POST"])
@role_required(*STAFF)
def case_close(number: int):
    """Close the case, with an optional public comment."""
    return act(
        number,
        "close_form",
        CloseForm(),
        lambda case, f: cases.close_case(
            actor=current_user, case=case, comment=f.comment.data or ""
        ),
        "Case closed.",
    )


@bp.route("/cases/<int:number>/presence", methods=["POST"])
@role_required(*CASE_READERS)
def case_presence(number: int):
    """Heartbeat from an open case page; answers who else is viewing or typing."""
    case = _case(number)
    tracker.heartbeat(current_user, case, typing=request.form.get("typing") == "1")
    return render_template(
        "tracker/_presence_list.html", others=tracker.others_present(case, current_user)
    )


@bp.route("/cases/<int:number>/attachments/<int:attachment_id>")
@role_required(*CASE_READERS)
def attachment_download(number: int, attachment_id: int):
    """Download a file of the case, always as an attachment."""
    case = _case(number)
    attachment = get_attachment_or_404(case, attachment_id, current_user)
    return send_attachment(attachment, attachments.current_policy())
