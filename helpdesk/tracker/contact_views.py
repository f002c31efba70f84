"""Keeping an organisation's contacts current (seed 003): add, edit, mark as former employee,
the organisation's address as a shortcut, and a case's correspondent changed to another
contact. Reached from the caller account and the case page's Customer panel."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from helpdesk.extensions import db
from helpdesk.models import Case, Contact, Organisation
from helpdesk.services import ServiceError
from helpdesk.services.accounts import contacts
from helpdesk.services.tracker import callers
from helpdesk.tracker.blueprint import STAFF, bp
from helpdesk.tracker.common import sidebar_context
from helpdesk.tracker.forms import ContactForm, CorrespondentForm, FormerForm
from helpdesk.web.access import LARGEST_CASE_NUMBER, get_case_or_404, get_contact_or_404
from helpdesk.web.forms import show_service_error
from helpdesk.web.guards import role_required
from helpdesk.web.params import arg_id

USE_ORG_ADDRESS = "use_org_address"  # the submit button that copies the organisation's address


def _organisation_or_404(organisation_id: int) -> Organisation:
    organisation = (
        db.session.get(Organisation, organisation_id)
        if 0 < organisation_id <= LARGEST_CASE_NUMBER
        else None
    )
    if organisation is None:
        abort(404)
    return organisation


def _from_case(organisation: Organisation) -> Case | None:
    """The case the agent came from (`?case=`), when it is this organisation's."""
    number = arg_id("case")
    if number is None:
        return None
    case = db.session.scalar(db.select(Case).where(Case.number == number))
    return case if case is not None and case.organisation_id == organisation.id else None


def _values(form: ContactForm) -> contacts.ContactInput:
    return contacts.ContactInput(
        name=form.name.data or "",
        email=form.email.data or "",
        phone=form.phone.data or "",
        position=form.position.data or "",
        address=form.address.data or "",
        is_primary=bool(form.is_primary.data),
    )


def _copy_address(form: ContactForm, organisation: Organisation) -> bool:
    """The "Use the organisation's address" button: fill the field, save nothing yet."""
    if USE_ORG_ADDRESS not in request.form:
        return False
    if organisation.address:
        form.address.data = organisation.address
    else:
        form.address.errors = [
            *form.address.errors,
            "The organisation has no address on record yet: type it here.",
        ]
    return True


def _list_page(organisation: Organisation, add_form: ContactForm | None = None, status=200):
    from_case = _from_case(organisation)
    rows = contacts.organisation_contacts(organisation.id)
    known_users = {c.user_id for c in rows if c.user_id}
    known_emails = {c.email.lower() for c in rows if c.email}
    logins = [
        p
        for p in callers.people(organisation.id)
        if p.key.startswith("user-")
        and p.user_id not in known_users
        and (p.email or "").lower() not in known_emails
    ]
    return render_template(
        "tracker/contacts.html",
        organisation=organisation,
        contacts=rows,
        logins=logins,
        add_form=add_form or ContactForm(formdata=None),
        from_case=from_case,
        use_org_address=USE_ORG_ADDRESS,
        **sidebar_context(),
    ), status


@bp.route("/callers/<int:organisation_id>/contacts")
@role_required(*STAFF)
def contact_list(organisation_id: int):
    """Everyone on record at the organisation, former employees marked, and a form to add."""
    return _list_page(_organisation_or_404(organisation_id))


