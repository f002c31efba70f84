"""The system manager: customer search by any field, the profile, its edits and reset links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    AuditLog,
    BlockedCard,
    BlockedIP,
    CallShop,
    Contact,
    Invoice,
    InvoiceStatus,
    IspService,
    Organisation,
    OutboxMail,
    Payment,
    PaymentCard,
    PaymentMethod,
    PhoneNumber,
    Role,
    SeenAddress,
    User,
)
from helpdesk.rules.cards import card_fingerprint
from helpdesk.services.mail.outbox import queue_mail
from tests.conftest import csrf_from, login_as, post_form
from tests.factories import PASSWORD, make_organisation, make_user

CARD = "4242 4242 4242 4242"
LONG_DIGITS = re.compile(r"\d{12,}")


@dataclass
class World:
    org_id: int
    decoy_id: int
    customer_id: int
    other_customer_id: int
    number_id: int
    staff_id: int
    staff_name: str


def build(app, role: Role = Role.BILLING) -> World:
    """One richly filled customer (under a reseller) and one decoy."""
    with app.app_context():
        key = app.config["CARD_HASH_KEY"].encode()
        reseller = make_organisation(name="Alpine Telecom Resale", is_reseller=True)
        org = make_organisation(
            name="Brookside Bakery",
            customer_number="C555001",
            partner_id="P-7731",
            reseller_id=reseller.id,
            prepaid_balance_cents=12345,
            phone="+1 (720) 555-0199",
            address="1 Mill Lane\nBoulder",
        )
        decoy = make_organisation(name="Decoy Dairy", customer_number="C555002", partner_id="P-1")
        customer = make_user(
            Role.CUSTOMER,
            organisation=org,
            name="Hermione Quistgaard",
            email="hermione@brookside.example",
            phone="720-555-0142",
        )
        make_user(Role.CUSTOMER, organisation=decoy, name="Dora Decoy", email="dora@decoy.example")
        other = make_user(Role.CUSTOMER, organisation=decoy, name="Olaf Other")
        db.session.add_all(
            [
                Contact(
                    organisation_id=org.id,
                    name="Zebulon Fairweather",
                    email="accounts@brookside-books.example",
                    phone="+44 20 7946 0958",
                ),
                SeenAddress(user_id=customer.id, ip_address="198.51.100.23"),
                SeenAddress(user_id=customer.id, ip_address="2001:db8::77"),
                SeenAddress(user_id=customer.id, ip_address="::ffff:192.0.2.61"),
                CallShop(organisation_id=org.id, name="Kiosk Nordpol", location="Station"),
                IspService(organisation_id=org.id, plan="Fibre 500", access_login="brookside01"),
                PaymentCard(
                    organisation_id=org.id,
                    brand="Visa",
                    last4="4242",
                    exp_month=7,
                    exp_year=2031,
                    processor_token="tok_brookside",
                    fingerprint=card_fingerprint(CARD, key),
                ),
                Invoice(
                    number="INV-88001",
                    organisation_id=org.id,
                    status=InvoiceStatus.PAID,
                    issued_on=date(2026, 3, 1),
                    due_on=date(2026, 3, 15),
                    total_cents=4999,
                ),
            ]
        )
        number = PhoneNumber(organisation_id=org.id, number="+1 303 555 7788", forward_to=None)
        db.session.add(number)
        db.session.flush()
        queue_mail(
            to_address=customer.email,
            subject="Your invoice INV-88001",
            template="password_changed",
            user=customer,
            changed_at=None,
            ip=None,
        )
        staff = make_user(role)
        db.session.commit()
        return World(org.id, decoy.id, customer.id, other.id, number.id, staff.id, staff.name)


@pytest.fixture
def world(app, client) -> World:
    found = build(app)
    with app.app_context():
        login_as(client, db.session.get(User, found.staff_id))
    return found


def results(client, q: str) -> str:
    return client.get("/system/", query_string={"q": q}).get_data(as_text=True)


@pytest.mark.parametrize(
    "q",
    [
        "Quistgaard",  # login's last name
        "hermione",  # login's first name
        "Fairweather",  # contact's name
        "brookside bak",  # company
        "hermione@brookside.example",  # login e-mail
        "brookside-books",  # contact e-mail
        "720 555 0142",  # login phone, spelled differently
        "(720) 555-0199",  # company phone
        "79460958",  # contact phone, digits only
        "303-555-7788",  # service number
        "C555001",  # customer ID
        "c555001",
        "P-7731",  # partner ID
        "Alpine Telecom",  # reseller's name
        "Nordpol",  # call shop
        "4242",  # card's last four
        "198.51.100.23",  # an address a login came from
        "2001:DB8:0::77",  # the same IPv6 address, spelled differently
        "192.0.2.61",  # stored IPv4-mapped
    ],
)
def test_search_finds_the_customer_by_each_field(world, client, q):
    html = results(client, q)
    assert "Brookside Bakery" in html, q
    assert "Decoy Dairy" not in html, q


@pytest.mark.parametrize(
    "q", ["198.51.100.2", "198.51.100", "2001:db8::7", "%", "_", "C55500_", "4243"]
)
def test_search_needs_exact_addresses_and_takes_wildcards_literally(world, client, q):
    html = results(client, q)
    assert "Brookside Bakery" not in html and "Decoy Dairy" not in html
    assert "No customer matches" in html


def test_search_escapes_wildcards_but_finds_them_typed(app, world, client):
    with app.app_context():
        make_organisation(name="100% Organic_Farm")
        db.session.commit()
    assert "100% Organic_Farm" in results(client, "0% Organic_F")
    assert "Brookside Bakery" not in results(client, "0% Organic_F")


def test_empty_search_lists_everyone_and_staff_are_never_matched(world, client):
    html = results(client, "")
    assert "Brookside Bakery" in html and "Decoy Dairy" in html
    assert "Alpine Telecom Resale" in html
    staff_name = world.staff_name
    assert "No customer matches" in results(client, staff_name)


def test_search_pages_in_the_database(app, client):
    with app.app_context():
        for n in range(30):
            make_organisation(name=f"Paged Pottery {n:02d}")
        staff = make_user(Role.BILLING)
        db.session.commit()
        login_as(client, staff)
    first = results(client, "paged pottery")
    second = client.get("/system/?q=paged+pottery&page=2").get_data(as_text=True)
    assert first.count("Paged Pottery") == 25 and second.count("Paged Pottery") == 5
    assert "Page 2 of 2 (30 in all)" in second
    assert "q=paged+pottery" in first  # the pager keeps the search


def test_search_is_live_with_htmx(world, client):
    page = client.get("/system/").get_data(as_text=True)
    assert 'hx-get="/system/"' in page and 'hx-target="#customer-table"' in page
    fragment = client.get("/system/?q=Nordpol", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="customer-table"' in fragment.text
    assert "Brookside Bakery" in fragment.text and "HX-Request" in fragment.headers["Vary"]


def profile_of(client, world: World) -> str:
    response = client.get(f"/system/customers/{world.org_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_profile_shows_everything_seed_002_lists(world, client):
    html = profile_of(client, world)
    for expected in [
        "C555001",
        "P-7731",
        "Alpine Telecom Resale",
        "$123.45",
        "Visa •••• 4242",
        "Hermione Quistgaard",
        "hermione@brookside.example",
        "198.51.100.23",
        "2001:db8::77",
        "Kiosk Nordpol",
        "INV-88001",
        "1 Mar 2026",
        "$49.99",
        "paid",
        "Your invoice INV-88001",
        "Fibre 500",
        "+1 303 555 7788",
        "Zebulon Fairweather",
        "FRAUD-STOP",
    ]:
        assert expected in html, expected
    assert "Decoy Dairy" not in html and "Dora Decoy" not in html


def test_profile_shows_a_masked_card_and_never_a_long_number(world, client):
    html = profile_of(client, world)
    assert "Visa •••• 4242" in html
    assert CARD.replace(" ", "") not in html and CARD not in html
    assert not LONG_DIGITS.search(html), LONG_DIGITS.search(html)
    assert "tok_brookside" not in html  # the processor token is no business of the page


def test_profile_marks_blocked_addresses_and_cards(app, world, client):
    with app.app_context():
        from helpdesk.services.fraud import fraud

        staff = db.session.get(User, world.staff_id)
        fraud.block_ip("198.51.100.0/24", actor=staff, reason="Bots")
        fraud.block_card(CARD, actor=staff, reason="Stolen")
    html = profile_of(client, world)
    assert html.count("badge-blocked") == 2


def test_unknown_customer_is_404(world, client):
    assert client.get("/system/customers/999999").status_code == 404
    assert client.get("/system/customers/999999/edit").status_code == 404


def test_profile_lists_page_with_htmx(app, world, client):
    with app.app_context():
        customer = db.session.get(User, world.customer_id)
        for n in range(12):
            queue_mail(
                to_address=customer.email,
                subject=f"Automated notice {n:02d}",
                template="password_changed",
                user=customer,
                changed_at=None,
                ip=None,
            )
        db.session.commit()
    html = profile_of(client, world)
    assert html.count("Automated notice") == 10 and "Page 1 of 2 (13 in all)" in html
    url = f"/system/customers/{world.org_id}/list/mail?page=2"
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'id="list-mail"' in fragment.text and fragment.text.count("Automated notice") == 2
    plain = client.get(url)
    assert plain.status_code == 302
    assert plain.headers["Location"].endswith(f"/system/customers/{world.org_id}?mail_page=2")
    assert client.get(plain.headers["Location"]).text.count("Automated notice") == 2
    assert client.get(f"/system/customers/{world.org_id}/list/nope").status_code == 404


# --- edit profile and its change log ----------------------------------------------------------


def edit_form(world: World, **changes) -> dict:
    data = {
        "name": "Brookside Bakery",
        "partner_id": "P-7731",
        "phone": "+1 (720) 555-0199",
        "address": "1 Mill Lane\nBoulder",
        "time_zone": "America/Denver",
        "numbers-0-id": str(world.number_id),
        "numbers-0-number": "+1 303 555 7788",
        "numbers-0-forward_to": "",
        "numbers-1-id": "",
        "numbers-1-number": "",
        "numbers-1-forward_to": "",
    }
    data.update(changes)
    return data


def edit(client, world: World, **changes):
    url = f"/system/customers/{world.org_id}/edit"
    return post_form(client, url, edit_form(world, **changes))


def test_edit_form_shows_current_values_and_a_blank_number_row(world, client):
    html = client.get(f"/system/customers/{world.org_id}/edit").get_data(as_text=True)
    assert 'value="P-7731"' in html and 'value="+1 303 555 7788"' in html
    assert 'name="numbers-1-number"' in html and "America/Denver" in html


def test_edit_saves_changes_with_a_change_log(app, world, client):
    response = edit(
        client,
        world,
        name="Brookside Bakery & Café",
        partner_id="P-9000",
        time_zone="Europe/Berlin",
        **{
            "numbers-0-forward_to": "+1 303 555 0000",
            "numbers-1-number": "+1 303 555 1234",
            "numbers-1-forward_to": "",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/system/customers/{world.org_id}"
    with app.app_context():
        org = db.session.get(Organisation, world.org_id)
        assert (org.name, org.partner_id, org.time_zone) == (
            "Brookside Bakery & Café",
            "P-9000",
            "Europe/Berlin",
        )
        numbers = db.session.scalars(
            sa.select(PhoneNumber).where(PhoneNumber.organisation_id == org.id)
        ).all()
        assert {(n.number, n.forward_to) for n in numbers} == {
            ("+1 303 555 7788", "+1 303 555 0000"),
            ("+1 303 555 1234", None),
        }
        log = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "customer.update"))
        assert log.actor_id == world.staff_id and log.organisation_id == org.id
        changes = {c["field"]: (c["before"], c["after"]) for c in log.details["changes"]}
        assert changes["Name"] == ("Brookside Bakery", "Brookside Bakery & Café")
        assert changes["Partner ID"] == ("P-7731", "P-9000")
        assert changes["Time zone"] == ("America/Denver", "Europe/Berlin")
        assert changes["Forwarding of +1 303 555 7788"] == (None, "+1 303 555 0000")
        assert "Number +1 303 555 1234" in changes
        assert "Phone" not in changes and "Address" not in changes
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Profile saved: 5 change(s)" in html
    assert "Partner ID: <del>P-7731</del> &rarr; <ins>P-9000</ins>" in html
    assert "+1 303 555 0000" in html


def test_edit_can_remove_a_number(app, world, client):
    assert edit(client, world, **{"numbers-0-remove": "y"}).status_code == 302
    with app.app_context():
        assert db.session.get(PhoneNumber, world.number_id) is None
        log = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "customer.update"))
        assert log.details["changes"][0]["after"] == "removed"


def test_edit_without_changes_writes_no_log(app, world, client):
    response = edit(client, world)
    assert response.status_code == 302
    assert "Nothing was changed." in client.get(response.headers["Location"]).text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 0


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": ""}, "Enter the company name."),
        ({"phone": "call me maybe"}, "A phone number may contain only digits"),
        ({"time_zone": "Mars/Olympus"}, "Not a valid choice."),
        ({"partner_id": "P" * 33}, "Field cannot be longer than 32 characters."),
        ({"numbers-0-number": ""}, "Enter the number, or tick Remove."),
        ({"numbers-0-forward_to": "ring ring"}, "A phone number may contain only digits"),
    ],
)
def test_bad_edit_shows_errors_and_saves_nothing(app, world, client, changes, message):
    response = edit(client, world, **{"name": "Renamed Bakery", **changes})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Organisation, world.org_id).name == "Brookside Bakery"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 0


def test_edit_cannot_touch_another_customers_number(app, world, client):
    with app.app_context():
        foreign = PhoneNumber(organisation_id=world.decoy_id, number="+1 999 555 0001")
        db.session.add(foreign)
        db.session.commit()
        foreign_id = foreign.id
    response = edit(
        client,
        world,
        **{"numbers-0-id": str(foreign_id), "numbers-0-number": "+1 303 555 6666"},
    )
    assert response.status_code == 422
    assert "does not belong to the customer" in response.text
    with app.app_context():
        assert db.session.get(PhoneNumber, foreign_id).number == "+1 999 555 0001"
    assert edit(client, world, **{"numbers-0-id": "x1"}).status_code == 400


# --- password-reset link ----------------------------------------------------------------------


def test_reset_link_is_mailed_to_the_login_and_audited(app, world, client):
    url = f"/system/customers/{world.org_id}/reset-link"
    page = f"/system/customers/{world.org_id}"
    response = post_form(client, url, {"user_id": world.customer_id}, page=page)
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "A password-reset link is on its way to hermione@brookside.example." in html
    with app.app_context():
        mail = db.session.scalar(
            sa.select(OutboxMail).where(OutboxMail.template_key == "password_reset")
        )
        assert mail.to_address == "hermione@brookside.example"
        assert mail.organisation_id == world.org_id
        link = re.search(r"http\S+/auth/reset/(\S+)", mail.body_text)
        assert link, mail.body_text
        log = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "customer.reset_link"))
        assert log.actor_id == world.staff_id and log.object_id == world.customer_id
        user = db.session.get(User, world.customer_id)
        assert user.check_password(PASSWORD)  # nothing was set
    token = link.group(1)
    assert token not in html  # the live link is the customer's alone
    assert PASSWORD not in html and "password_hash" not in html
    assert "Reset your password" in html and "mailed a password-reset link" in html


@pytest.mark.parametrize("who", ["other_customer_id", "staff"])
def test_reset_link_only_for_this_customers_logins(app, world, client, who):
    user_id = world.staff_id if who == "staff" else getattr(world, who)
    url = f"/system/customers/{world.org_id}/reset-link"
    response = post_form(
        client, url, {"user_id": user_id}, page=f"/system/customers/{world.org_id}"
    )
    assert response.status_code == 422 and "Not a valid choice." in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 1


# --- the red button on the profile ------------------------------------------------------------


def test_fraud_stop_button_blocks_the_customers_addresses_and_cards(app, world, client):
    url = f"/system/customers/{world.org_id}/fraud-stop"
    page = f"/system/customers/{world.org_id}"
    response = post_form(client, url, {"reason": "Chargebacks on three cards"}, page=page)
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "FRAUD-STOP: blocked 3 address(es) and 1 card(s)." in html
    assert html.count("badge-blocked") == 4
    assert "pressed FRAUD-STOP (Chargebacks on three cards)" in html
    with app.app_context():
        networks = set(db.session.scalars(sa.select(BlockedIP.network)))
        assert networks == {"198.51.100.23/32", "2001:db8::77/128", "192.0.2.61/32"}
        card = db.session.scalar(sa.select(BlockedCard))
        assert (card.brand, card.last4) == ("Visa", "4242")
        assert card.created_by_id == world.staff_id
        log = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "fraud.stop"))
        assert log.organisation_id == world.org_id
    again = post_form(client, url, {"reason": "Again"}, page=page)
    assert (
        "every known address and card is blocked already"
        in client.get(again.headers["Location"]).text
    )


def test_fraud_stop_button_needs_a_reason(app, world, client):
    url = f"/system/customers/{world.org_id}/fraud-stop"
    response = post_form(client, url, {"reason": ""}, page=f"/system/customers/{world.org_id}")
    assert response.status_code == 422 and "Give a reason." in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BlockedIP)) == 0


# --- the red button on the payment page -------------------------------------------------------


def pay(app, world: World) -> int:
    """A card payment by the world's customer, with its stored card."""
    with app.app_context():
        card_id = db.session.scalar(
            sa.select(PaymentCard.id).where(PaymentCard.organisation_id == world.org_id)
        )
        payment = Payment(
            organisation_id=world.org_id,
            card_id=card_id,
            method=PaymentMethod.CARD,
            amount_cents=4999,
            processor_reference="ch_test",
        )
        db.session.add(payment)
        db.session.commit()
        return payment.id


