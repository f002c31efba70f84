"""Payment manager account tools: card check, plans, statements and the shipment queue."""

from __future__ import annotations

import html as html_lib
import logging
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from helpdesk.billing.account_views import business_today
from helpdesk.extensions import db
from helpdesk.models import (
    AuditLog,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PhoneNumber,
    RecurringKind,
    RecurringPayment,
    Role,
    ServicePlan,
    Shipment,
    ShipmentStatus,
    Subscription,
    User,
)
from helpdesk.services.fraud import fraud
from tests.conftest import as_user, csrf_from, post_form
from tests.factories import make_order, make_organisation, make_user

HTMX = {"HX-Request": "true"}
VISA = "4242424242424242"
VISA_TYPED = "4242 4242 4242 4242"


def errors(html: str) -> list[str]:
    found = re.findall(r'class="error[^"]*"[^>]*>(.*?)</(?:p|span)>', html, re.S)
    return [html_lib.unescape(e).strip() for e in found]


def text(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


@pytest.fixture
def ids(app) -> dict:
    """Summit Hosting with plans, invoices and a shipment; a second customer; staff logins."""
    with app.app_context():
        today = business_today()
        summit = make_organisation(name="Summit Hosting")
        other = make_organisation(name="Other Telecom")
        number = PhoneNumber(organisation_id=summit.id, number="+1 303 555 0199")
        plan = ServicePlan(name="Business Flat 100", monthly_cents=2900)
        db.session.add_all([number, plan])
        db.session.flush()
        flat = RecurringPayment(
            organisation_id=summit.id,
            kind=RecurringKind.FLAT_RATE,
            description="Business Flat 100",
            amount_cents=2900,
            effective_on=today - timedelta(days=90),
            next_charge_on=today + timedelta(days=6),
        )
        porting = RecurringPayment(
            organisation_id=summit.id,
            kind=RecurringKind.NUMBER_PORTING,
            description="Port +1 303 555 0199",
            amount_cents=500,
            enabled=False,
            effective_on=today - timedelta(days=30),
        )
        others = RecurringPayment(
            organisation_id=other.id,
            kind=RecurringKind.MONTHLY_PACKAGE,
            description="Other's package",
            amount_cents=1000,
            effective_on=today - timedelta(days=10),
        )
        subscription = Subscription(
            organisation_id=summit.id,
            plan_id=plan.id,
            phone_number_id=number.id,
            effective_on=today - timedelta(days=90),
        )
        others_subscription = Subscription(
            organisation_id=other.id, plan_id=plan.id, effective_on=today
        )
        db.session.add_all([flat, porting, others, subscription, others_subscription])
        users = {
            role: make_user(role, organisation=summit if role == Role.CUSTOMER else None)
            for role in (Role.BILLING, Role.ADMIN, Role.AGENT, Role.CUSTOMER)
        }
        db.session.flush()
        result = {
            "summit": summit.id,
            "other": other.id,
            "flat": flat.id,
            "porting": porting.id,
            "others_recurring": others.id,
            "subscription": subscription.id,
            "others_subscription": others_subscription.id,
            "billing": users[Role.BILLING].id,
            "billing_name": users[Role.BILLING].name,
            "admin": users[Role.ADMIN].id,
            "agent": users[Role.AGENT].id,
            "customer": users[Role.CUSTOMER].id,
            "today": today,
        }
        db.session.commit()
        return result


@pytest.fixture
def clerk(app, client, ids):
    return as_user(app, client, ids["billing"])


# --- who may see what ---------------------------------------------------------------------


def page_urls(ids: dict) -> list[str]:
    return [
        "/billing/card-check",
        f"/billing/customers/{ids['summit']}/plans",
        f"/billing/customers/{ids['summit']}/statements",
        "/billing/shipments",
    ]


@pytest.mark.parametrize("role", ["billing", "admin"])
def test_billing_staff_and_admins_see_every_page(app, client, ids, role):
    as_user(app, client, ids[role])
    for url in page_urls(ids):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ["agent", "customer"])
