"""Payments, refunds and shipments on the agent's case page (issue 15 item 15): what each role
sees and may do there, through the test client; and the billing permission an admin grants."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Activity,
    AuditLog,
    Case,
    CaseStatus,
    ChargeOutcome,
    Message,
    MessageKind,
    Payment,
    RecurringCharge,
    RecurringKind,
    RecurringPayment,
    Refund,
    Role,
    Shipment,
    ShipmentStatus,
    User,
    utcnow,
)
from helpdesk.services.billing.recurring_charges import business_day
from tests.conftest import as_user, csrf_from
from tests.factories import make_case, make_order, make_user
from tests.services.test_refunds import make_payment

LONG_DIGITS = re.compile(r"\d{12,}")


@pytest.fixture
def desk(app) -> dict:
    """A case about an order with a $100.00 Visa payment and a shipped printer; one of each
    staff role, an agent with the billing permission, and the customer."""
    with app.app_context():
        anna = make_user(Role.CUSTOMER, name="Anna Novak", email="anna@northwind.example")
        organisation = anna.organisation
        order = make_order(organisation, number="O500001")
        lena = make_user(Role.AGENT, name="Lena Lind")
        case = make_case(
            organisation,
            order_id=order.id,
            requester_id=anna.id,
            assignee_id=lena.id,
            status=CaseStatus.OPEN,
        )
        payment = make_payment(organisation, order_id=order.id)
        parcel = Shipment(
            order_id=order.id,
            organisation_id=organisation.id,
            item="Receipt printer",
            status=ShipmentStatus.SHIPPED,
            carrier="UPS",
            tracking_number="1Z999",
            shipped_at=utcnow(),
        )
        db.session.add(parcel)
        ids = {
            "anna": anna.id,
            "lena": lena.id,
            "granted": make_user(Role.AGENT, name="Gus Granted", billing_permission=True).id,
            "clerk": make_user(Role.BILLING, name="Bea Billing").id,
            "admin": make_user(Role.ADMIN, name="Ada Admin").id,
        }
        db.session.commit()
        return {
            **ids,
            "number": case.number,
            "case": case.id,
            "payment": payment.id,
            "parcel": parcel.id,
            "organisation": organisation.id,
        }


def client_for(app, desk, who):
    return as_user(app, app.test_client(), desk[who])


def case_url(desk, rest: str = "") -> str:
    return f"/tracker/cases/{desk['number']}{rest}"


def panel(html: str) -> str:
    start = html.index('id="billing"')
    return html[start : html.index("</section>", start)]


def form_fields(html: str, prefix: str) -> dict:
    """CSRF token and the named form's idempotency key, as the page rendered them."""
    key = re.search(rf'name="{prefix}-idempotency_key"[^>]*value="([^"]+)"', html)
    token = re.search(rf'name="{prefix}-csrf_token"[^>]*value="([^"]+)"', html)
    return {
        f"{prefix}-idempotency_key": key.group(1) if key else "",
        f"{prefix}-csrf_token": token.group(1) if token else csrf_from(html),
    }


def refund(client, desk, **data):
    html = client.get(case_url(desk)).text
    prefix = f"refund-{desk['payment']}"
    body = {
        **form_fields(html, prefix),
        f"{prefix}-amount": "25.00",
        f"{prefix}-reason": "Printer arrived late",
        f"{prefix}-destination": "card",
    }
    body.update({f"{prefix}-{name}": value for name, value in data.items()})
    return client.post(case_url(desk, f"/payments/{desk['payment']}/refunds"), data=body)


def reship(client, desk, reason="Lost by the carrier"):
    html = client.get(case_url(desk)).text
    prefix = f"reship-{desk['parcel']}"
    body = {**form_fields(html, prefix), f"{prefix}-reason": reason}
    return client.post(case_url(desk, f"/shipments/{desk['parcel']}/reship"), data=body)


