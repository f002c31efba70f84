"""An organisation's contacts, kept current by support (seed 003 "Daylite"): adding people and
their e-mail addresses, changing them, marking someone who left as a former employee
("former <position>"), and making another contact a case's correspondent. Each change writes
an audit row; a correspondent change is also on the case's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import ActivityKind, Case, Contact, Organisation, User, utcnow
from helpdesk.services import ServiceError
from helpdesk.services.accounts.accounts import normalise_email
from helpdesk.services.accounts.customers import phone_number
from helpdesk.services.cases.casework import committed, log_activity, touch
from helpdesk.services.core import audit

NAME_MAX = 120
POSITION_MAX = 120
ADDRESS_MAX = 2000
FORMER_NOTE_MAX = 200
CONTACTS_SHOWN = 200


@dataclass(frozen=True)
class ContactInput:
    """What the agent typed for one contact."""

    name: str
    email: str = ""
    phone: str = ""
    position: str = ""
    address: str = ""
    is_primary: bool = False


def organisation_contacts(organisation_id: int) -> list[Contact]:
    """Current contacts first (primary first, then by name), former employees after them."""
    return list(
        db.session.scalars(
            sa.select(Contact)
            .where(Contact.organisation_id == organisation_id)
            .order_by(Contact.former_employee, Contact.is_primary.desc(), Contact.name, Contact.id)
            .limit(CONTACTS_SHOWN)
        )
    )


def correspondent_choices(organisation_id: int) -> list[Contact]:
    """Who may be a case's correspondent: current contacts with an e-mail address."""
    return [c for c in organisation_contacts(organisation_id) if c.email and not c.former_employee]


def former_note_for(position: str | None) -> str:
    """Seed 003: the description of someone who left is "former <their position>"."""
    position = " ".join((position or "").split())
    return f"former {position[:1].lower()}{position[1:]}" if position else "former employee"


def _line(value: str | None, label: str, field: str, limit: int, required: bool = False) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise ServiceError(f"Enter the {label}.", field=field)
    if len(value) > limit:
        raise ServiceError(f"Use at most {limit} characters.", field=field)
    return value


def _cleaned(values: ContactInput) -> dict:
    address = (values.address or "").strip().replace("\x00", "")
    if len(address) > ADDRESS_MAX:
        raise ServiceError(f"Use at most {ADDRESS_MAX} characters.", field="address")
    email = (values.email or "").strip()
    return {
        "name": _line(values.name, "name", "name", NAME_MAX, required=True),
        "email": normalise_email(email) if email else None,
        "phone": phone_number(values.phone, "phone"),
        "position": _line(values.position, "position", "position", POSITION_MAX) or None,
        "address": address or None,
        "is_primary": bool(values.is_primary),
    }


def _check_email_free(organisation_id: int, email: str | None, contact_id: int | None) -> None:
    if not email:
        return
    taken = db.session.scalar(
        sa.select(Contact.name).where(
            Contact.organisation_id == organisation_id,
            sa.func.lower(Contact.email) == email,
            Contact.id != (contact_id or 0),
        )
    )
    if taken:
        raise ServiceError(f"{taken} already has this e-mail address.", field="email")


def _only_primary(contact: Contact) -> None:
    db.session.execute(
        sa.update(Contact)
        .where(
            Contact.organisation_id == contact.organisation_id,
            Contact.id != contact.id,
            Contact.is_primary,
        )
        .values(is_primary=False)
    )