def test_agents_and_customers_are_refused(app, client, ids, role):
    as_user(app, client, ids[role])
    for url in page_urls(ids):
        assert client.get(url).status_code == 403, url
    token = csrf_from(client.get("/auth/profile").get_data(as_text=True))
    posted = client.post(
        f"/billing/customers/{ids['summit']}/recurring/{ids['flat']}",
        data={"csrf_token": token, "action": "disable", "effective_on": str(ids["today"])},
    )
    assert posted.status_code == 403
    with app.app_context():
        assert db.session.get(RecurringPayment, ids["flat"]).enabled is True


def test_anonymous_visitors_are_sent_to_log_in(client, ids):
    for url in page_urls(ids):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/auth/login" in response.headers["Location"]


def test_the_payment_manager_links_the_tools(clerk):
    page = clerk.get("/billing/").get_data(as_text=True)
    assert '<a href="/billing/card-check">Check card</a>' in page
    assert '<a href="/billing/shipments">Shipments</a>' in page


# --- check a credit card ------------------------------------------------------------------


def check(client, number: str, month: str = "12", year: str = "2030"):
    data = {"number": number, "exp_month": month, "exp_year": year}
    return post_form(client, "/billing/card-check", data)


def all_rows_text() -> str:
    """Every row of every table, as text: where a leaked card number would show up."""
    dump = []
    for table in db.metadata.sorted_tables:
        dump += [repr(tuple(row)) for row in db.session.execute(sa.select(table)).all()]
    return "\n".join(dump)


def assert_number_forgotten(app, body: str, records: list[logging.LogRecord], *numbers: str):
    with app.app_context():
        stored = all_rows_text()
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in records)
    for number in numbers:
        digits = number.replace(" ", "")
        for where in (body, stored, logged):
            assert number not in where
            assert digits not in where
            assert digits[:12] not in where  # not even seed 002's "first 12 digits"


def test_a_valid_visa_passes_and_the_number_is_forgotten(app, clerk, caplog):
    caplog.set_level(logging.DEBUG)
    response = check(clerk, VISA_TYPED)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Visa •••• 4242 passes every check." in body
    assert "<dt>Check digit (Luhn)</dt><dd>Valid</dd>" in body
    assert "<dt>Expiry 12/2030</dt><dd>Valid</dd>" in body
    assert "<dt>FRAUD-STOP</dt><dd>Not on the blocklist</dd>" in body
    assert re.search(r'<input[^>]*name="number"[^>]*value=""', body)  # rendered empty
    assert 'name="cvv"' not in body.lower() and "cvc" not in body.lower()
    assert_number_forgotten(app, body, caplog.records, VISA_TYPED)


def test_a_luhn_failure_is_reported(app, clerk, caplog):
    caplog.set_level(logging.DEBUG)
    response = check(clerk, "4242424242424241")
    body = text(response)
    assert response.status_code == 200
    assert "Visa •••• 4241 must not be used:" in body
    assert "The check digit does not match" in body
    assert "<dt>Check digit (Luhn)</dt><dd>Invalid</dd>" in body
    assert_number_forgotten(app, body, caplog.records, "4242424242424241")


def test_an_expired_card_is_reported(app, clerk):
    response = check(clerk, "5555 5555 5555 4444", month="1", year="20")
    body = text(response)
    assert "Mastercard •••• 4444 must not be used:" in body
    assert "<dt>Expiry 01/2020</dt><dd>Expired</dd>" in body
    assert "The card has expired." in body


def test_a_blocked_card_shows_the_block(app, clerk, ids, caplog):
    with app.app_context():
        blocker = make_user(Role.ADMIN, name="Frida Fraud")
        fraud.block_card(VISA, actor=blocker, reason="Chargeback ring")
        blocked_on = fraud.is_card_blocked(VISA).created_at
    caplog.set_level(logging.DEBUG)
    response = check(clerk, VISA)
    body = text(response)
    assert "Visa •••• 4242 must not be used:" in body
    assert "<dt>FRAUD-STOP</dt><dd>Blocked</dd>" in body
    # In the clerk's zone (their profile: Denver), in the one format.
    local = blocked_on.replace(tzinfo=UTC).astimezone(ZoneInfo("America/Denver"))
    shown = f"{local.day} {local:%b %Y, %H:%M}"
    assert f"Blocked on {shown} by Frida Fraud: Chargeback ring" in body
    assert_number_forgotten(app, body, caplog.records, VISA)


