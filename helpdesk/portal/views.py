"""The customer portal: open cases against an order, follow and answer the thread (seed 000)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from helpdesk.extensions import db
from helpdesk.models import (
    Attachment,
    Case,
    CaseStatus,
    Category,
    Message,
    MessageKind,
    Order,
    OrderKind,
    OrderStatus,
    Role,
)
from helpdesk.portal.forms import (
    CATEGORY_LABELS,
    CloseForm,
    NewCaseForm,
    ReopenForm,
    ReplyForm,
    category_choices,
    split_category,
)
from helpdesk.services import ServiceError
from helpdesk.services.cases import attachments, cases, merge
from helpdesk.services.core import settings
from helpdesk.services.helpcentre import kb
from helpdesk.services.tracker import routing
from helpdesk.services.tracker.callers import mask_licence_key
from helpdesk.web.access import get_attachment_or_404, get_case_or_404
from helpdesk.web.cc_views import cc_context, cc_post
from helpdesk.web.files import request_uploads, send_attachment
from helpdesk.web.forms import show_service_error
from helpdesk.web.guards import gate_blueprint, role_required
from helpdesk.web.htmx import render_page_or_fragment
from helpdesk.web.paging import page_of
from helpdesk.web.params import arg_id, arg_int

bp = Blueprint("portal", __name__)
gate_blueprint(bp, Role.CUSTOMER)

SHOW_FILTERS = {
    "open": Case.status != CaseStatus.CLOSED,
    "closed": Case.status == CaseStatus.CLOSED,
    "all": sa.true(),
}
READ_ARTICLES = "suggested_articles_read"  # session key: reads that may have deflected a case


@bp.route("/cases")
@role_required(Role.CUSTOMER)
def case_list():
    """My organisation's cases (open, closed or all), most recently updated first."""
    show = request.args.get("show", "open")
    if show not in SHOW_FILTERS:
        show = "open"
    query = (
        sa.select(Case)
        .where(
            Case.organisation_id == current_user.organisation_id,
            SHOW_FILTERS[show],
            Case.merged_into_id.is_(None),  # its thread is shown on the case it was merged into
        )
        .order_by(Case.updated_at.desc(), Case.id.desc())
    )
    return render_page_or_fragment(
        "portal/case_list.html", "portal/_case_table.html", page=page_of(query), show=show
    )


def can_request_key(order: Order) -> bool:
    """Keys are issued for what was bought (seed 000: the key e-mail is for customers only),
    so not for evaluations or cancelled orders."""
    return order.status != OrderStatus.CANCELLED and order.kind != OrderKind.EVALUATION


@bp.route("/orders")
@role_required(Role.CUSTOMER)
def order_list():
    """My organisation's orders, newest first, each key masked, with "Request a key"."""
    query = (
        sa.select(Order)
        .where(Order.organisation_id == current_user.organisation_id)
        .order_by(Order.ordered_at.desc(), Order.id.desc())
    )
    return render_page_or_fragment(
        "portal/order_list.html",
        "portal/_order_table.html",
        page=page_of(query),
        masked=mask_licence_key,
        can_request_key=can_request_key,
    )


def _order_label(order: Order) -> str:
    label = f"{order.number} - {order.product} {order.version}"
    label += f" ({order.kind.replace('_', ' ')}, {order.ordered_at:%Y-%m-%d})"
    return f"{label} - {order.licensed_website}" if order.licensed_website else label


def _order_choices() -> list[SelectChoice]:
    orders = db.session.scalars(
        sa.select(Order)
        .where(Order.organisation_id == current_user.organisation_id)
        .order_by(Order.ordered_at.desc())
    )
    return [SelectChoice(order.id, _order_label(order)) for order in orders]