def test_payment_page_has_the_red_button(app, world, client):
    payment_id = pay(app, world)
    html = client.get(f"/billing/payments/{payment_id}").get_data(as_text=True)
    assert '<section class="card fraud-stop" id="fraud-stop">' in html
    assert f'action="/billing/payments/{payment_id}/fraud-stop"' in html
    assert '<button type="submit" class="danger">FRAUD-STOP</button>' in html


def test_fraud_stop_from_the_payment_page_blocks_the_payer_and_returns(app, world, client):
    payment_id = pay(app, world)
    page = f"/billing/payments/{payment_id}"
    url = f"{page}/fraud-stop"
    response = post_form(client, url, {"reason": "Chargeback on this payment"}, page=page)
    assert response.status_code == 303 and response.headers["Location"] == page
    html = client.get(page).get_data(as_text=True)
    assert "FRAUD-STOP: blocked 3 address(es) and 1 card(s)." in html
    assert "Refund" in html  # back on the payment page
    with app.app_context():
        networks = set(db.session.scalars(sa.select(BlockedIP.network)))
        assert networks == {"198.51.100.23/32", "2001:db8::77/128", "192.0.2.61/32"}
        card = db.session.scalar(sa.select(BlockedCard))
        assert (card.brand, card.last4, card.reason) == (
            "Visa",
            "4242",
            "Chargeback on this payment",
        )
        log = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "fraud.stop"))
        assert log.organisation_id == world.org_id and log.actor_id == world.staff_id
    again = post_form(client, url, {"reason": "Again"}, page=page)
    assert again.status_code == 303
    assert "every known address and card is blocked already" in client.get(page).text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 1


