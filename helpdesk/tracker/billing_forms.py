"""Forms of the case page's billing panel, and the composer of staff who only add notes."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from helpdesk.billing.forms import RefundForm, new_idempotency_key
from helpdesk.rules.send_status import AfterSend
from helpdesk.services.billing.shipments import REASON_MAX
from helpdesk.tracker.forms import MessageForm

NOTES_ONLY = "Billing staff add private notes here: the case's agent answers the customer."


class NoteOnlyForm(MessageForm):
    """The composer for billing staff: a private note, and the case's status left alone."""

    kind = RadioField(
        "Send as",
        choices=[SelectChoice("note", "Private note (staff only)")],
        default="note",
        validate_choice=False,
    )
    then = SelectField(
        "Status after sending",
        choices=[SelectChoice(AfterSend.USUAL.value, "and keep the status")],
        default=AfterSend.USUAL.value,
        validate_choice=False,
    )

    def validate_kind(self, field: RadioField) -> None:
        if field.data != "note":
            raise ValidationError(NOTES_ONLY)

    def validate_then(self, field: SelectField) -> None:
        if (field.data or AfterSend.USUAL.value) != AfterSend.USUAL.value:
            raise ValidationError("A note from billing leaves the case's status as it is.")


def refund_form(payment_id: int, card_label: str | None, *, posted: bool = False) -> RefundForm:
    """The payment manager's refund form for one payment of the case (its own field ids)."""
    prefix = f"refund-{payment_id}"
    if posted:
        return RefundForm(card_label=card_label, prefix=prefix)
    form = RefundForm(formdata=None, card_label=card_label, prefix=prefix)
    form.destination.data = form.destination.choices[0].value
    form.idempotency_key.data = new_idempotency_key()
    return form


class ReshipForm(FlaskForm):
    reason = TextAreaField(
        "Why it is sent again",
        validators=[DataRequired("Say why the parcel is sent again."), Length(max=REASON_MAX)],
        description="For example: lost by the carrier, arrived broken.",
        render_kw={"rows": 2, "maxlength": REASON_MAX},
    )
    idempotency_key = HiddenField()


def reship_form(shipment_id: int, *, posted: bool = False) -> ReshipForm:
    """The replacement form of one shipment of the case (its own field ids, a new key)."""
    prefix = f"reship-{shipment_id}"
    if posted:
        return ReshipForm(prefix=prefix)
    form = ReshipForm(formdata=None, prefix=prefix)
    form.idempotency_key.data = new_idempotency_key()
    return form