@bp.route("/cases/new", methods=["GET", "POST"])
@role_required(Role.CUSTOMER)
def case_new():
    """Open a case against one of our orders; help articles are suggested while typing."""
    form = NewCaseForm()
    form.order_id.choices = _order_choices()
    form.category.choices = category_choices(routing.active_topics())
    if request.method == "GET":
        _preselect(form)
    if form.validate_on_submit():
        category, topic_id = split_category(form.category.data)
        try:
            case = cases.open_case(
                customer=current_user,
                order_id=form.order_id.data,
                category=category,
                topic_id=topic_id,
                subject=form.subject.data,
                body=form.body.data,
                uploads=request_uploads(),
                policy=attachments.current_policy(),
                read_article_ids=session.get(READ_ARTICLES, []),
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            session.pop(READ_ARTICLES, None)
            flash(
                f"Your case #{case.number} is open. We have e-mailed you a confirmation.", "success"
            )
            return redirect(url_for("portal.case_detail", number=case.number))
    return render_template("portal/case_new.html", form=form), 200 if not form.errors else 422


def _preselect(form: NewCaseForm) -> None:
    """My orders' "Request a key" opens this form for one order and the licence-key type;
    values that are not ours or not a type are ignored."""
    order_id = arg_id("order")
    if order_id in {choice.value for choice in form.order_id.choices}:
        form.order_id.data = order_id
    category = request.args.get("category")
    if category in {c.value for c in Category}:
        form.category.data = category
        if category == Category.LICENCE_KEY and not form.subject.data:
            form.subject.data = "Licence key request"


def _thread_context(case: Case) -> dict:
    messages = db.session.scalars(
        sa.select(Message)
        .options(selectinload(Message.author))
        .where(
            Message.case_id == case.id,
            Message.kind == MessageKind.REPLY,
            # Mail from an address not the case's stays with the agents until one accepts it.
            Message.unverified_sender.is_(False),
        )
        .order_by(Message.created_at, Message.id)
    ).all()
    files = db.session.scalars(
        sa.select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)
    ).all()
    by_message: dict[int | None, list[Attachment]] = {}
    public_ids = {m.id for m in messages}
    for attachment in files:
        if attachment.message_id is None or attachment.message_id in public_ids:
            by_message.setdefault(attachment.message_id, []).append(attachment)
    return {
        "case": case,
        "messages": messages,
        "attachments": by_message,
        "category_labels": CATEGORY_LABELS,
        # A case opened on a topic is "about" what the customer picked, not its category.
        "topic_label": next(
            (
                t.label
                for t in routing.active_topics()
                if t.case_type_id == case.case_type_id and t.category == case.category
            ),
            None,
        )
        if case.case_type_id is not None
        else None,
    }


def _render_detail(case: Case, reply_form=None, close_form=None, status: int = 200):
    cases.mark_viewed(case)
    context = _thread_context(case)
    return render_template(
        "portal/case_detail.html",
        reply_form=reply_form or ReplyForm(),
        close_form=close_form or CloseForm(),
        reopen_form=ReopenForm(),
        reopen_days=settings.setting("REOPEN_DAYS"),
        **context,
        **cc_context(case),
    ), status


@bp.route("/cases/<int:number>")
@role_required(Role.CUSTOMER)
def case_detail(number: int):
    """The thread: our messages and the agents' public answers, never their private notes."""
    case = get_case_or_404(number, current_user)
    if case.merged_into_id is not None:  # one case for the customer: the one that lives on
        return redirect(url_for("portal.case_detail", number=merge.surviving(case).number))
    return _render_detail(case)


@bp.route("/cases/<int:number>/thread")
@role_required(Role.CUSTOMER)
def case_thread(number: int):
    """Live update poll: 204 while the case is unchanged since the version the page holds."""
    case = get_case_or_404(number, current_user)
    if arg_int("v", low=0) == case.version:
        return "", 204
    cases.mark_viewed(case)
    return render_template("portal/_thread.html", **_thread_context(case))