@pytest.mark.parametrize(
    ("number", "month", "year", "message"),
    [
        ("4242 4242 4242 424X", "12", "2030", "A card number may contain only digits"),
        ("4242 4242", "12", "2030", "A card number has 12 to 19 digits."),
        ("4242424242424242424242", "12", "2030", "A card number has 12 to 19 digits."),
        ("", "12", "2030", "Enter the card number."),
        (VISA, "13", "2030", "Enter the month on the card, 1 to 12."),
        (VISA, "ab", "2030", "Enter the month on the card, 1 to 12."),
        (VISA, "12", "1999", "Enter the year on the card, e.g. 2030 or 30."),
        (VISA, "12", "", "Enter the year on the card, e.g. 2030 or 30."),
    ],
)
def test_malformed_input_is_a_form_error(app, clerk, caplog, number, month, year, message):
    caplog.set_level(logging.DEBUG)
    response = check(clerk, number, month, year)
    body = text(response)
    assert response.status_code == 422
    assert response.headers["Cache-Control"] == "no-store"
    assert message in " ".join(errors(body))
    assert "Enter a card to see the verdict." in body  # no verdict on bad input
    if number:
        assert_number_forgotten(app, body, caplog.records, number)


def test_a_number_in_the_url_is_ignored(clerk):
    body = clerk.get(f"/billing/card-check?number={VISA}&exp_month=12&exp_year=2030")
    assert VISA not in body.get_data(as_text=True)
    assert "Enter a card to see the verdict." in text(body)


# --- recurring payments and service plans -------------------------------------------------


def plans_url(ids: dict, organisation: str = "summit") -> str:
    return f"/billing/customers/{ids[organisation]}/plans"


def change(client, ids, kind: str, row_id: int, action: str, effective_on, **kwargs):
    url = f"/billing/customers/{ids['summit']}/{kind}/{row_id}"
    data = {"action": action, "effective_on": str(effective_on)}
    return post_form(client, url, data, page=plans_url(ids), **kwargs)


def audit_rows(app, action_prefix: str) -> list[AuditLog]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(AuditLog).where(AuditLog.action.startswith(action_prefix))
        ).all()
        db.session.expunge_all()
        return rows


def day_shown(day) -> str:
    """A date as pages write it: "7 Dec 2026"."""
    return f"{day.day} {day:%b %Y}"


def row_of(body: str, row_id: str) -> str:
    return re.search(f'<tr id="{row_id}">(.*?)</tr>', body, re.S).group(1)


def test_plans_page_lists_recurring_payments_and_service_plans(clerk, ids):
    body = text(clerk.get(plans_url(ids)))
    flat = row_of(body, f"recurring-{ids['flat']}")
    assert "Flat-rate plan" in flat and "$29.00" in flat and "Enabled" in flat
    assert day_shown(ids["today"] + timedelta(days=6)) in flat  # next charge
    assert ">Disable</button>" in flat
    porting = row_of(body, f"recurring-{ids['porting']}")
    assert "Number porting" in porting and "Disabled" in porting and ">Enable</button>" in porting
    plan = row_of(body, f"subscription-{ids['subscription']}")
    assert "Business Flat 100" in plan and "+1 303 555 0199" in plan and "$29.00" in plan
    assert "Other's package" not in body  # another customer's


def test_disabling_a_recurring_payment_from_a_later_date(app, clerk, ids):
    when = ids["today"] + timedelta(days=3)
    response = change(clerk, ids, "recurring", ids["flat"], "disable", when)
    assert response.status_code == 303
    assert f"Business Flat 100 is disabled from {day_shown(when)}." in text(
        clerk.get(plans_url(ids))
    )
    with app.app_context():
        row = db.session.get(RecurringPayment, ids["flat"])
        assert (row.enabled, row.effective_on, row.next_charge_on) == (False, when, None)
    [entry] = audit_rows(app, "recurring_payment.")
    assert entry.action == "recurring_payment.disable"
    assert entry.actor_id == ids["billing"] and entry.organisation_id == ids["summit"]
    assert entry.details["before"] == {
        "enabled": True,
        "effective_on": str(ids["today"] - timedelta(days=90)),
        "next_charge_on": str(ids["today"] + timedelta(days=6)),
    }
    assert entry.details["after"] == {
        "enabled": False,
        "effective_on": str(when),
        "next_charge_on": None,
    }


