"""Demo additions for contacts and remote sessions: organisation addresses for the "use the
organisation's address" shortcut, and a Harbor Theatre case whose correspondent has left."""

from __future__ import annotations

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Case, CaseStatus, Contact, User

ADDRESSES = {
    0: "120 Trailhead Road\nBoulder, CO 80302",  # Northwind Outfitters
    1: "8 Harbor Street\nPortland, ME 04101",  # Harbor Theatre (Hannah Price has left)
}


def load(customers: list[User]) -> None:
    """Give two demo organisations an address, and make the former box office manager the
    correspondent of one open Harbor Theatre case, so the case page shows the warning."""
    for index, address in ADDRESSES.items():
        customers[index].organisation.address = address
    harbor = customers[1].organisation_id
    former = db.session.scalar(
        sa.select(Contact).where(Contact.organisation_id == harbor, Contact.former_employee)
    )
    case = db.session.scalar(
        sa.select(Case)
        .where(Case.organisation_id == harbor, Case.status != CaseStatus.CLOSED)
        .order_by(Case.number)
    )
    if former is not None and former.email and case is not None:
        case.correspondent_email = former.email