@bp.route("/cases/<int:number>/reply", methods=["POST"])
@role_required(Role.CUSTOMER)
def case_reply(number: int):
    """Add to the thread (with files); an answered case goes back to the agent."""
    case = merge.surviving(get_case_or_404(number, current_user))
    number = case.number
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            cases.customer_reply(
                customer=current_user,
                case=case,
                body=form.body.data,
                uploads=request_uploads(),
                policy=attachments.current_policy(),
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash("Your reply is sent.", "success")
            return redirect(url_for("portal.case_detail", number=number, _anchor="thread"))
    return _render_detail(case, reply_form=form, status=422)


@bp.route("/cases/<int:number>/close", methods=["POST"])
@role_required(Role.CUSTOMER)
def case_close(number: int):
    """Close our case, optionally with a last comment."""
    case = get_case_or_404(number, current_user)
    form = CloseForm()
    if form.validate_on_submit():
        try:
            cases.close_case(actor=current_user, case=case, comment=form.comment.data or "")
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(f"Case #{number} is closed. Thank you!", "success")
            return redirect(url_for("portal.case_detail", number=number))
    return _render_detail(case, close_form=form, status=422)


@bp.route("/cases/<int:number>/reopen", methods=["POST"])
@role_required(Role.CUSTOMER)
def case_reopen(number: int):
    """Reopen within the reopening period; after it, a new case linked to this one."""
    case = get_case_or_404(number, current_user)
    if not ReopenForm().validate_on_submit():
        abort(400)
    try:
        result = cases.reopen_case(
            customer=current_user, case=case, reopen_days=settings.setting("REOPEN_DAYS")
        )
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("portal.case_detail", number=number))
    if result.id == case.id:
        flash(f"Case #{number} is open again.", "success")
    else:
        flash(
            f"Case #{number} was closed too long ago to reopen, so we opened case "
            f"#{result.number} linked to it. Add what is still wrong.",
            "success",
        )
    return redirect(url_for("portal.case_detail", number=result.number))


@bp.route("/cases/<int:number>/attachments/<int:attachment_id>")
@role_required(Role.CUSTOMER)
def attachment_download(number: int, attachment_id: int):
    """Download a file of our case; always as an attachment, never rendered inline."""
    case = get_case_or_404(number, current_user)
    attachment = get_attachment_or_404(case, attachment_id, current_user)
    return send_attachment(attachment, attachments.current_policy())


@bp.route("/help/suggestions")
@role_required(Role.CUSTOMER)
def article_suggestions():
    """Up to five help articles matching what the customer is typing (htmx, debounced)."""
    text = f"{request.args.get('subject', '')} {request.args.get('body', '')}"[:2000]
    return render_template("portal/_suggestions.html", articles=kb.suggest_articles(text))


@bp.route("/help/articles/<int:article_id>")
@role_required(Role.CUSTOMER)
def article_show(article_id: int):
    """A suggested article, opened in place; the read counts as a deflection until a case
    is opened after it in the same session."""
    article = kb.public_article(article_id)
    if article is None:
        abort(404)
    read = session.get(READ_ARTICLES, [])
    if article.id not in read:
        kb.count_suggestion_read(article)
        session[READ_ARTICLES] = [*read, article.id][-20:]
    return render_page_or_fragment("portal/article.html", "portal/_article.html", article=article)


@bp.route("/cases/<int:number>/cc", methods=["POST"])
@role_required(Role.CUSTOMER)
def case_cc_add(number: int):
    """CC a colleague on our case: they get the replies too."""
    case = merge.surviving(get_case_or_404(number, current_user))
    back = url_for("portal.case_detail", number=case.number) + "#case-cc"
    return cc_post(case, adding=True, back=back)


@bp.route("/cases/<int:number>/cc/remove", methods=["POST"])
@role_required(Role.CUSTOMER)
def case_cc_remove(number: int):
    """Stop CC'ing a colleague on our case."""
    case = merge.surviving(get_case_or_404(number, current_user))
    back = url_for("portal.case_detail", number=case.number) + "#case-cc"
    return cc_post(case, adding=False, back=back)