def timeline(app, desk) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Activity.summary)
                .where(Activity.case_id == desk["case"])
                .order_by(Activity.id)
            )
        )


@pytest.mark.parametrize("who", ["lena", "granted", "clerk", "admin"])
def test_staff_see_the_orders_payments_and_shipments(app, desk, who):
    html = client_for(app, desk, who).get(case_url(desk)).text
    shown = panel(html)
    assert "Payments and shipments" in shown
    assert f"Payment #{desk['payment']}" in shown and "$100.00" in shown
    assert "Visa ending 4242" in shown and "Receipt printer" in shown and "1Z999" in shown
    # Last four only: the stored token and fingerprint both carry the full test number.
    assert not LONG_DIGITS.search(shown) and "4242424242424242" not in html


@pytest.mark.parametrize(
    ("who", "forms"),
    [("lena", False), ("granted", True), ("clerk", True), ("admin", True)],
)
def test_refund_and_replacement_forms_only_for_who_may_move_money(app, desk, who, forms):
    shown = panel(client_for(app, desk, who).get(case_url(desk)).text)
    assert ('name="refund-' in shown) is forms
    assert (">Send a replacement</button>" in shown) is forms
    if not forms:
        assert "Billing staff refund and send replacements from here." in shown


def test_only_billing_staff_and_admins_reach_the_payment_page_from_the_case(app, desk):
    link = f'href="/billing/payments/{desk["payment"]}"'
    assert link in client_for(app, desk, "clerk").get(case_url(desk)).text
    assert link not in client_for(app, desk, "granted").get(case_url(desk)).text


def test_billing_refunds_from_the_case(app, desk):
    clerk = client_for(app, desk, "clerk")
    response = refund(clerk, desk)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(case_url(desk) + "#billing")
    html = clerk.get(case_url(desk)).text
    assert "Refunded $25.00 to Visa ending 4242. The customer is e-mailed." in html_lib.unescape(
        html
    )
    summary = f"Refunded $25.00 of payment #{desk['payment']} to Visa ending 4242"
    assert timeline(app, desk) == [f"{summary}: Printer arrived late"]
    assert summary in html  # in the case's Activity list
    assert "$75.00 left" in panel(html)
    with app.app_context():
        [entry] = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "refund.create"))
        assert entry.actor_id == desk["clerk"] and entry.details["case_number"] == desk["number"]
    # ... and the payment manager shows it too.
    page = clerk.get(f"/billing/payments/{desk['payment']}").text
    assert "Printer arrived late" in page and "$75.00" in page


def test_a_double_post_of_one_form_refunds_once(app, desk):
    clerk = client_for(app, desk, "clerk")
    html = clerk.get(case_url(desk)).text
    prefix = f"refund-{desk['payment']}"
    body = {
        **form_fields(html, prefix),
        f"{prefix}-amount": "10.00",
        f"{prefix}-reason": "Duplicate",
        f"{prefix}-destination": "prepaid",
    }
    url = case_url(desk, f"/payments/{desk['payment']}/refunds")
    assert clerk.post(url, data=body).status_code == 303
    assert clerk.post(url, data=body).status_code == 303
    assert "Already refunded" in clerk.get(case_url(desk)).text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Refund)) == 1
    assert len(timeline(app, desk)) == 1


def test_too_much_is_a_form_error_and_nothing_is_saved(app, desk):
    clerk = client_for(app, desk, "clerk")
    response = refund(clerk, desk, amount="250.00", reason="Too generous")
    assert response.status_code == 422
    shown = html_lib.unescape(panel(response.text))
    assert "at most $100.00 can still be refunded" in shown
    assert "Too generous" in shown  # what was typed stays in the form
    assert '<details class="action-panel" open>' in shown
    assert timeline(app, desk) == []
    with app.app_context():
        assert db.session.get(Payment, desk["payment"]).refunded_cents == 0


