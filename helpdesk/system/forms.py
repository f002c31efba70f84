"""System manager forms: customer profile edit, reset link, new login, FRAUD-STOP, blocklists."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from helpdesk.rules.numbers import strict_int
from helpdesk.services.accounts import customer_accounts
from helpdesk.services.accounts.customers import ADDRESS_MAX, NAME_MAX, PARTNER_MAX, PHONE_MAX
from helpdesk.services.fraud.fraud import REASON_MAX

REASON_REQUIRED = "Give a reason."


def _reason(label: str = "Reason", **kwargs) -> StringField:
    return StringField(
        label, validators=[DataRequired(REASON_REQUIRED), Length(max=REASON_MAX)], **kwargs
    )


class NumberForm(Form):
    """One service number row (a plain Form: the outer form carries the CSRF token)."""

    id = HiddenField()
    number = StringField("Number", validators=[Optional(), Length(max=PHONE_MAX)])
    forward_to = StringField("Forward to", validators=[Optional(), Length(max=PHONE_MAX)])
    remove = BooleanField("Remove")


class CustomerEditForm(FlaskForm):
    """The editable part of a customer profile."""

    name = StringField(
        "Company name", validators=[DataRequired("Enter the company name."), Length(max=NAME_MAX)]
    )
    partner_id = StringField("Partner ID", validators=[Optional(), Length(max=PARTNER_MAX)])
    phone = StringField("Phone", validators=[Optional(), Length(max=PHONE_MAX)])
    address = TextAreaField("Address", validators=[Optional(), Length(max=ADDRESS_MAX)])
    time_zone = SelectField("Time zone", validators=[DataRequired()])
    numbers = FieldList(FormField(NumberForm), min_entries=0, max_entries=200)


class ResetLinkForm(FlaskForm):
    """Mail a password-reset link to one of the customer's logins."""

    user_id = SelectField("Login", coerce=strict_int, validators=[DataRequired("Choose a login.")])


class OpenAccountForm(FlaskForm):
    """A new login for the customer; it is mailed a link to choose its own password."""

    name = StringField(
        "Name",
        validators=[
            DataRequired("Enter the person's name."),
            Length(max=customer_accounts.NAME_MAX),
        ],
    )
    email = EmailField(
        "E-mail",
        validators=[
            DataRequired("Enter the e-mail address."),
            Length(max=customer_accounts.EMAIL_MAX),
        ],
    )
    phone = StringField("Phone (optional)", validators=[Optional(), Length(max=PHONE_MAX)])


class FraudStopForm(FlaskForm):
    """The red button: block every address and card of this customer."""

    # Its own id: on a payment page it sits next to the refund form's "reason", and a shared
    # id sent its label (and screen readers) to the refund's field.
    reason = _reason(id="fraud-stop-reason")


class BlockIPForm(FlaskForm):
    """Add an address or CIDR range to the blocklist."""

    network = StringField(
        "IP address or range",
        validators=[DataRequired("Enter an IP address or range."), Length(max=100)],
        description="e.g. 198.51.100.7, 203.0.113.0/24, 2001:db8::/32 or ::ffff:192.0.2.1",
    )
    reason = _reason()


class BlockCardForm(FlaskForm):
    """Add a card to the blocklist; the number is hashed and forgotten, never shown again."""

    # A password input: the number is never written back into a re-rendered form.
    number = PasswordField(
        "Card number",
        validators=[DataRequired("Enter the card number."), Length(max=40)],
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
        description="Kept only as a keyed fingerprint with the brand and last four digits.",
    )
    reason = _reason()


class UnblockForm(FlaskForm):
    """Lift a block: the reason is required and kept."""

    reason = _reason("Reason for unblocking")
