"""More people on a case (issue 19 item 5): colleagues of the customer CC'd on it get every
public reply too. Only addresses of the case's own organisation (its logins and current
contacts) can be added, from the portal, the case page or the Cc of an e-mail; a stranger's
address never is.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from helpdesk.extensions import db
from helpdesk.models import ActivityKind, Case, CaseCc, Contact, Organisation, User, utcnow
from helpdesk.services import ServiceError
from helpdesk.services.cases.casework import log_activity, touch

MAX_CC = 20


def addresses(case: Case) -> list[str]:
    """The case's CC addresses, alphabetically."""
    return list(
        db.session.scalars(
            sa.select(CaseCc.email).where(CaseCc.case_id == case.id).order_by(CaseCc.email)
        )
    )


def organisation_addresses(organisation_id: int) -> set[str]:
    """Every address that speaks for the organisation: its logins and current contacts."""
    users = db.session.scalars(
        sa.select(User.email).where(User.organisation_id == organisation_id, User.active)
    )
    contacts = db.session.scalars(
        sa.select(Contact.email).where(
            Contact.organisation_id == organisation_id,
            Contact.email.is_not(None),
            Contact.former_employee.is_(False),
        )
    )
    return {address.lower() for address in (*users, *contacts) if address}


def _primary(case: Case) -> set[str]:
    """Who gets the replies anyway: the requester and the correspondent."""
    found = {case.correspondent_email, case.requester.email if case.requester else None}
    return {address.lower() for address in found if address}


def _normalised(entered: str) -> str:
    try:
        return validate_email(
            (entered or "").strip(), check_deliverability=False
        ).normalized.lower()
    except EmailNotValidError:
        raise ServiceError("Type an e-mail address, e.g. sam@example.com.", field="email") from None


def add(actor: User | None, case: Case, entered: str) -> str:
    """CC one person of the case's organisation; commit. The address added."""
    address = _normalised(entered)
    if address not in organisation_addresses(case.organisation_id):
        name = db.session.get(Organisation, case.organisation_id).name
        raise ServiceError(
            f"{address} is not a login or current contact of {name}: only they can be CC'd.",
            field="email",
        )
    if address in _primary(case) or address in addresses(case):
        raise ServiceError(f"{address} gets this case's replies already.", field="email")
    if len(addresses(case)) >= MAX_CC:
        raise ServiceError(f"A case has at most {MAX_CC} people in CC.", field="email")
    _record(actor, case, address)
    db.session.commit()
    return address


def _record(actor: User | None, case: Case, address: str) -> None:
    db.session.add(CaseCc(case_id=case.id, email=address, added_by_id=actor.id if actor else None))
    log_activity(case, actor, ActivityKind.MAIL, f"CC added: {address}", utcnow())
    touch(case, utcnow())


def remove(actor: User, case: Case, entered: str) -> None:
    """Stop CC'ing someone; commit."""
    address = (entered or "").strip().lower()
    gone = db.session.execute(
        sa.delete(CaseCc).where(CaseCc.case_id == case.id, CaseCc.email == address)
    ).rowcount
    if gone:
        log_activity(case, actor, ActivityKind.MAIL, f"CC removed: {address}", utcnow())
        touch(case, utcnow())
    db.session.commit()


def from_mail(case: Case, copied: Iterable[str], *, ignore: Iterable[str] = ()) -> list[str]:
    """The organisation's addresses in an e-mail's Cc, added to the case (strangers are not);
    no commit. The addresses added."""
    known = organisation_addresses(case.organisation_id)
    skip = {a.lower() for a in ignore} | _primary(case) | set(addresses(case))
    added = []
    for address in dict.fromkeys(a.lower() for a in copied):
        if address in known and address not in skip and len(added) + len(skip) < MAX_CC + 2:
            _record(None, case, address)
            added.append(address)
    return added
