"""Object guards: the one place that decides who may see which case."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from helpdesk.extensions import db
from helpdesk.models import Attachment, Case, Contact, Message, MessageKind, Role, User

LARGEST_CASE_NUMBER = 2**31 - 1  # cases.number is an INTEGER column


def get_case_or_404(number: int, actor: User) -> Case:
    """The case with this number if `actor` may see it; otherwise 404, never 403, so a
    guessed number does not reveal that the case exists."""
    if not 0 < number <= LARGEST_CASE_NUMBER:  # no such case, and no database can look it up
        abort(404)
    case = db.session.scalar(sa.select(Case).where(Case.number == number))
    if case is None or not can_see_case(case, actor):
        abort(404)
    return case


def can_see_case(case: Case, actor: User) -> bool:
    """Customers see their organisation's cases; agents, billing staff and admins see all
    (what billing staff may do there: helpdesk.rules.billing_access)."""
    if actor.role == Role.CUSTOMER:
        return case.organisation_id == actor.organisation_id
    return actor.role in (Role.AGENT, Role.BILLING, Role.ADMIN)


def get_attachment_or_404(case: Case, attachment_id: int, actor: User) -> Attachment:
    """An attachment of `case` the actor may download (customers: not on private notes, nor
    on mail held as from an unverified sender)."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.case_id != case.id:
        abort(404)
    if actor.role == Role.CUSTOMER and attachment.message_id is not None:
        message = db.session.get(Message, attachment.message_id)
        if message is None or message.kind != MessageKind.REPLY or message.unverified_sender:
            abort(404)
    return attachment


def get_contact_or_404(organisation_id: int, contact_id: int, actor: User) -> Contact:
    """A contact of this organisation, for staff who keep contacts (agents, admins)."""
    if actor.role not in (Role.AGENT, Role.ADMIN):
        abort(404)
    contact = db.session.get(Contact, contact_id) if 0 < contact_id <= LARGEST_CASE_NUMBER else None
    if contact is None or contact.organisation_id != organisation_id:
        abort(404)
    return contact
