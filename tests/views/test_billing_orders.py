"""Payment manager orders and promotions, through the pages: list, order page, placing an order
for a customer, FRAUD-STOP refusals, promotions."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    BlockedCard,
    BlockedIP,
    Contact,
    Invoice,
    Order,
    OrderKind,
    OrderStatus,
    Organisation,
    Payment,
    PaymentCard,
    PrepaidEntry,
    Product,
    Promotion,
    Role,
    Shipment,
    User,
    utcnow,
)
from helpdesk.rules.network import network_range
from helpdesk.services.billing.orders import NOT_PLACEABLE
from tests.conftest import as_user, csrf_from
from tests.factories import make_order, make_organisation, make_product, make_user
from tests.services.test_refunds import make_card
from tests.views.test_billing import errors

LONG_DIGITS = re.compile(r"\d{12,}")
KEY_INPUT = re.compile(r'<input[^>]*name="idempotency_key"[^>]*value="([^"]+)"')


@pytest.fixture
def ids(app) -> dict:
    """Harbor Theatre (stored Visa, $100.00 prepaid, primary contact), staff and catalogue."""
    with app.app_context():
        organisation = make_organisation(
            name="Harbor Theatre", customer_number="C100002", prepaid_balance_cents=10_000
        )
        customer = make_user(Role.CUSTOMER, organisation=organisation, email="ben@harbor.example")
        db.session.add(
            Contact(
                organisation_id=organisation.id,
                user_id=customer.id,
                name="Ben Harris",
                email="ben@harbor.example",
                is_primary=True,
            )
        )
        card = make_card(organisation)
        ids = {
            "org": organisation.id,
            "customer": customer.id,
            "card": card.id,
            "fingerprint": card.fingerprint,
            "clerk": make_user(Role.BILLING, name="Bea Billing").id,
            "agent": make_user(Role.AGENT).id,
            "hosting": make_product(
                code="AC-HOST", name="AbleCommerce Hosting", kind=OrderKind.HOSTING
            ).id,
            "printer": make_product(
                code="HW-PRINTER", name="Receipt printer", unit_cents=18900, physical=True
            ).id,
        }
        db.session.commit()
        return ids


@pytest.fixture
def clerk(app, client, ids):
    return as_user(app, client, ids["clerk"])


def new_url(ids) -> str:
    return f"/billing/customers/{ids['org']}/orders/new"


def post_order(client, ids, data: dict | None = None, *, key: str | None = None, **kwargs):
    """Post the order form as a browser does: with the page's token and key."""
    page = client.get(new_url(ids)).get_data(as_text=True)
    fields = {
        "product": str(ids["hosting"]),
        "quantity": "1",
        "promotion_code": "",
        "pay_with": f"card:{ids['card']}",
        "csrf_token": csrf_from(page),
        "idempotency_key": key or KEY_INPUT.search(page).group(1),
        **(data or {}),
    }
    return client.post(new_url(ids), data=fields, **kwargs)


def saved_orders(app) -> list[Order]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Order).order_by(Order.id)).all()
        db.session.expunge_all()
        return rows


def add_promotion(app, **overrides) -> int:
    today = utcnow().date()
    with app.app_context():
        promotion = Promotion(
            **{
                "code": "WINTER26",
                "name": "Winter bundle",
                "percent_off": 15,
                "starts_on": today - timedelta(days=10),
                "ends_on": today + timedelta(days=50),
                **overrides,
            }
        )
        db.session.add(promotion)
        db.session.commit()
        return promotion.id