@bp.route("/callers/<int:organisation_id>/contacts", methods=["POST"])
@role_required(*STAFF)
def contact_add(organisation_id: int):
    """Add a contact (or fill in the organisation's address first)."""
    organisation = _organisation_or_404(organisation_id)
    form = ContactForm()
    if _copy_address(form, organisation):
        return _list_page(organisation, form)
    if form.validate_on_submit():
        try:
            contact = contacts.save_contact(
                actor=current_user,
                organisation=organisation,
                values=_values(form),
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(f"{contact.name} is now a contact of {organisation.name}.", "success")
            return redirect(_back(organisation))
    return _list_page(organisation, form, 422)


def _back(organisation: Organisation) -> str:
    case = _from_case(organisation)
    return url_for(
        "tracker.contact_list", organisation_id=organisation.id, case=case.number if case else None
    )


def _edit_page(
    organisation: Organisation, contact: Contact, form=None, former_form=None, status=200
):
    return render_template(
        "tracker/contact_edit.html",
        organisation=organisation,
        contact=contact,
        form=form or ContactForm(obj=contact, formdata=None),
        former_form=former_form
        or FormerForm(note=contacts.former_note_for(contact.position), formdata=None),
        from_case=_from_case(organisation),
        use_org_address=USE_ORG_ADDRESS,
        **sidebar_context(),
    ), status


@bp.route("/callers/<int:organisation_id>/contacts/<int:contact_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def contact_edit(organisation_id: int, contact_id: int):
    """Change a contact: a new e-mail address, phone, position, address."""
    organisation = _organisation_or_404(organisation_id)
    contact = get_contact_or_404(organisation.id, contact_id, current_user)
    if request.method == "GET":
        return _edit_page(organisation, contact)
    form = ContactForm()
    if _copy_address(form, organisation):
        return _edit_page(organisation, contact, form)
    if form.validate_on_submit():
        try:
            contacts.save_contact(
                actor=current_user,
                organisation=organisation,
                values=_values(form),
                contact=contact,
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            db.session.refresh(contact)
            show_service_error(form, error)
        else:
            flash(f"{contact.name}'s details are saved.", "success")
            return redirect(_back(organisation))
    return _edit_page(organisation, contact, form, status=422)


@bp.route("/callers/<int:organisation_id>/contacts/<int:contact_id>/former", methods=["POST"])
@role_required(*STAFF)
def contact_former(organisation_id: int, contact_id: int):
    """Mark someone who left as a former employee."""
    organisation = _organisation_or_404(organisation_id)
    contact = get_contact_or_404(organisation.id, contact_id, current_user)
    form = FormerForm()
    if form.validate_on_submit():
        try:
            contacts.mark_former(
                actor=current_user,
                contact=contact,
                note=form.note.data or "",
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(f"{contact.name} is marked as {contact.former_note}.", "success")
            return redirect(_back(organisation))
    return _edit_page(organisation, contact, former_form=form, status=422)


@bp.route("/callers/<int:organisation_id>/contacts/<int:contact_id>/current", methods=["POST"])
@role_required(*STAFF)
def contact_current(organisation_id: int, contact_id: int):
    """Undo "former employee"."""
    organisation = _organisation_or_404(organisation_id)
    contact = get_contact_or_404(organisation.id, contact_id, current_user)
    form = FormerForm()
    if form.validate_on_submit():
        try:
            contacts.mark_current(
                actor=current_user, contact=contact, ip_address=request.remote_addr
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(f"{contact.name} is a current contact again.", "success")
            return redirect(_back(organisation))
    return _edit_page(organisation, contact, former_form=form, status=422)


def correspondent_form(case: Case, form: CorrespondentForm | None = None) -> CorrespondentForm:
    """The case page's "Change correspondent" form: current contacts with an e-mail only."""
    form = form or CorrespondentForm(formdata=None)
    current = (case.correspondent_email or "").lower()
    form.contact_id.choices = [SelectChoice("", "Choose a contact")] + [
        SelectChoice(
            str(c.id), f"{c.name} <{c.email}>" + (f" · {c.position}" if c.position else "")
        )
        for c in contacts.correspondent_choices(case.organisation_id)
        if c.email.lower() != current
    ]
    return form


def case_contacts_context(case: Case, given: dict) -> dict:
    """What templates/tracker/_case_contacts.html shows in the case's Customer panel; a
    correspondent form that came back with errors is already among the page's forms."""
    current = (case.correspondent_email or "").lower()
    on_record = next(
        (
            c
            for c in contacts.organisation_contacts(case.organisation_id)
            if c.email and c.email.lower() == current
        ),
        None,
    )
    context = {"correspondent_contact": on_record}
    if "correspondent_form" not in given:
        context["correspondent_form"] = correspondent_form(case)
    return context


@bp.route("/cases/<int:number>/correspondent", methods=["POST"])
@role_required(*STAFF)
def case_correspondent(number: int):
    """Make another current contact of the organisation the case's correspondent."""
    from helpdesk.tracker.case_views import _page  # the case page, shown again with errors

    case = get_case_or_404(number, current_user)
    form = correspondent_form(case, CorrespondentForm())
    if form.validate_on_submit():
        try:
            contact = contacts.change_correspondent(
                actor=current_user,
                case=case,
                contact_id=form.contact_id.data,
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(f"Answers on this case now go to {contact.name} <{contact.email}>.", "success")
            return redirect(url_for("tracker.case_view", number=number))
    return _page(case, 422, correspondent_form=form)