def test_enabling_with_htmx_swaps_just_the_row(app, clerk, ids):
    today = ids["today"]
    response = change(clerk, ids, "recurring", ids["porting"], "enable", today, headers=HTMX)
    body = text(response)
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="recurring-{ids["porting"]}">')
    assert "<html" not in body and "Enabled" in body and "Saved." in body
    with app.app_context():
        row = db.session.get(RecurringPayment, ids["porting"])
        assert (row.enabled, row.effective_on, row.next_charge_on) == (True, today, today)
    assert [e.action for e in audit_rows(app, "recurring_payment.")] == ["recurring_payment.enable"]


def test_a_date_in_the_past_is_refused(app, clerk, ids):
    yesterday = ids["today"] - timedelta(days=1)
    response = change(clerk, ids, "recurring", ids["flat"], "disable", yesterday)
    assert response.status_code == 422
    assert f"Choose today ({day_shown(ids['today'])}) or a later date" in " ".join(
        errors(text(response))
    )
    htmx = change(
        clerk, ids, "subscriptions", ids["subscription"], "disable", yesterday, headers=HTMX
    )
    assert htmx.status_code == 200  # htmx swaps no 4xx answer: the row shows the error
    assert text(htmx).lstrip().startswith(f'<tr id="subscription-{ids["subscription"]}">')
    assert "a change cannot take effect in the past" in " ".join(errors(text(htmx)))
    assert f'value="{yesterday}"' in text(htmx)  # what was typed is kept
    with app.app_context():
        assert db.session.get(RecurringPayment, ids["flat"]).enabled is True
        assert db.session.get(Subscription, ids["subscription"]).enabled is True
    assert audit_rows(app, "recurring_payment.") == audit_rows(app, "subscription.") == []


def test_a_missing_or_invalid_date_is_a_form_error(clerk, ids):
    for typed in ("", "next week"):
        response = change(clerk, ids, "recurring", ids["flat"], "disable", typed)
        assert response.status_code == 422
        assert errors(text(response))


def test_a_change_that_changes_nothing_is_refused(app, clerk, ids):
    moved = change(clerk, ids, "recurring", ids["porting"], "disable", ids["today"])
    assert moved.status_code == 303  # the same state from a new date is a change
    again = change(clerk, ids, "recurring", ids["porting"], "disable", ids["today"])
    assert again.status_code == 422
    assert f"already disabled from {day_shown(ids['today'])}" in " ".join(errors(text(again)))
    assert len(audit_rows(app, "recurring_payment.")) == 1


def test_disabling_a_service_plan(app, clerk, ids):
    when = ids["today"] + timedelta(days=14)
    response = change(clerk, ids, "subscriptions", ids["subscription"], "disable", when)
    assert response.status_code == 303
    with app.app_context():
        row = db.session.get(Subscription, ids["subscription"])
        assert (row.enabled, row.effective_on) == (False, when)
    [entry] = audit_rows(app, "subscription.")
    assert entry.action == "subscription.disable" and entry.actor_id == ids["billing"]
    assert entry.details["before"]["enabled"] is True
    assert entry.details["after"] == {"enabled": False, "effective_on": str(when)}


def test_another_customers_plan_is_not_found_here(app, clerk, ids):
    today = ids["today"]
    assert (
        change(clerk, ids, "recurring", ids["others_recurring"], "disable", today).status_code
        == 404
    )
    assert (
        change(
            clerk, ids, "subscriptions", ids["others_subscription"], "disable", today
        ).status_code
        == 404
    )
    assert change(clerk, ids, "recurring", 999999, "disable", today).status_code == 404
    assert clerk.get("/billing/customers/999999/plans").status_code == 404
    with app.app_context():
        assert db.session.get(RecurringPayment, ids["others_recurring"]).enabled is True
        assert db.session.get(Subscription, ids["others_subscription"]).enabled is True


# --- statements ---------------------------------------------------------------------------


