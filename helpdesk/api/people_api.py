"""Organisations, contacts and customer logins through the API, with the role rules of the pages
that keep them: any staff token reads them; contacts are changed by agents and administrators
(the tracker's contact pages, helpdesk.web.access.get_contact_or_404), customer logins by
billing staff and administrators (the system manager's customer pages)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, request, url_for

from helpdesk.api.blueprint import bp
from helpdesk.api.problems import Problem, refused
from helpdesk.api.refusals import account
from helpdesk.api.schemas import people as schemas
from helpdesk.api.schemas.common import NamedRef, decode_cursor, encode_cursor
from helpdesk.api.spec import operation
from helpdesk.extensions import db
from helpdesk.models import Case, CaseStatus, Contact, Order, Organisation, Role, User
from helpdesk.services import ServiceError
from helpdesk.services.accounts import contacts, customers
from helpdesk.services.tracker.callers import escape_like

TAG = "Customers"
# Who keeps contacts (the tracker's contact pages) and who edits customers (system manager).
CONTACT_KEEPERS = frozenset({Role.AGENT, Role.ADMIN})
CUSTOMER_EDITORS = frozenset({Role.BILLING, Role.ADMIN})
FIELD_NAMES = {"note": "former_note"}


def _user() -> User:
    return g.api.user


def _may(roles: frozenset[Role], doing: str) -> None:
    role = _user().role
    if role not in roles:
        raise Problem(403, f"{account(role.value)} cannot {doing}.")


def _organisation(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise Problem(404, f"There is no organisation {organisation_id}.")
    return organisation


def _profile_url(organisation_id: int) -> str:
    return url_for("system.customer", organisation_id=organisation_id, _external=True)


def _summary_fields(organisation: Organisation) -> dict:
    return {
        "id": organisation.id,
        "name": organisation.name,
        "customer_number": organisation.customer_number,
        "time_zone": organisation.time_zone,
        "after_hours_support": organisation.after_hours_support,
        "url": _profile_url(organisation.id),
    }


def _count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def _counts(organisation_id: int) -> schemas.OrganisationCounts:
    by_former = dict(
        db.session.execute(
            sa.select(Contact.former_employee, sa.func.count())
            .where(Contact.organisation_id == organisation_id)
            .group_by(Contact.former_employee)
        ).all()
    )
    return schemas.OrganisationCounts(
        contacts=by_former.get(False, 0),
        former_contacts=by_former.get(True, 0),
        logins=_count(
            sa.select(User.id).where(
                User.organisation_id == organisation_id, User.role == Role.CUSTOMER
            )
        ),
        open_cases=_count(
            sa.select(Case.id).where(
                Case.organisation_id == organisation_id,
                Case.status != CaseStatus.CLOSED,
                Case.merged_into_id.is_(None),
            )
        ),
        orders=_count(sa.select(Order.id).where(Order.organisation_id == organisation_id)),
    )


@operation(
    bp,
    "GET",
    "/organisations",
    summary="List organisations",
    tag=TAG,
    scope="customers:read",
    query=schemas.OrganisationListQuery,
    response=schemas.OrganisationPage,
)
def list_organisations(query: schemas.OrganisationListQuery) -> schemas.OrganisationPage:
    """Customer organisations in the order they were added, a page at a time; `q` keeps those
    whose name or customer number contains it."""
    conditions = []
    if query.q:
        pattern = f"%{escape_like(query.q)}%"
        conditions.append(
            sa.or_(
                Organisation.name.ilike(pattern, escape="\\"),
                Organisation.customer_number.ilike(pattern, escape="\\"),
            )
        )
    after = decode_cursor(query.cursor)
    if after is not None:
        conditions.append(Organisation.id > after)
    rows = db.session.scalars(
        sa.select(Organisation).where(*conditions).order_by(Organisation.id).limit(query.limit + 1)
    ).all()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return schemas.OrganisationPage(
        items=[schemas.OrganisationSummary(**_summary_fields(row)) for row in rows],
        next_cursor=encode_cursor(rows[-1].id) if more else None,
    )


@operation(
    bp,
    "GET",
    "/organisations/<int:organisation_id>",
    summary="Get an organisation",
    tag=TAG,
    scope="customers:read",
    response=schemas.OrganisationDetail,
)
def get_organisation(organisation_id: int) -> schemas.OrganisationDetail:
    """The organisation: names, time zone, after-hours support, address and a few counts."""
    organisation = _organisation(organisation_id)
    reseller = (
        db.session.get(Organisation, organisation.reseller_id) if organisation.reseller_id else None
    )
    return schemas.OrganisationDetail(
        **_summary_fields(organisation),
        partner_id=organisation.partner_id,
        is_reseller=organisation.is_reseller,
        reseller=NamedRef(id=reseller.id, name=reseller.name) if reseller else None,
        phone=organisation.phone,
        address=organisation.address,
        counts=_counts(organisation.id),
        created_at=organisation.created_at,
        updated_at=organisation.updated_at,
    )


def _contact_out(contact: Contact) -> schemas.Contact:
    return schemas.Contact(
        id=contact.id,
        organisation_id=contact.organisation_id,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        position=contact.position,
        address=contact.address,
        is_primary=contact.is_primary,
        former_employee=contact.former_employee,
        former_note=contact.former_note,
        user_id=contact.user_id,
        created_at=contact.created_at,
    )


@operation(
    bp,
    "GET",
    "/organisations/<int:organisation_id>/contacts",
    summary="List an organisation's contacts",
    tag=TAG,
    scope="customers:read",
    response=schemas.ContactList,
)
def list_contacts(organisation_id: int) -> schemas.ContactList:
    """Everyone on record at the organisation, former employees marked."""
    organisation = _organisation(organisation_id)
    return schemas.ContactList(
        items=[_contact_out(c) for c in contacts.organisation_contacts(organisation.id)]
    )


def _values(contact: Contact, body: schemas.ContactUpdate) -> contacts.ContactInput:
    """The contact as it is, with the fields sent replacing theirs."""
    sent = body.model_fields_set

    def value(name: str):
        return getattr(body, name) if name in sent else getattr(contact, name)

    return contacts.ContactInput(
        name=value("name"),
        email=value("email") or "",
        phone=value("phone") or "",
        position=value("position") or "",
        address=value("address") or "",
        is_primary=bool(value("is_primary")),
    )


DETAILS = frozenset({"name", "email", "phone", "position", "address", "is_primary"})


def _check_former(contact: Contact, body: schemas.ContactUpdate) -> None:
    """Refuse what cannot be done together, before anything is saved."""
    becoming_former = body.former is True and not contact.former_employee
    if body.former_note is not None and not becoming_former:
        message = (
            f"{contact.name} is already a former employee: the description stays."
            if contact.former_employee
            else "Send former_note together with former: true."
        )
        raise Problem(422, message, errors=[{"field": "former_note", "message": message}])
    stays_former = contact.former_employee and body.former is not False
    if body.is_primary and (becoming_former or stays_former):
        message = "A former employee cannot be the primary contact."
        raise Problem(422, message, errors=[{"field": "is_primary", "message": message}])


@operation(
    bp,
    "PATCH",
    "/organisations/<int:organisation_id>/contacts/<int:contact_id>",
    summary="Change a contact",
    tag=TAG,
    scope="customers:write",
    body=schemas.ContactUpdate,
    response=schemas.Contact,
)
def update_contact(
    organisation_id: int, contact_id: int, body: schemas.ContactUpdate
) -> schemas.Contact:
    """Change the fields sent, e.g. a new e-mail address; `former` marks someone who left (or
    undoes it). Agents and administrators keep contacts; each change is audited."""
    _may(CONTACT_KEEPERS, "change contacts")
    user = _user()
    organisation = _organisation(organisation_id)
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.organisation_id != organisation.id:
        raise Problem(404, f"Organisation {organisation_id} has no contact {contact_id}.")
    _check_former(contact, body)
    ip = request.remote_addr
    try:
        if body.former is False and contact.former_employee:
            contacts.mark_current(actor=user, contact=contact, ip_address=ip)
        if DETAILS & body.model_fields_set:
            contacts.save_contact(
                actor=user,
                organisation=organisation,
                values=_values(contact, body),
                contact=contact,
                ip_address=ip,
            )
        if body.former is True and not contact.former_employee:
            contacts.mark_former(
                actor=user, contact=contact, note=body.former_note or "", ip_address=ip
            )
    except ServiceError as error:
        db.session.rollback()
        raise refused(error, FIELD_NAMES) from None
    db.session.refresh(contact)
    return _contact_out(contact)


def _customer(user_id: int) -> User:
    found = db.session.get(User, user_id)
    if found is None or found.role != Role.CUSTOMER:
        raise Problem(404, f"There is no customer login {user_id}.")
    return found


def _customer_out(found: User) -> schemas.Customer:
    organisation = db.session.get(Organisation, found.organisation_id)
    return schemas.Customer(
        id=found.id,
        name=found.name,
        email=found.email,
        phone=found.phone,
        organisation=NamedRef(id=organisation.id, name=organisation.name),
        active=found.active,
        time_zone=found.time_zone,
        created_at=found.created_at,
        last_login_at=found.last_login_at,
        url=_profile_url(organisation.id),
    )


@operation(
    bp,
    "GET",
    "/customers/<int:user_id>",
    summary="Get a customer login",
    tag=TAG,
    scope="customers:read",
    response=schemas.Customer,
)
def get_customer(user_id: int) -> schemas.Customer:
    """A customer's login: name, e-mail, phone, organisation. Staff logins are not customers
    (404)."""
    return _customer_out(_customer(user_id))


@operation(
    bp,
    "PATCH",
    "/customers/<int:user_id>",
    summary="Change a customer login",
    tag=TAG,
    scope="customers:write",
    body=schemas.CustomerUpdate,
    response=schemas.Customer,
)
def update_customer(user_id: int, body: schemas.CustomerUpdate) -> schemas.Customer:
    """Change the login's name or phone, as on the customer's profile in the system manager
    (billing staff and administrators); the change is on the profile's change log. The
    e-mail address and password stay the customer's own."""
    _may(CUSTOMER_EDITORS, "change customer logins")
    found = _customer(user_id)
    sent = body.model_fields_set
    try:
        customers.update_login(
            found.id,
            actor=_user(),
            name=body.name if "name" in sent else found.name,
            phone=(body.phone or "") if "phone" in sent else (found.phone or ""),
            ip_address=request.remote_addr,
        )
    except ServiceError as error:
        db.session.rollback()
        raise refused(error, FIELD_NAMES) from None
    db.session.refresh(found)
    return _customer_out(found)