def save_contact(
    *,
    actor: User,
    organisation: Organisation,
    values: ContactInput,
    contact: Contact | None = None,
    ip_address: str | None = None,
) -> Contact:
    """Add a contact (`contact` None) or change one, e.g. their new e-mail address; commit.

    One primary contact per organisation: making this one primary unmarks the other.
    """
    if contact is not None and contact.organisation_id != organisation.id:
        raise ServiceError("This contact belongs to another organisation.")
    cleaned = _cleaned(values)
    _check_email_free(organisation.id, cleaned["email"], contact.id if contact else None)
    if contact is not None and contact.former_employee and cleaned["is_primary"]:
        raise ServiceError("A former employee cannot be the primary contact.", field="is_primary")

    def write(files) -> Contact:
        saved = contact or Contact(organisation_id=organisation.id)
        changes = [
            {"field": name, "before": getattr(saved, name, None), "after": value}
            for name, value in cleaned.items()
            if contact is None or (getattr(saved, name) or None) != (value or None)
        ]
        for name, value in cleaned.items():
            setattr(saved, name, value)
        db.session.add(saved)
        db.session.flush()
        if saved.is_primary:
            _only_primary(saved)
        if changes:
            audit.record(
                "contact.add" if contact is None else "contact.update",
                actor=actor,
                obj=saved,
                organisation_id=organisation.id,
                ip_address=ip_address,
                name=saved.name,
                changes=changes,
            )
        return saved

    return committed(write)


def mark_former(
    *, actor: User, contact: Contact, note: str = "", ip_address: str | None = None
) -> Contact:
    """Someone left the organisation: kept on record, marked "former <position>", no longer
    primary nor offered as a correspondent; commit."""
    if contact.former_employee:
        raise ServiceError(f"{contact.name} is already marked as a former employee.")
    note = _line(note, "description", "note", FORMER_NOTE_MAX) or former_note_for(contact.position)

    def write(files) -> Contact:
        contact.former_employee = True
        contact.former_note = note
        contact.is_primary = False
        audit.record(
            "contact.former",
            actor=actor,
            obj=contact,
            organisation_id=contact.organisation_id,
            ip_address=ip_address,
            name=contact.name,
            note=note,
        )
        return contact

    return committed(write)


def mark_current(*, actor: User, contact: Contact, ip_address: str | None = None) -> Contact:
    """Undo "former employee" (marked by mistake, or they came back); commit."""
    if not contact.former_employee:
        raise ServiceError(f"{contact.name} is not marked as a former employee.")

    def write(files) -> Contact:
        contact.former_employee = False
        contact.former_note = None
        audit.record(
            "contact.current",
            actor=actor,
            obj=contact,
            organisation_id=contact.organisation_id,
            ip_address=ip_address,
            name=contact.name,
        )
        return contact

    return committed(write)


def change_correspondent(
    *,
    actor: User,
    case: Case,
    contact_id: int | None,
    now: datetime | None = None,
    ip_address: str | None = None,
) -> Contact:
    """Seed 003: the case's correspondent (who our answers go to) becomes another current
    contact of its organisation; logged on the case and in the audit trail; commit."""
    contact = db.session.get(Contact, contact_id) if contact_id else None
    if contact is None or contact.organisation_id != case.organisation_id:
        raise ServiceError("Choose a contact of this organisation.", field="contact_id")
    if contact.former_employee:
        raise ServiceError(
            f"{contact.name} has left the organisation ({contact.former_note}).",
            field="contact_id",
        )
    if not contact.email:
        raise ServiceError(
            f"{contact.name} has no e-mail address: add one to their contact first.",
            field="contact_id",
        )
    before = case.correspondent_email
    if (before or "").lower() == contact.email.lower():
        raise ServiceError(f"{contact.name} is already the correspondent.", field="contact_id")
    at = now or utcnow()

    def write(files) -> Contact:
        case.correspondent_email = contact.email
        log_activity(
            case,
            actor,
            ActivityKind.ACTION,
            f"Correspondent changed from {before or 'nobody'} to {contact.name} <{contact.email}>",
            at,
        )
        touch(case, at)
        audit.record(
            "case.correspondent",
            actor=actor,
            obj=case,
            organisation_id=case.organisation_id,
            ip_address=ip_address,
            case_number=case.number,
            before=before,
            after=contact.email,
            contact_id=contact.id,
        )
        return contact

    return committed(write)