def make_invoice(organisation_id: int, number: str, paid_at: datetime | None, **overrides):
    invoice = Invoice(
        **{
            "number": number,
            "organisation_id": organisation_id,
            "status": InvoiceStatus.PAID if paid_at else InvoiceStatus.OPEN,
            "issued_on": (paid_at or datetime(2026, 1, 1)).date() - timedelta(days=2),
            "due_on": (paid_at or datetime(2026, 1, 1)).date() + timedelta(days=12),
            "paid_at": paid_at,
            "total_cents": 10_000,
            **overrides,
        }
    )
    db.session.add(invoice)
    db.session.flush()
    return invoice


@pytest.fixture
def invoices(app, ids) -> dict:
    with app.app_context():
        march = make_invoice(ids["summit"], "I-MARCH", datetime(2026, 3, 10, 9), total_cents=12_550)
        may = make_invoice(ids["summit"], "I-MAY", datetime(2026, 5, 2, 16), total_cents=4_000)
        make_invoice(ids["summit"], "I-OPEN", None)
        make_invoice(ids["summit"], "I-VOID", None, status=InvoiceStatus.VOID)
        make_invoice(ids["other"], "I-OTHER", datetime(2026, 4, 1, 8))
        payment = Payment(
            organisation_id=ids["summit"],
            invoice_id=may.id,
            method=PaymentMethod.BANK,
            amount_cents=4_000,
        )
        db.session.add(payment)
        db.session.commit()
        return {"march": march.id, "may": may.id, "payment": payment.id}


def statements_url(ids: dict, **query) -> str:
    url = f"/billing/customers/{ids['summit']}/statements"
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_statements_show_only_the_customers_paid_invoices(clerk, ids, invoices):
    body = text(clerk.get(statements_url(ids)))
    assert re.findall(r"<td>(I-[A-Z]+)</td>", body) == ["I-MAY", "I-MARCH"]  # newest first
    assert "$165.50" in body  # the total paid
    assert f'<a href="/billing/payments/{invoices["payment"]}">' in body
    assert "10 Mar 2026, 03:00" in body  # 09:00 UTC, shown in the clerk's zone (Denver, MDT)


def test_statements_of_a_period(clerk, ids, invoices):
    response = clerk.get(statements_url(ids, date_from="2026-03-01", date_to="2026-03-31"))
    body = text(response)
    assert re.findall(r"<td>(I-[A-Z]+)</td>", body) == ["I-MARCH"]
    assert "Paid in this period" in body and "$125.50" in body
    fragment = text(clerk.get(statements_url(ids, date_from="2026-06-01"), headers=HTMX))
    assert fragment.lstrip().startswith('<div id="statement-table">')
    assert "No invoice was paid in this period." in fragment and "$0.00" in fragment


def test_a_bad_date_filter_is_reported_and_ignored(clerk, ids, invoices):
    body = text(clerk.get(statements_url(ids, date_from="someday")))
    assert "This filter is ignored." in body
    assert re.findall(r"<td>(I-[A-Z]+)</td>", body) == ["I-MAY", "I-MARCH"]


def test_statements_of_an_unknown_customer_are_not_found(clerk):
    assert clerk.get("/billing/customers/999999/statements").status_code == 404


# --- the shipment queue -------------------------------------------------------------------


@pytest.fixture
def parcels(app, ids) -> dict:
    with app.app_context():
        order = make_order(db.session.get(User, ids["customer"]).organisation, number="OSUMMIT1")
        today = ids["today"]

        def parcel(item: str, days: int | None, **overrides) -> int:
            shipment = Shipment(
                order_id=order.id,
                organisation_id=ids["summit"],
                item=item,
                scheduled_on=today + timedelta(days=days) if days is not None else None,
                **overrides,
            )
            db.session.add(shipment)
            db.session.flush()
            return shipment.id

        result = {
            "printer": parcel("Receipt printer", 2),
            "router": parcel("Router", 1, status=ShipmentStatus.PACKED),
            "phone": parcel("Desk phone", None),
            "sent": parcel(
                "Headset",
                -3,
                status=ShipmentStatus.SHIPPED,
                carrier="UPS",
                tracking_number="1Z999AA10123456784",
                shipped_at=datetime(2026, 1, 5, 10, 30),
            ),
        }
        db.session.commit()
        return result


def items(body: str) -> list[str]:
    return re.findall(
        r'<tr id="shipment-\d+">.*?<td>[^<]*</td>\s*<td>[^<]*</td>\s*<td>[^<]*</td>'
        r"\s*<td>([^<]*)</td>",
        body,
        re.S,
    )


