"""Payment manager forms: the refund form and the transaction filters."""

from __future__ import annotations

import secrets

from flask_wtf import FlaskForm
from wtforms import (
    Form,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from helpdesk.billing.money import parse_amount
from helpdesk.models import PaymentMethod, PaymentStatus, RefundDestination
from helpdesk.services.billing.refunds import REASON_MAX
from helpdesk.web.forms import DateField


def new_idempotency_key() -> str:
    """A key for one rendered refund form: its double click or retry reuses it."""
    return secrets.token_urlsafe(32)


class RefundForm(FlaskForm):
    amount = StringField(
        "Amount (dollars and cents)",
        validators=[DataRequired("Enter an amount, e.g. 12.50.")],
        render_kw={"inputmode": "decimal", "autocomplete": "off", "placeholder": "12.50"},
    )
    reason = TextAreaField(
        "Reason",
        validators=[DataRequired("Give the reason for the refund."), Length(max=REASON_MAX)],
        description="The customer reads this in the refund e-mail.",
        render_kw={"rows": 3, "maxlength": REASON_MAX},
    )
    destination = RadioField("Refund to", validators=[DataRequired("Choose where to refund.")])
    idempotency_key = HiddenField()

    amount_cents: int | None = None

    def __init__(self, *args, card_label: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [SelectChoice(RefundDestination.PREPAID.value, "The customer's prepaid balance")]
        if card_label:
            choices.insert(0, SelectChoice(RefundDestination.CARD.value, f"The card: {card_label}"))
        self.destination.choices = choices

    @classmethod
    def blank(cls, card_label: str | None = None) -> RefundForm:
        """An empty form with a new idempotency key (the card preselected when there is one)."""
        form = cls(formdata=None, card_label=card_label)
        form.destination.data = form.destination.choices[0].value
        form.idempotency_key.data = new_idempotency_key()
        return form

    def validate_amount(self, field: StringField) -> None:
        try:
            self.amount_cents = parse_amount(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None


def _choices(enum_cls: type, everything: str) -> list[SelectChoice]:
    return [SelectChoice("", everything)] + [
        SelectChoice(m.value, m.value.replace("_", " ")) for m in enum_cls
    ]


class TransactionFilterForm(Form):
    """GET filters of the transaction list; an invalid value is reported and ignored."""

    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    customer = StringField("Customer", validators=[Optional(), Length(max=200)])
    method = SelectField(
        "Method", choices=_choices(PaymentMethod, "Any method"), validators=[Optional()]
    )
    status = SelectField(
        "Status", choices=_choices(PaymentStatus, "Any status"), validators=[Optional()]
    )
