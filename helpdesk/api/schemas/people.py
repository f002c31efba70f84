"""Organisations, their contacts and customer logins through the API."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from helpdesk.api.schemas.common import Cursor, NamedRef, PageSize, Strict, UtcTime
from helpdesk.api.schemas.text import line, not_null, text

Name = line(120, min_length=1)
Search = line(100, min_length=1)
Email = line(254)
Position = line(120)
Address = text(2000)
FormerNote = line(200, min_length=1)
Phone = Annotated[
    str,
    Field(
        max_length=40,
        pattern=r"^[0-9 ().+/-]*$",
        description="Digits, spaces and + ( ) - / only; empty or null clears it.",
    ),
]


class OrganisationListQuery(Strict):
    q: Search | None = Field(
        default=None, description="Part of the name or of the customer number."
    )
    limit: PageSize = 25
    cursor: Cursor = None


class OrganisationSummary(BaseModel):
    id: int
    name: str
    customer_number: str
    time_zone: str
    after_hours_support: bool = Field(description="May call outside business hours.")
    url: str = Field(description="The customer's profile in the browser.")


class OrganisationCounts(BaseModel):
    contacts: int = Field(description="Current contacts (former employees not counted).")
    former_contacts: int
    logins: int = Field(description="Customer logins of the organisation.")
    open_cases: int = Field(description="Cases not closed (merged ones not counted).")
    orders: int


class OrganisationDetail(OrganisationSummary):
    partner_id: str | None
    is_reseller: bool
    reseller: NamedRef | None = Field(description="The reseller this customer buys through.")
    phone: str | None
    address: str | None
    counts: OrganisationCounts
    created_at: UtcTime
    updated_at: UtcTime


class OrganisationPage(BaseModel):
    items: list[OrganisationSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last.")


class Contact(BaseModel):
    id: int
    organisation_id: int
    name: str
    email: str | None
    phone: str | None
    position: str | None
    address: str | None
    is_primary: bool
    former_employee: bool = Field(description="Left the organisation; kept on record.")
    former_note: str | None = Field(description="E.g. “former accountant”.")
    user_id: int | None = Field(description="The customer login this contact is, if any.")
    created_at: UtcTime


class ContactList(BaseModel):
    items: list[Contact] = Field(
        description="Current contacts first (the primary one first, then by name), former "
        "employees after them; at most 200."
    )


class ContactUpdate(Strict):
    """Only the fields sent change; null (or "") clears email, phone, position and address."""

    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    position: Position | None = None
    address: Address | None = None
    is_primary: bool | None = Field(
        default=None, description="One primary contact per organisation: the other is unmarked."
    )
    former: bool | None = Field(
        default=None,
        description="`true` marks a former employee (no longer primary nor a correspondent); "
        "`false` makes them a current contact again.",
    )
    former_note: FormerNote | None = Field(
        default=None,
        description="With `former: true`: how they are described (default “former <position>”).",
    )

    refuse_null = field_validator("name", "is_primary", "former")(not_null)


class Customer(BaseModel):
    """A customer's login: who they are, never their password or second factor."""

    id: int
    name: str
    email: str
    phone: str | None
    organisation: NamedRef
    active: bool
    time_zone: str | None = Field(description="Null: the business time zone.")
    created_at: UtcTime
    last_login_at: UtcTime | None
    url: str = Field(description="The organisation's profile in the browser.")


class CustomerUpdate(Strict):
    """Only the fields sent change; `phone: null` (or "") clears the number."""

    name: Name | None = None
    phone: Phone | None = None

    refuse_null = field_validator("name")(not_null)