def test_payment_page_fraud_stop_needs_a_reason(app, world, client):
    payment_id = pay(app, world)
    page = f"/billing/payments/{payment_id}"
    response = post_form(client, f"{page}/fraud-stop", {"reason": " "}, page=page)
    assert response.status_code == 422
    assert "Give a reason." in response.text and f"Payment #{payment_id}" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BlockedIP)) == 0


def test_payment_page_fraud_stop_of_an_unknown_payment_is_404(app, world, client):
    page = f"/billing/payments/{pay(app, world)}"
    response = post_form(client, "/billing/payments/999999/fraud-stop", {"reason": "x"}, page=page)
    assert response.status_code == 404


# --- who may, and CSRF ------------------------------------------------------------------------

GETS = [
    "/system/",
    "/system/customers/{org}",
    "/system/customers/{org}/edit",
    "/system/customers/{org}/list/mail",
    "/system/fraud",
    "/system/fraud/list/ips",
]
POSTS = [
    "/system/customers/{org}/edit",
    "/system/customers/{org}/reset-link",
    "/system/customers/{org}/fraud-stop",
    "/system/customers/{org}/accounts",
    "/billing/payments/{payment}/fraud-stop",
    "/system/fraud/ips",
    "/system/fraud/cards",
    "/system/fraud/ip/{blocked}/unblock",
    "/system/fraud/card/{blocked}/unblock",
]