def test_an_agent_without_the_permission_gets_403_and_nothing_changes(app, desk):
    lena = client_for(app, desk, "lena")
    token = csrf_from(lena.get(case_url(desk)).text)
    for url in (
        case_url(desk, f"/payments/{desk['payment']}/refunds"),
        case_url(desk, f"/shipments/{desk['parcel']}/reship"),
    ):
        assert lena.post(url, data={"csrf_token": token}).status_code == 403
    assert timeline(app, desk) == []


def test_an_agent_with_the_permission_refunds_and_reships(app, desk):
    gus = client_for(app, desk, "granted")
    assert refund(gus, desk).status_code == 303
    assert reship(gus, desk).status_code == 303
    assert len(timeline(app, desk)) == 2


def test_another_orders_payment_is_not_found_on_this_case(app, desk):
    with app.app_context():
        case = db.session.get(Case, desk["case"])
        other = make_payment(case.organisation)  # no order: not this case's
        db.session.commit()
        other_id = other.id
    clerk = client_for(app, desk, "clerk")
    token = csrf_from(clerk.get(case_url(desk)).text)
    url = case_url(desk, f"/payments/{other_id}/refunds")
    assert clerk.post(url, data={"csrf_token": token}).status_code == 404


def test_billing_reships_from_the_case(app, desk):
    clerk = client_for(app, desk, "clerk")
    response = reship(clerk, desk)
    assert response.status_code == 303
    html = clerk.get(case_url(desk)).text
    assert "A replacement Receipt printer is in the shipment queue." in html
    assert "Replacement (Lost by the carrier)" in panel(html)
    assert timeline(app, desk) == [
        "Replacement of Receipt printer queued for shipping: Lost by the carrier"
    ]
    queue = clerk.get("/billing/shipments").text
    assert queue.count("Receipt printer") >= 1


def test_a_replacement_needs_a_reason(app, desk):
    response = reship(client_for(app, desk, "clerk"), desk, reason="")
    assert response.status_code == 422
    assert "Say why the parcel is sent again." in panel(response.text)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 1


# --- billing staff on the case page: read, notes and calls; no agent-only tools -------------


def test_billing_staff_see_no_agent_tools(app, desk):
    html = client_for(app, desk, "clerk").get(case_url(desk)).text
    for absent in (
        'value="reply"',  # the composer sends notes only
        "/assign",
        "/close",
        "/priority",
        "Accept into my queue",
        "Insert a macro",
        'id="tracker-sidebar"',
    ):
        assert absent not in html, absent
    assert 'value="note"' in html and "/calls" in html


def test_billing_staff_add_a_note_that_leaves_the_status(app, desk):
    clerk = client_for(app, desk, "clerk")
    token = csrf_from(clerk.get(case_url(desk)).text)
    response = clerk.post(
        case_url(desk, "/messages"),
        data={"csrf_token": token, "kind": "note", "body": "Refund agreed with finance."},
    )
    assert response.status_code == 302
    with app.app_context():
        [message] = db.session.scalars(sa.select(Message))
        assert message.kind == MessageKind.NOTE and message.author_id == desk["clerk"]
        assert db.session.get(Case, desk["case"]).status == CaseStatus.OPEN


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "reply", "body": "Dear customer"},
        {"kind": "note", "body": "And close it", "then": "closed"},
    ],
)
def test_billing_staff_cannot_answer_the_customer_or_change_the_status(app, desk, data):
    clerk = client_for(app, desk, "clerk")
    token = csrf_from(clerk.get(case_url(desk)).text)
    response = clerk.post(case_url(desk, "/messages"), data={"csrf_token": token, **data})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0
        assert db.session.get(Case, desk["case"]).status == CaseStatus.OPEN


def test_billing_staff_log_a_call(app, desk):
    clerk = client_for(app, desk, "clerk")
    token = csrf_from(clerk.get(case_url(desk)).text)
    response = clerk.post(
        case_url(desk, "/calls"),
        data={"csrf_token": token, "notes": "Called about the refund", "outcome": "agreed"},
    )
    assert response.status_code == 302
    assert any("Called about the refund" in s for s in timeline(app, desk))


