"""Phone support in the tracker: caller lookup and account panel (seed 000 steps I-III), the
phone procedure screen (steps IV-VI), voice-mail intake and case linking (seed 003)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from helpdesk import i18n
from helpdesk.models import Origin, utcnow
from helpdesk.rules import priority as priority_rules
from helpdesk.rules.numbers import optional_int, parse_id
from helpdesk.rules.phone_procedure import (
    ISSUE_LABELS,
    LEVEL_LABELS,
    NO_ACCOUNT_ADVICE,
    Action,
    Issue,
)
from helpdesk.services import ServiceError
from helpdesk.services.cases.cases import BODY_MAX, SUBJECT_MAX
from helpdesk.services.core import settings
from helpdesk.services.tracker import callers, phone, tracker
from helpdesk.tracker.blueprint import STAFF, bp
from helpdesk.tracker.common import sidebar_context, staff_members
from helpdesk.web.access import get_case_or_404
from helpdesk.web.forms import IntegerField
from helpdesk.web.guards import role_required
from helpdesk.web.htmx import is_htmx_request, render_page_or_fragment

PICK_INTAKE = "intake"  # lookup results that choose the account for a voice mail
# How a case typed in by hand reached us (issue 12), and the page's heading for each.
ORIGIN_CHOICES = (
    (Origin.PHONE.value, "A voice mail or phone call"),
    (Origin.EMAIL.value, "An e-mail sent to one of us"),
    (Origin.GENERATED.value, "We open it ourselves (a follow-up, a problem we found)"),
)
INTAKE_HEADINGS = {
    Origin.PHONE.value: "Phone intake",
    Origin.EMAIL.value: "Open a case from an e-mail",
    Origin.GENERATED.value: "Open a case ourselves",
}


def _issue_choices(blank: str | None = None) -> list[SelectChoice]:
    choices = [SelectChoice(issue.value, label) for issue, label in ISSUE_LABELS.items()]
    return [SelectChoice("", blank), *choices] if blank else choices


class PhoneForm(FlaskForm):
    """The call: who is calling, what about, and where to log the e-mail."""

    recipient = SelectField("Caller", validators=[InputRequired("Choose who is calling.")])
    issue = SelectField(
        "What is the call about?",
        choices=_issue_choices("Choose the issue"),
        validators=[DataRequired("Choose the issue.")],
    )
    persistent = BooleanField("Persistent: asks for more help than the e-mail gives")
    case = SelectField("Log it on", coerce=optional_int, validators=[Optional()])
    canned_key = HiddenField()


class IntakeForm(FlaskForm):
    """Seed 003 "Preliminary Procedures" for a voice mail, one field per step."""

    organisation_id = HiddenField(validators=[DataRequired("Find the caller's account first.")])
    title = StringField(
        "Title",
        validators=[DataRequired("Enter a meaningful title."), Length(max=SUBJECT_MAX)],
        description="Something meaningful: the topic area the customer asks about.",
    )
    synopsis = TextAreaField(
        "Synopsis",
        validators=[DataRequired("Write what the caller needs."), Length(max=BODY_MAX)],
        description="The approximate customer requirement, from the voice mail or e-mail.",
    )
    issue = SelectField("About", choices=_issue_choices(), default=Issue.SUPPORT.value)
    callback_phone = StringField(
        "Callback number",
        validators=[Optional(), Length(max=phone.PHONE_MAX)],
        description="As the voice mail says (the caller ID may be their switchboard).",
    )
    correspondent_email = StringField(
        "Correspondent e-mail",
        validators=[Optional(), Length(max=254)],
        description="The caller's primary e-mail address.",
    )
    estimate_minutes = IntegerField(
        "Estimate (minutes)",
        validators=[Optional(), NumberRange(0, phone.ESTIMATE_MAX_MINUTES)],
        description="If you know roughly what it takes to resolve.",
    )
    assignee_id = SelectField("Assign to", coerce=optional_int, validators=[Optional()])
    override_reason = StringField(
        "Reason to give it below its tier",
        validators=[Optional(), Length(max=tracker.OVERRIDE_REASON_MAX)],
        description="Only needed when the agent you choose is below the tier the case needs "
        "(tier 2 for an active plan or a bug report), for example: nobody of tier 2 is in "
        "today. The case's activity records who gave it and why.",
    )
    priority_score = IntegerField(
        "Priority score",
        validators=[Optional(), NumberRange(-50, 100)],
        description="Leave empty to let the factors score it; a number here replaces their sum.",
    )
    product_version = StringField(
        "Product version", validators=[Optional(), Length(max=phone.VERSION_MAX)]
    )
    operating_system = StringField("Computer OS", validators=[Optional(), Length(max=phone.OS_MAX)])
    origin = SelectField(
        "How it reached us",
        choices=[SelectChoice(value, label) for value, label in ORIGIN_CHOICES],
        default=Origin.PHONE.value,
    )
    received_at = DateTimeLocalField(
        "Message left at",
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description="When the caller left the voice mail (or the e-mail arrived), in your time "
        "zone. It decides whether it came in overnight; leave it empty for just now.",
    )
    factors = SelectMultipleField(
        "Priority factors you can tell from the message",
        choices=[
            SelectChoice(
                code,
                f"{priority_rules.BY_CODE[code].label} ({priority_rules.BY_CODE[code].weight:+d})",
            )
            for code in phone.TICKABLE_FACTORS
        ],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )


class LinkForm(FlaskForm):
    other_number = StringField("Link to case #", validators=[DataRequired("Enter a number.")])


def _organisation_or_404(organisation_id: int) -> callers.Account:
    account = callers.account(organisation_id, utcnow().date())
    if account is None:
        abort(404)
    return account


def _account_context(account: callers.Account) -> dict:
    return {"account": account, "level_labels": LEVEL_LABELS}


@bp.route("/callers", endpoint="callers")
@role_required(*STAFF)
def caller_lookup():
    """Find the caller's account from anything they can tell (live results as you type)."""
    return _lookup_page(None)