def text_of(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


# --- the order form --------------------------------------------------------------------------


def test_the_form_offers_the_catalogue_and_the_customers_ways_to_pay(clerk, ids):
    response = clerk.get(new_url(ids))
    html = text_of(response)

    assert response.status_code == 200
    assert "New order" in html and "Harbor Theatre" in html
    assert "AbleCommerce Hosting 9.2 · $49.00" in html
    assert "Receipt printer 9.2 · $189.00 · ships" in html
    assert "Visa ending 4242" in html
    assert "Prepaid balance ($100.00)" in html and "Invoice: pay later" in html
    assert not LONG_DIGITS.search(html)  # the stored token holds a full test number


def test_an_order_paid_by_card_opens_its_page(app, clerk, ids):
    response = post_order(clerk, ids, {"quantity": "2"})

    [order] = saved_orders(app)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/billing/orders/{order.id}")
    assert order.status == OrderStatus.PAID and order.amount_cents == 9800
    page = text_of(clerk.get(response.headers["Location"]))
    assert f"Order {order.number} placed and paid: $98.00." in page
    assert "Visa ending 4242" in page and "Harbor Theatre" in page
    with app.app_context():
        payment_id = db.session.scalar(sa.select(Payment.id).where(Payment.order_id == order.id))
    assert f'href="/billing/payments/{payment_id}"' in page
    assert not LONG_DIGITS.search(page)


def test_an_order_paid_from_the_prepaid_balance_lowers_it(app, clerk, ids):
    response = post_order(clerk, ids, {"pay_with": "prepaid"})

    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Organisation, ids["org"]).prepaid_balance_cents == 10_000 - 4900
        entry = db.session.scalar(sa.select(PrepaidEntry))
        assert entry.amount_cents == -4900
    assert "Prepaid balance ($51.00)" in text_of(clerk.get(new_url(ids)))


def test_a_short_balance_is_refused_on_the_form_and_nothing_is_saved(app, clerk, ids):
    response = post_order(clerk, ids, {"pay_with": "prepaid", "quantity": "3"})

    assert response.status_code == 422
    assert "The prepaid balance ($100.00) does not cover the order total ($147.00)." in errors(
        response.get_data(as_text=True)
    )
    assert 'value="3"' in response.get_data(as_text=True)  # what was typed is kept
    assert saved_orders(app) == []


@pytest.mark.parametrize(
    "data, message",
    [
        ({"quantity": "abc"}, "Enter a whole number from 1 to 999."),
        ({"quantity": "0"}, "Enter a whole number from 1 to 999."),
        ({"product": ""}, "Choose a product."),
        ({"product": "999999"}, "Not a valid choice."),
        ({"pay_with": "card:999999"}, "Not a valid choice."),
    ],
)
def test_bad_input_is_shown_on_the_form(app, clerk, ids, data, message):
    response = post_order(clerk, ids, data)
    assert response.status_code == 422
    assert message in errors(response.get_data(as_text=True))
    assert saved_orders(app) == []


def test_an_invoiced_order_is_pending(app, clerk, ids):
    response = post_order(clerk, ids, {"pay_with": "invoice"})
    [order] = saved_orders(app)
    assert order.status == OrderStatus.PENDING
    page = text_of(clerk.get(response.headers["Location"]))
    assert "$49.00 to pay by invoice" in page and "Apply promotion" in page


# --- FRAUD-STOP ------------------------------------------------------------------------------


def block_address(app, network: str) -> None:
    canonical, first, last = network_range(network)
    with app.app_context():
        db.session.add(
            BlockedIP(network=canonical, range_start=first, range_end=last, reason="Card testing")
        )
        db.session.commit()


def assert_refused_without_saying_why(response) -> None:
    assert response.status_code == 422
    html = text_of(response)
    assert NOT_PLACEABLE in html
    for telltale in ("blocked", "address", "203.0.113"):
        assert telltale not in html.lower()


def test_an_order_from_a_blocked_address_is_refused_and_shows_in_the_fraud_list(app, clerk, ids):
    block_address(app, "203.0.113.0/24")

    response = post_order(clerk, ids, environ_base={"REMOTE_ADDR": "203.0.113.9"})

    assert_refused_without_saying_why(response)
    assert saved_orders(app) == []
    fraud_page = text_of(clerk.get("/system/fraud"))
    attempts = fraud_page[fraud_page.index('id="list-attempts"') :]
    assert "order" in attempts and "203.0.113.9" in attempts and "ben@harbor.example" in attempts


def test_an_order_with_a_blocked_card_is_refused_with_the_same_message(app, clerk, ids):
    with app.app_context():
        db.session.add(
            BlockedCard(fingerprint=ids["fingerprint"], brand="Visa", last4="4242", reason="Stolen")
        )
        db.session.commit()

    response = post_order(clerk, ids)

    assert_refused_without_saying_why(response)
    assert "card" not in " ".join(errors(response.get_data(as_text=True))).lower()
    assert saved_orders(app) == []
    attempts = text_of(clerk.get("/system/fraud"))
    assert "•••• 4242" in attempts[attempts.index('id="list-attempts"') :]