@pytest.mark.parametrize(
    "rest", ["/assign", "/accept", "/priority", "/classify", "/actions", "/close", "/escalate"]
)
def test_agent_only_actions_are_403_for_billing_staff(app, desk, rest):
    clerk = client_for(app, desk, "clerk")
    token = csrf_from(clerk.get(case_url(desk)).text)
    assert clerk.post(case_url(desk, rest), data={"csrf_token": token}).status_code == 403


def test_customers_never_see_the_staff_case_page(app, desk):
    anna = client_for(app, desk, "anna")
    assert anna.get(case_url(desk)).status_code == 403


# --- the administrator grants the billing permission -----------------------------------------


def test_an_admin_grants_and_takes_away_the_billing_permission(app, desk):
    admin = client_for(app, desk, "admin")
    edit = f"/admin/users/{desk['lena']}"
    html = admin.get(edit).text
    assert "Billing permission" in html
    token = re.search(r'id="billing-permission-csrf_token"[^>]*value="([^"]+)"', html).group(1)
    url = f"/admin/users/{desk['lena']}/billing-permission"
    response = admin.post(url, data={"csrf_token": token, "billing_permission": "y"})
    assert response.status_code == 303
    assert "Lena Lind may now refund and reship from case pages." in admin.get(edit).text
    with app.app_context():
        assert db.session.get(User, desk["lena"]).billing_permission is True
    assert refund(client_for(app, desk, "lena"), desk).status_code == 303
    admin.post(url, data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(User, desk["lena"]).billing_permission is False
        entries = db.session.scalars(
            sa.select(AuditLog)
            .where(AuditLog.action == "user.billing_permission")
            .order_by(AuditLog.id)
        ).all()
        assert [(e.details["before"], e.details["after"]) for e in entries] == [
            (False, True),
            (True, False),
        ]
        assert all(e.actor_id == desk["admin"] and e.object_id == desk["lena"] for e in entries)


def test_billing_staff_need_no_permission_and_are_not_offered_one(app, desk):
    admin = client_for(app, desk, "admin")
    assert "Billing permission" not in admin.get(f"/admin/users/{desk['clerk']}").text
    token = csrf_from(admin.get(f"/admin/users/{desk['clerk']}").text)
    admin.post(
        f"/admin/users/{desk['clerk']}/billing-permission",
        data={"csrf_token": token, "billing_permission": "y"},
    )
    assert "Only agents need this permission" in admin.get(f"/admin/users/{desk['clerk']}").text


# --- recurring payments show their last charge -------------------------------------------------


def test_the_plans_page_shows_the_last_charge_and_its_outcome(app, desk):
    with app.app_context():
        row = RecurringPayment(
            organisation_id=desk["organisation"],
            kind=RecurringKind.FLAT_RATE,
            description="Business Flat 100",
            amount_cents=2900,
            effective_on=business_day(utcnow()) - timedelta(days=60),
            next_charge_on=business_day(utcnow()) + timedelta(days=20),
        )
        db.session.add(row)
        db.session.flush()
        db.session.add(
            RecurringCharge(
                recurring_payment_id=row.id,
                organisation_id=desk["organisation"],
                period_on=business_day(utcnow()) - timedelta(days=10),
                amount_cents=2900,
                outcome=ChargeOutcome.REFUSED,
                detail="The card is blocked by FRAUD-STOP.",
            )
        )
        db.session.commit()
        row_id = row.id
    html = client_for(app, desk, "clerk").get(f"/billing/customers/{desk['organisation']}/plans")
    text = html.text
    start = text.index(f'id="recurring-{row_id}"')
    cells = text[start : text.index("</tr>", start)]
    assert "Refused" in cells and "The card is blocked by FRAUD-STOP." in cells
    assert "<th>Last charge</th>" in text