def _lookup_page(account: callers.Account | None):
    q = callers.clean_query(request.args.get("q"))
    context = {
        "q": q,
        "hits": callers.find_callers(q),
        "too_short": 0 < len(q) < callers.MIN_CHARS,
        "pick": PICK_INTAKE if request.args.get("pick") == PICK_INTAKE else None,
        "origin": request.args.get("origin")
        if request.args.get("origin") in INTAKE_HEADINGS.keys() - {"phone"}
        else None,
        "level_labels": LEVEL_LABELS,
        "no_account_advice": NO_ACCOUNT_ADVICE,
        "account": account,
    }
    if not is_htmx_request():
        context.update(sidebar_context())
    fragment = "tracker/_caller_results.html" if account is None else "tracker/_account_panel.html"
    return render_page_or_fragment("tracker/callers.html", fragment, **context)


@bp.route("/callers/<int:organisation_id>")
@role_required(*STAFF)
def account(organisation_id: int):
    """The account panel: contacts, orders, open cases and support eligibility."""
    return _lookup_page(_organisation_or_404(organisation_id))


def _phone_form(account: callers.Account, *, post: bool) -> PhoneForm:
    # Showing a recommendation is a GET (no CSRF); only sending posts.
    form = PhoneForm() if post else PhoneForm(formdata=request.args or None, meta={"csrf": False})
    form.recipient.choices = [
        SelectChoice(p.key, f"{p.name} <{p.email}>" + (" (primary)" if p.is_primary else ""))
        for p in account.reachable
    ]
    if not post and not form.recipient.data and account.primary is not None:
        form.recipient.data = account.primary.key
    form.case.choices = [SelectChoice("", "A new phone case for this call")] + [
        SelectChoice(str(c.id), f"#{c.number} {c.subject}") for c in account.open_cases
    ]
    return form