def _ids(app) -> dict:
    world = build(app)
    with app.app_context():
        from helpdesk.services.fraud import fraud

        staff = db.session.get(User, world.staff_id)
        blocked = fraud.block_ip("203.0.113.0/24", actor=staff, reason="Bots").id
    return {"org": world.org_id, "blocked": blocked, "payment": pay(app, world)}


@pytest.mark.parametrize("role", [Role.AGENT, Role.CUSTOMER])
def test_agents_and_customers_get_403_everywhere(app, client, role):
    ids = _ids(app)
    with app.app_context():
        user = make_user(role)
        db.session.commit()
        login_as(client, user)
    token = csrf_from(client.get("/auth/profile").get_data(as_text=True))
    for url in GETS:
        assert client.get(url.format(**ids)).status_code == 403, url
    for url in POSTS:
        response = client.post(url.format(**ids), data={"csrf_token": token, "reason": "x"})
        assert response.status_code == 403, url
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditLog.action)).all()
    # Only the set-up's block, and one "refused." row per refused action.
    assert len([action for action in actions if not action.startswith("refused.")]) == 1
    assert len([action for action in actions if action.startswith("refused.")]) == len(POSTS)


def test_anonymous_visitors_are_sent_to_login(app, client):
    ids = _ids(app)
    for url in GETS:
        response = client.get(url.format(**ids))
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.BILLING, Role.ADMIN])
def test_every_post_needs_the_csrf_token(app, client, role):
    ids = _ids(app)
    with app.app_context():
        user = make_user(role)
        db.session.commit()
        login_as(client, user)
    assert client.get("/system/fraud").status_code == 200
    for url in POSTS:
        response = client.post(url.format(**ids), data={"reason": "Because", "network": "1.2.3.4"})
        assert response.status_code == 400, url
        response = client.post(
            url.format(**ids), data={"reason": "Because", "csrf_token": "forged"}
        )
        assert response.status_code == 400, url
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BlockedIP)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 1