def test_the_queue_lists_unshipped_equipment_earliest_first(clerk, parcels):
    body = text(clerk.get("/billing/shipments"))
    assert items(body) == ["Router", "Receipt printer", "Desk phone"]
    assert "Summit Hosting" in body and "OSUMMIT1" in body
    shipped = text(clerk.get("/billing/shipments?status=shipped", headers=HTMX))
    assert shipped.lstrip().startswith('<div id="shipment-table">')
    assert items(shipped) == ["Headset"]
    assert "UPS 1Z999AA10123456784, 5 Jan 2026, 03:30" in shipped  # 10:30 UTC in Denver
    assert items(text(clerk.get("/billing/shipments?status=nonsense"))) == items(body)


def ship(client, shipment_id: int, carrier: str, tracking: str, **kwargs):
    data = {"carrier": carrier, "tracking_number": tracking}
    return post_form(
        client, f"/billing/shipments/{shipment_id}/ship", data, page="/billing/shipments", **kwargs
    )


def pack(client, shipment_id: int, **kwargs):
    url = f"/billing/shipments/{shipment_id}/pack"
    return post_form(client, url, {}, page="/billing/shipments", **kwargs)


def test_pending_to_packed_to_shipped_with_tracking(app, clerk, ids, parcels):
    packed = pack(clerk, parcels["printer"], headers=HTMX)
    assert packed.status_code == 200
    row = text(packed)
    assert row.lstrip().startswith(f'<tr id="shipment-{parcels["printer"]}">')
    assert "Packed" in row and "Mark shipped" in row

    missing = ship(clerk, parcels["printer"], "UPS", "  ", headers=HTMX)
    assert "Enter the tracking number the carrier gave." in errors(text(missing))
    assert 'value="UPS"' in text(missing)  # the carrier typed is kept
    with app.app_context():
        assert db.session.get(Shipment, parcels["printer"]).status == ShipmentStatus.PACKED

    shipped = ship(clerk, parcels["printer"], " FedEx ", "7489 1234 5678")
    assert shipped.status_code == 303
    assert "The shipment is marked shipped." in text(clerk.get(shipped.headers["Location"]))
    with app.app_context():
        shipment = db.session.get(Shipment, parcels["printer"])
        assert shipment.status == ShipmentStatus.SHIPPED
        assert (shipment.carrier, shipment.tracking_number) == ("FedEx", "7489 1234 5678")
        assert shipment.shipped_at is not None
    entries = audit_rows(app, "shipment.")
    assert [(e.action, e.details["before"], e.details["after"]) for e in entries] == [
        ("shipment.pack", "pending", "packed"),
        ("shipment.ship", "packed", "shipped"),
    ]
    assert {e.actor_id for e in entries} == {ids["billing"]}
    assert entries[1].details["tracking_number"] == "7489 1234 5678"


def test_shipping_without_a_carrier_is_a_form_error(app, clerk, parcels):
    response = ship(clerk, parcels["router"], "", "")
    assert response.status_code == 303  # back to the queue, the errors flashed there
    page = text(clerk.get(response.headers["Location"]))
    assert "Carrier: Enter the carrier, e.g. UPS." in page
    assert "Tracking number: Enter the tracking number the carrier gave." in page
    with app.app_context():
        assert db.session.get(Shipment, parcels["router"]).tracking_number is None


def test_illegal_moves_are_refused_with_a_clear_message(app, clerk, parcels):
    skipped = ship(clerk, parcels["printer"], "UPS", "1Z1", headers=HTMX)
    assert "Pack this shipment before marking it shipped." in errors(text(skipped))
    back = pack(clerk, parcels["sent"], headers=HTMX)
    assert "This shipment has already shipped: it cannot change any more." in errors(text(back))
    with app.app_context():
        assert db.session.get(Shipment, parcels["printer"]).status == ShipmentStatus.PENDING
        assert db.session.get(Shipment, parcels["sent"]).status == ShipmentStatus.SHIPPED
    assert audit_rows(app, "shipment.") == []


def test_unknown_shipments_are_not_found(clerk, parcels):
    assert pack(clerk, 999999).status_code == 404
    assert ship(clerk, 999999, "UPS", "1Z1").status_code == 404