def _recommendation_context(account: callers.Account, form: PhoneForm) -> dict:
    issue = form.issue.data if form.issue.data in {i.value for i in Issue} else None
    person = callers.find_person(account.reachable, form.recipient.data)
    case = next((c for c in account.open_cases if c.id == form.case.data), None)
    recommendation = email = None
    if issue is not None:
        recommendation = phone.recommendation_for(
            account, Issue(issue), persistent=bool(form.persistent.data)
        )
        if recommendation.canned_key and person is not None:
            email = phone.preview(
                recommendation.canned_key,
                agent=current_user,
                recipient_name=person.name,
                case=case,
            )
    return {
        **_account_context(account),
        "form": form,
        "issue": issue,
        "issue_labels": ISSUE_LABELS,
        "person": person,
        "log_case": case,
        "recommendation": recommendation,
        "email": email,
        "sales": settings.sales_contact(),
    }


@bp.route("/callers/<int:organisation_id>/phone", methods=["GET", "POST"])
@role_required(*STAFF)
def phone_procedure(organisation_id: int):
    """Seed 000 steps IV-VI: the issue and the support level give the system e-mail; send it."""
    account = _organisation_or_404(organisation_id)
    if request.method == "POST":
        return _send(account)
    context = _recommendation_context(account, _phone_form(account, post=False))
    if not is_htmx_request():
        context.update(sidebar_context())
    return render_page_or_fragment(
        "tracker/phone.html", "tracker/_phone_recommendation.html", **context
    )


def _send(account: callers.Account):
    organisation = account.organisation
    form = _phone_form(account, post=True)
    back = url_for("tracker.phone_procedure", organisation_id=organisation.id)
    if not form.validate_on_submit():
        errors = [error for field in form for error in field.errors] or ["Check the form."]
        flash(" ".join(errors), "error")
        return redirect(back)
    context = _recommendation_context(account, form)
    recommendation, person = context["recommendation"], context["person"]
    retry = url_for(
        "tracker.phone_procedure",
        organisation_id=organisation.id,
        recipient=form.recipient.data,
        issue=form.issue.data,
        persistent="y" if form.persistent.data else None,
        case=form.case.data,
    )
    if recommendation is None or recommendation.action != Action.EMAIL or person is None:
        flash("There is no system e-mail to send for this call.", "error")
        return redirect(retry)
    if form.canned_key.data and form.canned_key.data != recommendation.canned_key:
        # The account changed between showing and sending: never send what was not shown.
        flash("The recommendation changed since it was shown; check it and send again.", "error")
        return redirect(retry)
    try:
        sent = phone.send_system_email(
            current_user,
            organisation,
            person.email,
            person.name,
            recommendation.canned_key,
            context["log_case"],
            issue=Issue(form.issue.data),
        )
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(retry)
    title = context["email"].title if context["email"] else recommendation.canned_key
    where = "a new phone case" if sent.new_case else "case"
    flash(
        f"Sent “{title}” to {person.name} <{person.email}>; logged on {where} #{sent.case.number}.",
        "success",
    )
    # The call goes on: keep the caller, the issue and now its case selected, so a follow-up
    # (a persistent caller, say) is logged on the same case instead of opening a second one.
    return redirect(
        url_for(
            "tracker.phone_procedure",
            organisation_id=organisation.id,
            recipient=form.recipient.data,
            issue=form.issue.data,
            persistent="y" if form.persistent.data else None,
            case=sent.case.id,
            sent=sent.case.number,
        )
    )


def _intake_form(account: callers.Account | None) -> IntakeForm:
    form = IntakeForm()
    form.assignee_id.choices = [SelectChoice("", "Support (generic): the routing rules decide")] + [
        SelectChoice(str(u.id), f"{u.name} ({u.role}{f', tier {u.tier}' if u.tier else ''})")
        for u in staff_members()
    ]
    if request.method == "GET" and request.args.get("origin") in INTAKE_HEADINGS:
        form.origin.data = request.args["origin"]
    if request.method == "GET" and account is not None:
        form.organisation_id.data = str(account.organisation.id)
        if account.primary is not None and not form.correspondent_email.data:
            form.correspondent_email.data = account.primary.email
    return form