# --- once per form ---------------------------------------------------------------------------


def test_a_double_submit_places_one_order(app, clerk, ids):
    page = clerk.get(new_url(ids)).get_data(as_text=True)
    key = KEY_INPUT.search(page).group(1)

    first = post_order(clerk, ids, {"pay_with": "prepaid"}, key=key)
    second = post_order(clerk, ids, {"pay_with": "prepaid"}, key=key)

    [order] = saved_orders(app)
    assert first.headers["Location"] == second.headers["Location"]
    assert "This order was placed already" in text_of(clerk.get(second.headers["Location"]))
    with app.app_context():
        assert db.session.get(Organisation, ids["org"]).prepaid_balance_cents == 10_000 - 4900
    assert order.amount_cents == 4900


def test_every_form_gets_its_own_key(clerk, ids):
    keys = {KEY_INPUT.search(clerk.get(new_url(ids)).get_data(as_text=True)).group(1)}
    keys.add(KEY_INPUT.search(clerk.get(new_url(ids)).get_data(as_text=True)).group(1))
    assert len(keys) == 2


# --- equipment -------------------------------------------------------------------------------


def test_equipment_creates_a_pending_shipment_shown_on_the_order(app, clerk, ids):
    response = post_order(clerk, ids, {"product": str(ids["printer"])})

    with app.app_context():
        shipment = db.session.scalar(sa.select(Shipment))
        assert shipment.status == "pending" and shipment.item == "1 x Receipt printer"
    page = text_of(clerk.get(response.headers["Location"]))
    assert "Shipment" in page and '<td class="shipment-status">pending</td>' in page


# --- promotions on orders --------------------------------------------------------------------


def test_an_eligible_promotion_discounts_the_order_when_placed(app, clerk, ids):
    add_promotion(app, product="AC-HOST")
    response = post_order(clerk, ids, {"promotion_code": "winter26"})
    assert response.status_code == 303
    [order] = saved_orders(app)
    assert order.amount_cents == 4165  # 49.00 less 15 %
    assert "WINTER26: Winter bundle" in text_of(clerk.get(response.headers["Location"]))


@pytest.mark.parametrize(
    "promotion, message",
    [
        ({"product": "HW-PRINTER"}, "Promotion WINTER26 is only for HW-PRINTER"),
        (
            {
                "starts_on": utcnow().date() - timedelta(days=60),
                "ends_on": utcnow().date() - timedelta(days=1),
            },
            "Promotion WINTER26 ended on",
        ),
    ],
)
def test_an_ineligible_promotion_is_explained_on_the_form(app, clerk, ids, promotion, message):
    add_promotion(app, **promotion)
    response = post_order(clerk, ids, {"promotion_code": "WINTER26"})
    assert response.status_code == 422
    assert any(e.startswith(message) for e in errors(response.get_data(as_text=True)))
    assert saved_orders(app) == []


def assign(client, order_id: int, code: str):
    page = client.get(f"/billing/orders/{order_id}").get_data(as_text=True)
    return client.post(
        f"/billing/orders/{order_id}/promotion",
        data={"code": code, "csrf_token": csrf_from(page)},
    )


def test_a_promotion_is_assigned_to_a_pending_order(app, clerk, ids):
    add_promotion(app)
    post_order(clerk, ids, {"pay_with": "invoice", "quantity": "2"})
    [order] = saved_orders(app)

    response = assign(clerk, order.id, "WINTER26")

    assert response.status_code == 303
    page = text_of(clerk.get(response.headers["Location"]))
    assert f"Promotion applied: order {order.number} now costs $83.30." in page
    with app.app_context():
        invoice = db.session.scalar(sa.select(Invoice).where(Invoice.order_id == order.id))
        assert invoice.total_cents == 8330


def test_a_paid_order_offers_no_promotion_and_refuses_one(app, clerk, ids):
    add_promotion(app)
    post_order(clerk, ids)
    [order] = saved_orders(app)

    page = text_of(clerk.get(f"/billing/orders/{order.id}"))
    assert "Apply promotion" not in page and "this order is paid" in page
    response = assign(clerk, order.id, "WINTER26")
    assert response.status_code == 422
    assert saved_orders(app)[0].amount_cents == 4900


