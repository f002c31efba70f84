"""Forms of the payment manager's account tools: card check, plans, statements, shipments."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from helpdesk.rules.card_check import expiry_year
from helpdesk.rules.cards import normalise_pan
from helpdesk.rules.shipments import CARRIER_MAX, TRACKING_MAX
from helpdesk.services.billing.shipments import ALL, NOT_SHIPPED
from helpdesk.web.forms import DateField, IntegerField

# Room for 19 digits with separators; anything longer is not a card number.
CARD_INPUT_MAX = 40
ENABLE = "enable"
DISABLE = "disable"
MONTH_MESSAGE = "Enter the month on the card, 1 to 12."
YEAR_MESSAGE = "Enter the year on the card, e.g. 2030 or 30."


class CardCheckForm(FlaskForm):
    """A card to check. No CVV: a check never needs it, and PCI DSS forbids keeping it."""

    # Never re-rendered with the number (see account_views.card_check): the value is used once.
    number = StringField(
        "Card number",
        validators=[DataRequired("Enter the card number."), Length(max=CARD_INPUT_MAX)],
        render_kw={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"},
    )
    exp_month = IntegerField(
        "Expiry month",
        validators=[InputRequired(MONTH_MESSAGE)],
        invalid_value_message=MONTH_MESSAGE,
        render_kw={"type": "text", "inputmode": "numeric", "placeholder": "MM", "size": 3},
    )
    exp_year = IntegerField(
        "Expiry year",
        validators=[InputRequired(YEAR_MESSAGE)],
        invalid_value_message=YEAR_MESSAGE,
        render_kw={"type": "text", "inputmode": "numeric", "placeholder": "YYYY", "size": 5},
    )

    def validate_number(self, field: StringField) -> None:
        try:
            normalise_pan(field.data)
        except ValueError as error:  # the rule's messages never contain the number
            raise ValidationError(str(error)) from None

    def validate_exp_month(self, field: IntegerField) -> None:
        if field.data is not None and not 1 <= field.data <= 12:
            raise ValidationError(MONTH_MESSAGE)

    def validate_exp_year(self, field: IntegerField) -> None:
        if field.data is None:
            return  # not a number: the field already says so
        try:
            expiry_year(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def forget_number(self) -> None:
        """Drop the typed number so no re-rendered field or later code can carry it."""
        self.number.data = None
        self.number.raw_data = None


class PlanChangeForm(FlaskForm):
    """Enable or disable one recurring payment or subscription from a date."""

    action = SelectField(
        "Change",
        choices=[SelectChoice(ENABLE, "Enable"), SelectChoice(DISABLE, "Disable")],
        validators=[DataRequired("Choose enable or disable.")],
    )
    effective_on = DateField(
        "Effective from",
        validators=[InputRequired("Enter the date the change takes effect.")],
    )

    @property
    def enabled(self) -> bool:
        return self.action.data == ENABLE


class StatementFilterForm(Form):
    """GET filters of the statements: the period the invoices were paid in."""

    date_from = DateField("Paid from", validators=[Optional()])
    date_to = DateField("Paid to", validators=[Optional()])


SHIPMENT_STATUS_CHOICES = [
    SelectChoice(NOT_SHIPPED, "Not yet shipped"),
    SelectChoice("pending", "Pending"),
    SelectChoice("packed", "Packed"),
    SelectChoice("shipped", "Shipped"),
    SelectChoice(ALL, "All"),
]


class ShipmentFilterForm(Form):
    """GET filter of the shipment queue; an unknown status falls back to "not yet shipped"."""

    status = SelectField(
        "Status", choices=SHIPMENT_STATUS_CHOICES, default=NOT_SHIPPED, validators=[Optional()]
    )


class PackForm(FlaskForm):
    """Mark a shipment packed (the CSRF token is all it carries)."""


class ShipForm(FlaskForm):
    """Mark a shipment shipped: the carrier and its tracking number are required."""

    carrier = StringField(
        "Carrier",
        validators=[DataRequired("Enter the carrier, e.g. UPS."), Length(max=CARRIER_MAX)],
        render_kw={"size": 10, "maxlength": CARRIER_MAX, "placeholder": "UPS"},
    )
    tracking_number = StringField(
        "Tracking number",
        validators=[
            DataRequired("Enter the tracking number the carrier gave."),
            Length(max=TRACKING_MAX),
        ],
        render_kw={"size": 18, "maxlength": TRACKING_MAX, "autocomplete": "off"},
    )
