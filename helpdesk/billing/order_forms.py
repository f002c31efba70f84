"""Order and promotion forms: the order filters, placing an order, promotions."""

from __future__ import annotations

from collections.abc import Iterable

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
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from helpdesk.billing.forms import new_idempotency_key
from helpdesk.billing.money import parse_amount
from helpdesk.models import OrderStatus, PaymentCard, Product
from helpdesk.rules.promotions import CODE_MAX
from helpdesk.services.billing.orders import (
    DESCRIPTION_MAX,
    INVOICE,
    MAX_QUANTITY,
    NAME_MAX,
    PREPAID,
    card_label,
)
from helpdesk.web.filters import money
from helpdesk.web.forms import DateField


class OrderFilterForm(Form):
    """GET filters of the order list; an invalid value is reported and ignored."""

    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    customer = StringField("Customer", validators=[Optional(), Length(max=200)])
    product = SelectField("Product", validators=[Optional()])
    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Any status")]
        + [SelectChoice(s.value, s.value) for s in OrderStatus],
        validators=[Optional()],
    )

    def __init__(self, formdata, *, product_names: Iterable[str]) -> None:
        super().__init__(formdata)
        self.product.choices = [SelectChoice("", "Any product")] + [
            SelectChoice(name, name) for name in product_names
        ]


def _whole_number(text: str | None, low: int, high: int, message: str) -> int:
    typed = (text or "").strip()
    if not (typed.isascii() and typed.isdigit()) or not low <= int(typed) <= high:
        raise ValidationError(message)
    return int(typed)


class PlaceOrderForm(FlaskForm):
    product = SelectField("Product", validators=[DataRequired("Choose a product.")])
    quantity = StringField(
        "Quantity",
        default="1",
        validators=[DataRequired("Enter a quantity.")],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "size": 4},
    )
    promotion_code = StringField(
        "Promotion code (optional)",
        validators=[Optional(), Length(max=CODE_MAX)],
        description="Applied when the customer is eligible for it on this product today.",
        render_kw={"autocomplete": "off", "maxlength": CODE_MAX},
    )
    pay_with = RadioField("Pay with", validators=[DataRequired("Choose how the order is paid.")])
    idempotency_key = HiddenField()

    quantity_value: int | None = None

    def __init__(
        self,
        *args,
        products: Iterable[Product] = (),
        cards: Iterable[PaymentCard] = (),
        prepaid_balance_cents: int = 0,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.product.choices = [SelectChoice("", "Choose a product")] + [
            SelectChoice(
                str(p.id),
                f"{p.name} {p.version} · {money(p.unit_cents)}{' · ships' if p.physical else ''}",
            )
            for p in products
        ]
        self.pay_with.choices = [SelectChoice(f"card:{c.id}", card_label(c)) for c in cards] + [
            SelectChoice(PREPAID, f"Prepaid balance ({money(prepaid_balance_cents)})"),
            SelectChoice(INVOICE, "Invoice: pay later"),
        ]

    @classmethod
    def blank(cls, **choices) -> PlaceOrderForm:
        """An empty form with a new idempotency key, the first way to pay preselected."""
        form = cls(formdata=None, **choices)
        form.pay_with.data = form.pay_with.choices[0].value
        form.idempotency_key.data = new_idempotency_key()
        return form

    def validate_quantity(self, field: StringField) -> None:
        self.quantity_value = _whole_number(
            field.data, 1, MAX_QUANTITY, f"Enter a whole number from 1 to {MAX_QUANTITY}."
        )


class AssignPromotionForm(FlaskForm):
    code = StringField(
        "Promotion code",
        validators=[DataRequired("Enter a promotion code."), Length(max=CODE_MAX)],
        render_kw={"autocomplete": "off", "maxlength": CODE_MAX},
    )


class PromotionForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[DataRequired("Give the code staff will type."), Length(max=CODE_MAX)],
        description="Letters, digits, dashes; stored in capitals, e.g. SPRING-BUNDLE.",
        render_kw={"autocomplete": "off", "maxlength": CODE_MAX},
    )
    name = StringField(
        "Name",
        validators=[DataRequired("Give the promotion a name."), Length(max=NAME_MAX)],
        render_kw={"maxlength": NAME_MAX},
    )
    description = TextAreaField(
        "Description",
        validators=[Optional(), Length(max=DESCRIPTION_MAX)],
        render_kw={"rows": 2, "maxlength": DESCRIPTION_MAX},
    )
    product = SelectField("For", validators=[Optional()])
    percent_off = StringField(
        "Percent off",
        validators=[Optional()],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "placeholder": "15"},
    )
    amount_off = StringField(
        "Or amount off (dollars and cents)",
        validators=[Optional()],
        description="Give one of the two: a percentage, or an amount off the order total.",
        render_kw={"inputmode": "decimal", "autocomplete": "off", "placeholder": "25.00"},
    )
    starts_on = DateField("First day", validators=[InputRequired("Give the first day.")])
    ends_on = DateField("Last day", validators=[InputRequired("Give the last day.")])

    percent_value: int | None = None
    amount_cents: int | None = None

    def __init__(self, *args, products: Iterable[Product] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.product.choices = [SelectChoice("", "Any product")] + [
            SelectChoice(p.code, f"{p.name} {p.version} ({p.code})") for p in products
        ]

    def validate_percent_off(self, field: StringField) -> None:
        if field.data:
            self.percent_value = _whole_number(
                field.data, 1, 100, "Give a whole percentage from 1 to 100."
            )

    def validate_amount_off(self, field: StringField) -> None:
        if field.data:
            try:
                self.amount_cents = parse_amount(field.data)
            except ValueError as error:
                raise ValidationError(str(error)) from None


class ConfirmForm(FlaskForm):
    """A button that changes something: CSRF only."""