def test_an_unknown_promotion_code_is_shown_on_the_order(app, clerk, ids):
    post_order(clerk, ids, {"pay_with": "invoice"})
    [order] = saved_orders(app)
    response = assign(clerk, order.id, "NOPE")
    assert response.status_code == 422
    assert "There is no promotion NOPE." in errors(response.get_data(as_text=True))


# --- the promotion catalogue -----------------------------------------------------------------


def promotion_form(client, data: dict):
    page = client.get("/billing/promotions").get_data(as_text=True)
    today = utcnow().date()
    fields = {
        "code": "spring-bundle",
        "name": "Spring bundle",
        "description": "Hosting for less",
        "product": "AC-HOST",
        "percent_off": "",
        "amount_off": "10.00",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=30)).isoformat(),
        "csrf_token": csrf_from(page),
        **data,
    }
    return client.post("/billing/promotions", data=fields)


def test_a_promotion_is_added_listed_and_withdrawn(app, clerk, ids):
    response = promotion_form(clerk, {})
    assert response.status_code == 303
    page = text_of(clerk.get("/billing/promotions"))
    assert "Promotion SPRING-BUNDLE added." in page
    assert "AbleCommerce Hosting 9.2" in page and "$10.00 off" in page

    with app.app_context():
        promotion_id = db.session.scalar(sa.select(Promotion.id))
    response = clerk.post(
        f"/billing/promotions/{promotion_id}/deactivate", data={"csrf_token": csrf_from(page)}
    )
    assert response.status_code == 303
    assert "Promotion SPRING-BUNDLE withdrawn." in text_of(clerk.get("/billing/promotions"))
    with app.app_context():
        assert not db.session.get(Promotion, promotion_id).active


@pytest.mark.parametrize(
    "data, message",
    [
        ({"percent_off": "15"}, "Give a percentage or an amount off, not both."),
        ({"amount_off": ""}, "Give a percentage or an amount off."),
        ({"amount_off": "abc"}, "Enter the amount in dollars and cents, e.g. 12.50."),
        ({"amount_off": "", "percent_off": "150"}, "Give a whole percentage from 1 to 100."),
        ({"ends_on": "2000-01-01"}, "The last day cannot be before the first day."),
        ({"starts_on": "tomorrow"}, "Not a valid date value."),
        ({"code": "!"}, "Use 2 to 40 letters, digits, dashes or underscores."),
        ({"product": "NOPE"}, "Not a valid choice."),
    ],
)
def test_bad_promotions_are_refused_on_the_form(app, clerk, ids, data, message):
    response = promotion_form(clerk, data)
    assert response.status_code == 422
    assert message in errors(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Promotion)) == 0


def test_a_duplicate_code_is_refused(app, clerk, ids):
    add_promotion(app, code="SPRING-BUNDLE")
    response = promotion_form(clerk, {})
    assert response.status_code == 422
    assert "Promotion SPRING-BUNDLE exists already." in errors(response.get_data(as_text=True))


# --- the order list --------------------------------------------------------------------------


@pytest.fixture
def listed(app, ids) -> None:
    """Three orders: Harbor's paid hosting, Harbor's pending printer, Cedar's old licence."""
    with app.app_context():
        harbor = db.session.get(Organisation, ids["org"])
        cedar = make_organisation(name="Cedar Books")
        make_order(harbor, number="O-HOST", product="AbleCommerce Hosting")
        make_order(harbor, number="O-PRINT", product="Receipt printer", status=OrderStatus.PENDING)
        make_order(cedar, number="O-OLD", ordered_at=utcnow() - timedelta(days=40))
        db.session.commit()


@pytest.mark.parametrize(
    "query, shown",
    [
        ("", {"O-HOST", "O-PRINT", "O-OLD"}),
        ("?customer=harbor", {"O-HOST", "O-PRINT"}),
        ("?product=Receipt+printer", {"O-PRINT"}),
        ("?status=pending", {"O-PRINT"}),
        (f"?date_to={(utcnow() - timedelta(days=30)).date()}", {"O-OLD"}),
        (f"?date_from={(utcnow() - timedelta(days=30)).date()}", {"O-HOST", "O-PRINT"}),
        ("?date_from=yesterday", {"O-HOST", "O-PRINT", "O-OLD"}),  # reported and ignored
    ],
)
def test_the_order_list_filters(clerk, listed, query, shown):
    html = clerk.get(f"/billing/orders{query}").get_data(as_text=True)
    assert set(re.findall(r">(O-[A-Z]+)</a>", html)) == shown


