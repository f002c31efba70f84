"""What an agent sees: contacts and stemmed matches in search, fraud warnings on cases and lists."""

from __future__ import annotations

import html
import re

import pytest
from flask import current_app

from helpdesk.extensions import db
from helpdesk.models import Contact, PaymentCard, Role, SeenAddress
from helpdesk.rules.cards import card_fingerprint
from helpdesk.services.fraud import fraud
from tests.conftest import as_user
from tests.factories import make_case, make_organisation, make_user

CARD = "4000 0566 5566 5556"


@pytest.fixture
def desk(app):
    with app.app_context():
        shady = make_organisation(name="Shady Ltd")
        buyer = make_user(Role.CUSTOMER, organisation=shady, name="Sam Shade")
        db.session.add(SeenAddress(user_id=buyer.id, ip_address="203.0.113.7"))
        db.session.add(
            PaymentCard(
                organisation_id=shady.id,
                brand="Visa",
                last4="5556",
                exp_month=12,
                exp_year=2030,
                processor_token="tok_shady",
                fingerprint=card_fingerprint(CARD, current_app.config["CARD_HASH_KEY"].encode()),
            )
        )
        clean = make_organisation(name="Clean Co")
        db.session.add(
            Contact(
                organisation_id=clean.id,
                name="Hannah Price",
                email="hannah@clean.test",
                position="Box office manager",
                former_employee=True,
            )
        )
        bad = make_case(shady, number=501, subject="Licence key now please")
        good = make_case(clean, number=502, subject="Installation on the new server")
        agent = make_user(Role.AGENT, name="Lena Agent")
        db.session.commit()
        admin = make_user(Role.ADMIN)
        fraud.block_ip("203.0.113.0/24", actor=admin, reason="Card testing from this range")
        fraud.block_card(CARD, actor=admin, reason="Reported stolen")
        return {"agent": agent.id, "bad": bad.number, "good": good.number, "shady": shady.id}


@pytest.fixture
def agent(app, client, desk):
    return as_user(app, client, desk["agent"])


def text_of(response) -> str:
    words = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text)))
    return re.sub(r" ([,.:;])", r"\1", words)


def test_search_finds_a_contact_with_links_to_the_account_and_cases(agent):
    page = agent.get("/tracker/search?q=hannah")
    assert page.status_code == 200
    words = text_of(page)
    assert "People" in words and "Hannah Price" in words and "former employee" in words
    assert "Clean Co · Box office manager" in words and "hannah@clean.test" in words
    assert "/tracker/callers/" in page.text
    assert re.search(r'href="/tracker/search\?q=hannah(@|%40)clean.test"', page.text)
    assert "No cases found for “hannah”." in words


def test_search_fragment_stems_and_shows_no_people_when_none_match(agent):
    page = agent.get("/tracker/search?q=installing", headers={"HX-Request": "true"})
    assert page.text.lstrip().startswith('<div id="search-results">')
    assert "#502" in page.text and "People" not in page.text


def test_the_case_page_says_why_a_case_is_flagged(agent, desk):
    words = text_of(agent.get(f"/tracker/cases/{desk['bad']}"))
    assert "Fraud warning" in words
    assert "Sam Shade came from 203.0.113.7, which is blocked as part of 203.0.113.0/24" in words
    assert "Card testing from this range" in words
    assert "Stored card Visa ending 5556 is blocked" in words
    assert "4000056655665556" not in words and "0566 5566" not in words


def test_a_clean_case_has_no_warning(agent, desk):
    assert "Fraud warning" not in agent.get(f"/tracker/cases/{desk['good']}").text


def test_folder_lists_mark_flagged_cases_and_filter_them(agent, desk):
    everything = agent.get("/tracker/folders/all")
    assert everything.text.count('class="fraud-mark"') == 1
    assert "Login address 203.0.113.7 is blocked (203.0.113.0/24)" in html.unescape(everything.text)
    flagged = agent.get("/tracker/folders/all?flag=fraud")
    assert f"#{desk['bad']}" in flagged.text and f"#{desk['good']}" not in flagged.text
    assert 'name="flag" value="fraud" checked' in flagged.text
    fragment = agent.get("/tracker/folders/all?flag=fraud", headers={"HX-Request": "true"})
    assert "flag=fraud" in fragment.text  # the live poll and the pager keep the filter
    assert f"#{desk['good']}" not in fragment.text


def test_lifting_the_blocks_removes_the_warning(app, agent, desk):
    with app.app_context():
        admin = make_user(Role.ADMIN)
        for kind, blocked in [
            (fraud.IP, fraud.is_ip_blocked("203.0.113.7")),
            (fraud.CARD, fraud.is_card_blocked(CARD)),
        ]:
            fraud.unblock(kind, blocked.id, actor=admin, reason="Cleared by the bank")
    assert "Fraud warning" not in agent.get(f"/tracker/cases/{desk['bad']}").text
    assert 'class="fraud-mark"' not in agent.get("/tracker/folders/all").text