def _as_utc(local: datetime | None) -> datetime | None:
    """A time typed in the viewer's zone, as the naive UTC the database keeps."""
    if local is None:
        return None
    zone = i18n.viewer_zone()
    aware = zone.localize(local) if hasattr(zone, "localize") else local.replace(tzinfo=zone)
    return aware.astimezone(UTC).replace(tzinfo=None)


def _intake_account() -> callers.Account | None:
    raw = request.form.get("organisation_id") if request.method == "POST" else None
    raw = raw or request.args.get("organisation_id", "")
    organisation_id = parse_id(raw)
    if organisation_id is None:
        return None
    return callers.account(organisation_id, utcnow().date())


@bp.route("/intake", methods=["GET", "POST"])
@role_required(*STAFF)
def phone_intake():
    """Seed 003: a voice mail becomes a phone case, awaiting an agent."""
    account = _intake_account()
    form = _intake_form(account)
    if form.validate_on_submit():
        try:
            case = phone.open_phone_case(
                current_user,
                phone.Intake(
                    organisation_id=account.organisation.id if account else None,
                    title=form.title.data,
                    synopsis=form.synopsis.data,
                    issue=Issue(form.issue.data),
                    callback_phone=form.callback_phone.data or "",
                    correspondent_email=form.correspondent_email.data or "",
                    estimate_minutes=form.estimate_minutes.data,
                    assignee_id=form.assignee_id.data,
                    priority_score=form.priority_score.data,
                    product_version=form.product_version.data or "",
                    operating_system=form.operating_system.data or "",
                    origin=form.origin.data,
                    received_at=_as_utc(form.received_at.data),
                    factors=tuple(form.factors.data or ()),
                    override_reason=form.override_reason.data or None,
                ),
            )
        except ServiceError as error:
            field = getattr(form, error.field, None) if error.field else None
            if field is not None and error.field != "organisation_id":
                field.errors = [*field.errors, error.message]
            else:
                form.form_errors.append(error.message)
        else:
            kind = {"phone": "Phone case", "email": "E-mail case"}.get(case.origin, "Case")
            flash(f"{kind} #{case.number} created.", "success")
            suggestions = phone.link_suggestions(case)
            for number, subject, words in suggestions:
                flash(
                    f"The e-mail case #{number} “{subject}” of this customer shares "
                    f"“{', '.join(sorted(words))}” with the title: if it is the same subject, "
                    "link it below.",
                    "info",
                )
            link = suggestions[0][0] if suggestions else None
            return redirect(url_for("tracker.case_view", number=case.number, link=link))
    elif request.method == "POST" and account is None:
        form.form_errors.append("Find the caller's account first.")
    status = 422 if request.method == "POST" else 200
    q = callers.clean_query(request.args.get("q"))
    return render_template(
        "tracker/intake.html",
        form=form,
        account=account,
        level_labels=LEVEL_LABELS,
        q=q,
        hits=callers.find_callers(q) if account is None else [],
        too_short=0 < len(q) < callers.MIN_CHARS,
        pick=PICK_INTAKE,
        no_account_advice=NO_ACCOUNT_ADVICE,
        heading=INTAKE_HEADINGS.get(form.origin.data, INTAKE_HEADINGS[Origin.PHONE.value]),
        # None for a voice mail, the default: links then need no origin of their own.
        origin=form.origin.data if form.origin.data in INTAKE_HEADINGS.keys() - {"phone"} else None,
        **sidebar_context(),
    ), status


@bp.route("/cases/<int:number>/link", methods=["POST"])
@role_required(*STAFF)
def case_link(number: int):
    """Link this case to another of the same customer (seed 003: the e-mail on the subject)."""
    case = get_case_or_404(number, current_user)
    form = LinkForm()
    if not form.validate_on_submit():
        flash("Enter the number of the case to link.", "error")
    else:
        try:
            phone.link_cases(current_user, case, form.other_number.data)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            other = form.other_number.data.strip().lstrip("#")
            flash(f"Case #{number} is linked to #{other}.", "success")
    return redirect(url_for("tracker.case_view", number=number))