def test_a_bad_filter_is_reported(clerk, listed):
    html = clerk.get("/billing/orders?date_from=yesterday").get_data(as_text=True)
    assert any("This filter is ignored." in e for e in errors(html))


def test_htmx_filtering_returns_just_the_table(clerk, listed):
    response = clerk.get("/billing/orders?status=pending", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="order-table">') and "<html" not in html
    assert "O-PRINT" in html and "HX-Request" in response.headers["Vary"]


def test_the_payment_manager_links_to_orders_and_promotions(clerk, ids):
    html = clerk.get("/billing/").get_data(as_text=True)
    assert 'href="/billing/orders">Orders</a>' in html
    assert 'href="/billing/promotions">Promotions</a>' in html


def test_an_order_is_started_from_the_customer_id(clerk, ids):
    response = clerk.get("/billing/orders/new?customer=c100002")
    assert response.status_code == 303 and response.headers["Location"].endswith(new_url(ids))
    response = clerk.get("/billing/orders/new?customer=C999", follow_redirects=True)
    assert "No customer has the ID “C999”." in text_of(response)


# --- access ----------------------------------------------------------------------------------


def test_unknown_ids_are_not_found(clerk, ids):
    assert clerk.get("/billing/orders/999999").status_code == 404
    assert clerk.get("/billing/customers/999999/orders/new").status_code == 404
    token = csrf_from(clerk.get("/billing/promotions").get_data(as_text=True))
    assert (
        clerk.post("/billing/promotions/999999/deactivate", data={"csrf_token": token}).status_code
        == 404
    )


@pytest.mark.parametrize("who", ["agent", "customer"])
def test_agents_and_customers_are_refused(app, client, ids, who):
    with app.app_context():
        order_id = make_order(db.session.get(Organisation, ids["org"])).id
        db.session.commit()
    as_user(app, client, ids[who])
    for url in (
        "/billing/orders",
        f"/billing/orders/{order_id}",
        new_url(ids),
        "/billing/promotions",
    ):
        assert client.get(url).status_code == 403, url
    token = csrf_from(client.get("/auth/profile").get_data(as_text=True))
    posted = {
        new_url(ids): {"product": str(ids["hosting"]), "quantity": "1", "pay_with": "prepaid"},
        f"/billing/orders/{order_id}/promotion": {"code": "WINTER26"},
        "/billing/promotions": {"code": "X1", "name": "X", "percent_off": "5"},
    }
    for url, data in posted.items():
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    assert len(saved_orders(app)) == 1


# --- demo data -------------------------------------------------------------------------------


def test_billing_staff_can_order_for_a_demo_customer_by_card_and_prepaid(app, client):
    assert "Demo data loaded." in app.test_cli_runner().invoke(args=["demo-data"]).output
    with app.app_context():
        clerk_id = db.session.scalar(sa.select(User.id).where(User.email == "billing@example.com"))
        summit = db.session.scalar(
            sa.select(Organisation).where(Organisation.name == "Summit Hosting Co")
        )
        card_id = db.session.scalar(
            sa.select(PaymentCard.id).where(PaymentCard.organisation_id == summit.id)
        )
        ids = {"org": summit.id, "card": card_id, "balance": summit.prepaid_balance_cents}
        ids["hosting"] = db.session.scalar(sa.select(Product.id).where(Product.code == "AC-HOST"))
    as_user(app, client, clerk_id)
    assert "WINTER26" in client.get("/billing/promotions").get_data(as_text=True)

    by_card = post_order(client, ids, {"promotion_code": "WINTER26"})
    by_prepaid = post_order(client, ids, {"pay_with": "prepaid"})

    assert by_card.status_code == by_prepaid.status_code == 303
    with app.app_context():
        paid = db.session.scalars(
            sa.select(Order).where(Order.idempotency_key.is_not(None)).order_by(Order.id)
        ).all()
        assert [o.status for o in paid] == [OrderStatus.PAID, OrderStatus.PAID]
        assert [o.amount_cents for o in paid] == [4165, 4900]
        balance = db.session.get(Organisation, ids["org"]).prepaid_balance_cents
        assert balance == ids["balance"] - 4900
