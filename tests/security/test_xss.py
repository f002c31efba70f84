"""Stored and reflected XSS (issue 10 item 3): every payload of xss_payloads through every
user-controlled field, by the real forms with CSRF tokens, then every page that shows it is
parsed and must hold none of them as live markup.

One world for the whole module (demo data, then everything stored once); the pages are read
as they would be by the customer, the agent, the billing clerk and the administrator.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from helpdesk.extensions import db, limiter
from helpdesk.markup import render_markup
from helpdesk.models import (
    Article,
    CannedResponse,
    Case,
    InboundMail,
    Order,
    Organisation,
    OutboxMail,
    Payment,
    Shipment,
    User,
    utcnow,
)
from helpdesk.sample_data import demo
from helpdesk.services.billing.recurring_charges import business_day
from helpdesk.services.mail import inbound
from tests.conftest import _empty_all_tables, login_as
from tests.security.xss_payloads import (
    BY_MARKER,
    PAYLOADS,
    careless_render,
    chunks,
    live_findings,
    markers_in,
)

ALL_TEXT = "\n\n".join(p.text for p in PAYLOADS)
NO_BRACES = [p for p in PAYLOADS if "{" not in p.text and "}" not in p.text]
ONE_LINE = [p for p in PAYLOADS if "\r" not in p.text and "\n" not in p.text]


# --- a small form filler: the rendered form's own defaults, hidden fields and CSRF token ---


@dataclass
class _Form:
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    maxlength: dict[str, int] = field(default_factory=dict)


class _FormReader(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[_Form] = []
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._textarea: list | None = None
        self._radios: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(_Form(urlsplit(a.get("action") or self.page_url).path))
            self._radios = {}
            return
        if not self.forms or not a.get("name"):
            if tag == "option" and self._select is not None:
                self._select[1].append((a.get("value") or "", "selected" in a))
            return
        form, name = self.forms[-1], a["name"]
        if a.get("maxlength"):
            form.maxlength[name] = int(a["maxlength"])
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    form.fields.append((name, a.get("value") or "on"))
                    self._radios[name] = "done"
                elif kind == "radio" and name not in self._radios:
                    self._radios[name] = a.get("value") or ""
                return
            form.fields.append((name, a.get("value") or ""))
        elif tag == "textarea":
            self._textarea = [name, ""]
        elif tag == "select":
            self._select = (name, [])

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            self.forms[-1].fields.append(tuple(self._textarea))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, options = self._select
            chosen = [v for v, selected in options if selected] or [v for v, _ in options if v]
            if chosen:
                self.forms[-1].fields.append((name, chosen[0]))
            self._select = None
        elif tag == "form" and self.forms:
            form = self.forms[-1]
            for name, value in self._radios.items():
                if value != "done":
                    form.fields.append((name, value))


def _form(client: FlaskClient, page_url: str, action: str) -> _Form:
    response = client.get(page_url)
    assert response.status_code == 200, (page_url, response.status_code)
    reader = _FormReader(urlsplit(page_url).path)
    reader.feed(response.text)
    for form in reader.forms:
        if form.action == action:
            return form
    raise AssertionError(
        f"no form posting to {action} on {page_url}: {[f.action for f in reader.forms]}"
    )


@dataclass
class World:
    app: Flask
    ids: dict[str, int] = field(default_factory=dict)
    pages: dict[str, tuple[str, int, str]] = field(default_factory=dict)  # label: who, status, html
    stored: dict[str, set[str]] = field(default_factory=dict)  # what: markers accepted
    posts: int = 0

    def client(self, who: str | None) -> FlaskClient:
        client = self.app.test_client()
        if who:
            with self.app.app_context():
                login_as(client, db.session.get(User, self.ids[who]))
        return client

    def post(self, who, page_url, action, values, *, files=None, label=None, expect=(302, 303)):
        """Fill the form on `page_url` that posts to `action`, override `values`, post it;
        a refusal page is kept as a page to check (it shows the input back)."""
        client = self.client(who) if isinstance(who, str) or who is None else who
        form = _form(client, page_url, action)
        data: dict = {}
        for name, value in form.fields:
            data.setdefault(name, value)
        data.update(values)
        if files:
            data.update(files)
        response = client.post(
            action, data=data, content_type="multipart/form-data" if files else None
        )
        self.posts += 1
        name = label or f"post {action}"
        if response.status_code not in expect:
            self.pages[f"{name} #{self.posts} (refused, {response.status_code})"] = (
                str(who),
                response.status_code,
                response.text,
            )
        return response

    def view(self, who: str | None, label: str, url: str, client=None, htmx=False) -> None:
        headers = {"HX-Request": "true"} if htmx else {}
        response = (client or self.client(who)).get(url, headers=headers)
        self.pages[label] = (str(who), response.status_code, response.text)


def _one(stmt):
    return db.session.scalars(stmt).first()


def _store_everything(w: World) -> None:
    app = w.app
    with app.app_context():
        today = business_day(utcnow())  # the day the shop's forms mean

    # Registration: name and company, in as many sign-ups as the lengths need.
    names, companies = chunks(120, ONE_LINE), chunks(200, ONE_LINE)
    for i in range(max(len(names), len(companies))):
        w.post(
            None,
            "/auth/register",
            "/auth/register",
            {
                "name": names[i % len(names)],
                "company": companies[i % len(companies)],
                "email": f"xss-signup-{i}@example.com",
                "password": "correct-horse-battery-staple",
                "confirm": "correct-horse-battery-staple",
            },
            label="register",
        )

    # Profile: the customer's own name (the last chunk stays, every chunk shows once).
    for text in chunks(120, ONE_LINE):
        w.post("anna", "/auth/profile", "/auth/profile", {"name": text}, label="profile")
    w.view("anna", "profile page", "/auth/profile")

    # Portal case: subject and body as typed, files named with payloads (5 files a post).
    # A "/" would make the rest a path: the upload check refuses those, so leave it out.
    names = [f"{p.text.replace('/', '')}.txt" for p in ONE_LINE]
    for i, subject in enumerate(chunks(200, ONE_LINE)):
        files = [(io.BytesIO(b"x"), name) for name in names[i * 5 : i * 5 + 5]]
        w.post(
            "anna",
            "/cases/new",
            "/cases/new",
            {"category": "support", "subject": subject, "body": ALL_TEXT},
            files={"attachments": files},
            label="portal new case",
        )
    with app.app_context():
        first = db.session.scalars(
            sa.select(Case.number).where(Case.subject.contains("XSS_")).order_by(Case.id)
        ).all()
    assert first, "no case was opened with a payload subject"
    w.ids["case"] = first[0]
    w.ids["cases"] = len(first)
    case = w.ids["case"]

    # Portal replies with attachments.
    for i in range(0, len(ONE_LINE), 5):
        w.post(
            "anna",
            f"/cases/{case}",
            f"/cases/{case}/reply",
            {"body": ALL_TEXT if i == 0 else ONE_LINE[i].text},
            files={
                "attachments": [
                    (io.BytesIO(b"y"), f"{p.text.replace('/', '')}.log")
                    for p in ONE_LINE[i : i + 5]
                ]
            },
            label="portal reply",
        )

    # Tracker: public reply and private note by the agent.
    for kind in ("reply", "note"):
        w.post(
            "agent",
            f"/tracker/cases/{case}",
            f"/tracker/cases/{case}/messages",
            {"kind": kind, "body": ALL_TEXT},
            label=f"tracker {kind}",
        )
    # Clones: a reason for another department, and one case per order with a typed subject.
    for reason in chunks(500, ONE_LINE):
        w.post(
            "agent",
            f"/tracker/cases/{case}",
            f"/tracker/cases/{case}/clone",
            {"reason": reason},
            label="clone for department",
        )
    with app.app_context():
        anna = db.session.get(User, w.ids["anna"])
        order_number = _one(
            sa.select(Order.number).where(Order.organisation_id == anna.organisation_id)
        )
    for subject in chunks(200, ONE_LINE)[:3]:
        w.post(
            "agent",
            f"/tracker/cases/{case}",
            f"/tracker/cases/{case}/clone-orders",
            {"order_numbers": order_number, "subject": subject, "body": ALL_TEXT},
            label="clone for orders",
        )

    # Help centre article by an agent.
    for title in chunks(200, ONE_LINE):
        w.post(
            "agent",
            "/help/new",
            "/help/new",
            {"title": title, "body": ALL_TEXT, "visibility": "public"},
            label="article new",
        )

    # Canned responses: saved without braces; with them refused, the form shows them back.
    with app.app_context():
        canned_id = _one(sa.select(CannedResponse.id).order_by(CannedResponse.id))
    w.ids["canned"] = canned_id
    url = f"/admin/canned/{canned_id}"
    # "Preview" renders the template with sample values (the page is kept and checked),
    # "save" stores it; with braces both are refused and the form shows the text back.
    for body_payloads, action in (
        (PAYLOADS, "preview"),
        (NO_BRACES, "preview"),
        (NO_BRACES, "save"),
    ):
        lines = [p for p in body_payloads if p in ONE_LINE]
        w.post(
            "admin",
            url,
            url,
            {
                "action": action,
                "title": chunks(120, lines)[0],
                "subject": chunks(200, lines)[-1],
                "body": "\n\n".join(p.text for p in body_payloads),
            },
            label=f"canned {action}",
        )

    # System manager: a customer's company name, partner ID, phone, address and numbers.
    with app.app_context():
        org_id = db.session.get(User, w.ids["anna"]).organisation_id
    w.ids["org"] = org_id
    edit = f"/system/customers/{org_id}/edit"
    for i, text in enumerate(chunks(120, ONE_LINE)):
        w.post(
            "billing",
            edit,
            edit,
            {
                "name": text,
                "partner_id": text[:32],
                # Phone numbers allow digits only: the first post is refused and shown back.
                "phone": text[:40] if i == 0 else "+1 303 555 0100",
                "address": ALL_TEXT[:500] if i == 1 else text,
                "numbers-0-number": text[:40] if i == 0 else "+1 303 555 0101",
                "numbers-0-forward_to": text[:40] if i == 0 else "",
            },
            label="customer edit",
        )

    # Billing: refund reason, promotion name/code, an order's promotion code, tracking number.
    with app.app_context():
        payment_id = _one(sa.select(Payment.id).order_by(Payment.id))
        unpaid_order = _one(sa.select(Order.id).order_by(Order.id.desc()))
        shipment_id = _one(sa.select(Shipment.id).order_by(Shipment.id))
    w.ids.update(payment=payment_id, order=unpaid_order, shipment=shipment_id)
    for reason in chunks(500, ONE_LINE):
        w.post(
            "billing",
            f"/billing/payments/{payment_id}",
            f"/billing/payments/{payment_id}/refunds",
            {"amount": "0.01", "reason": reason},
            label="refund",
        )
    for i, name in enumerate(chunks(120, ONE_LINE)):
        w.post(
            "billing",
            "/billing/promotions",
            "/billing/promotions",
            {
                "code": f"XSS{i:02d}",
                "name": name,
                "description": ALL_TEXT[:1000],
                "percent_off": "10",
                "amount_off": "",
                "starts_on": today.isoformat(),
                "ends_on": (today + timedelta(days=30)).isoformat(),
            },
            label="promotion",
        )
    for code in chunks(40, ONE_LINE):
        w.post(
            "billing",
            "/billing/promotions",
            "/billing/promotions",
            {
                "code": code,
                "name": "Coded",
                "percent_off": "5",
                "amount_off": "",
                "starts_on": today.isoformat(),
                "ends_on": (today + timedelta(days=30)).isoformat(),
            },
            label="promotion code",
        )
        w.post(
            "billing",
            f"/billing/orders/{unpaid_order}",
            f"/billing/orders/{unpaid_order}/promotion",
            {"code": code},
            label="order promotion code",
        )
    ship = f"/billing/shipments/{shipment_id}"
    w.post("billing", "/billing/shipments", f"{ship}/pack", {}, label="shipment pack")
    for tracking in chunks(80, ONE_LINE)[:4]:
        w.post(
            "billing",
            "/billing/shipments",
            f"{ship}/ship",
            {"carrier": tracking[:60], "tracking_number": tracking},
            label="shipment ship",
        )

    # Administrator: holiday names.
    for i, name in enumerate(chunks(100, ONE_LINE)):
        w.post(
            "admin",
            "/admin/holidays",
            "/admin/holidays",
            {"day": (today + timedelta(days=100 + i)).isoformat(), "name": name},
            label="holiday",
        )

    # Inbound mail: from a known customer (a case), from a stranger, and unparseable.
    with app.app_context():
        for sender, subject in (
            ("anna@northwind.example", chunks(900, ONE_LINE)[0]),
            ("stranger@elsewhere.example", chunks(900, ONE_LINE)[-1]),
        ):
            message = EmailMessage()
            message["From"] = f'"{subject[:60]}" <{sender}>'
            message["To"] = "support@example.com"
            message["Subject"] = subject
            message.set_content(ALL_TEXT)
            message.add_alternative(f"<html><body>{ALL_TEXT}</body></html>", subtype="html")
            inbound.ingest(message.as_bytes())
        raw = f"From: <script>alert(/XSS_01/)</script>\r\nSubject: {ALL_TEXT[:300]}\r\n\r\n"
        inbound.ingest(raw.encode() + b"\xff\xfe" + ALL_TEXT.encode())
        db.session.remove()


def _read_everything(w: World) -> None:
    app = w.app
    with app.app_context():
        numbers = db.session.scalars(
            sa.select(Case.number).where(Case.subject.contains("XSS_")).order_by(Case.id)
        ).all()
        mail_case = _one(
            sa.select(Case.number)
            .where(Case.origin == "email", Case.subject.contains("XSS_"))
            .order_by(Case.id.desc())
        )
        slugs = db.session.scalars(sa.select(Article.slug).where(Article.title.contains("XSS_")))
        slugs = slugs.all()
        article_ids = db.session.scalars(
            sa.select(Article.id).where(Article.title.contains("XSS_"))
        ).all()
        orgs = db.session.scalars(
            sa.select(Organisation.id).where(Organisation.name.contains("XSS_"))
        ).all()
        mails = db.session.scalars(sa.select(InboundMail.id)).all()
        written = db.session.scalars(
            sa.select(OutboxMail.id)
            .where(
                sa.or_(OutboxMail.subject.contains("XSS_"), OutboxMail.body_text.contains("XSS_"))
            )
            .order_by(OutboxMail.id.desc())
            .limit(10)
        ).all()
    assert slugs and orgs and mails and written, (slugs, orgs, mails, written)
    case = w.ids["case"]

    # The customer.
    anna = w.client("anna")
    w.view("anna", "portal case list", "/cases", anna)
    for number in {case, mail_case} - {None}:
        w.view("anna", f"portal case {number}", f"/cases/{number}", anna)
        w.view("anna", f"portal thread {number}", f"/cases/{number}/thread", anna)
    w.view("anna", "portal article", f"/help/articles/{article_ids[0]}", anna)

    # The agent.
    agent = w.client("agent")
    for number in [*numbers[:3], numbers[-1], mail_case]:
        if number:
            w.view("agent", f"tracker case {number}", f"/tracker/cases/{number}", agent)
    w.view("agent", "tracker thread", f"/tracker/cases/{case}/thread", agent)
    for folder in ("all", "new", "open", "waiting"):
        w.view("agent", f"folder {folder}", f"/tracker/folders/{folder}?scope=everyone", agent)
    w.view("agent", "tracker search", "/tracker/search?q=XSS", agent)
    w.view("agent", "tracker search alert", "/tracker/search?q=alert", agent)
    w.view("agent", "callers", "/tracker/callers?q=XSS", agent)
    w.view("agent", "caller account", f"/tracker/callers/{w.ids['org']}", agent)
    w.view("agent", "start of day", "/tracker/start-of-day", agent)
    suggestions = f"/tracker/cases/{case}/articles?body=alert+script"
    w.view("agent", "article suggestions", suggestions, agent, htmx=True)
    # The htmx fragments are rendered on their own: read them too.
    w.view("agent", "tracker case fragment", f"/tracker/cases/{case}", agent, htmx=True)
    w.view("agent", "tracker search fragment", "/tracker/search?q=alert", agent, htmx=True)
    w.view("agent", "folder fragment", "/tracker/folders/all?scope=everyone", agent, htmx=True)
    w.view("anna", "portal case fragment", f"/cases/{case}", anna, htmx=True)
    w.view(None, "help search fragment", "/help?q=alert", htmx=True)

    # Help centre, anonymous and staff.
    for slug in slugs[:2]:
        w.view(None, f"article {slug[:20]}", f"/help/{slug}")
        w.view("agent", f"article history {slug[:20]}", f"/help/{slug}/history", agent)
    w.view(None, "help home", "/help")
    w.view(None, "help search", "/help?q=alert")

    # Billing clerk: system manager and billing.
    clerk = w.client("billing")
    w.view("billing", "system home", "/system/?q=XSS", clerk)
    for org in [w.ids["org"], *orgs[:3]]:
        w.view("billing", f"system customer {org}", f"/system/customers/{org}", clerk)
    w.view("billing", "customer edit form", f"/system/customers/{w.ids['org']}/edit", clerk)
    for name in ("history", "mail", "invoices"):
        url = f"/system/customers/{w.ids['org']}/list/{name}"
        w.view("billing", f"system list {name}", url, clerk)
    w.view("billing", "payment", f"/billing/payments/{w.ids['payment']}", clerk)
    w.view("billing", "billing home", "/billing/", clerk)
    w.view("billing", "promotions", "/billing/promotions", clerk)
    w.view("billing", "orders", "/billing/orders", clerk)
    w.view("billing", "order", f"/billing/orders/{w.ids['order']}", clerk)
    w.view("billing", "shipments", "/billing/shipments?status=", clerk)
    w.view("billing", "statements", f"/billing/customers/{w.ids['org']}/statements", clerk)

    # Administrator.
    admin = w.client("admin")
    w.view("admin", "audit log", "/admin/audit", admin)
    w.view("admin", "audit log filtered", "/admin/audit?actor=Bob", admin)
    w.view("admin", "mail quarantine", "/admin/mail-quarantine?show=all", admin)
    w.view("admin", "mail quarantine default", "/admin/mail-quarantine", admin)
    w.view("admin", "sent mail", "/admin/sent-mail", admin)
    for mail_id in written:
        w.view("admin", f"sent mail {mail_id}", f"/admin/sent-mail/{mail_id}", admin)
    w.view("admin", "canned list", "/admin/canned", admin)
    w.view("admin", "canned edit", f"/admin/canned/{w.ids['canned']}", admin)
    w.view("admin", "holidays", "/admin/holidays", admin)
    w.view("admin", "users", "/admin/users", admin)
    w.view("admin", "reports support", "/reports/support", admin)
    w.view("admin", "reports billing", "/reports/billing", admin)
    w.view("admin", "reports dashboard", "/reports/", admin)
    w.view("admin", "admin tracker case", f"/tracker/cases/{case}", admin)


# Reflected: each query parameter gets every payload (several per request where it fits).
REFLECTED = [
    ("agent", "/tracker/search", "q", 200),
    ("agent", "/tracker/callers", "q", 200),
    ("agent", "/tracker/folders/all", "organisation", 100),
    ("agent", "/tracker/folders/all", "product", 120),
    ("agent", "/tracker/intake", "name", 120),
    ("billing", "/system/", "q", 200),
    ("billing", "/billing/orders", "customer", 200),
    ("billing", "/billing/", "customer", 200),
    (None, "/help", "q", 200),
    (None, "/help", "tag", 40),
    (None, "/auth/login", "next", 2000),
    ("admin", "/admin/audit", "actor", 100),
    ("admin", "/admin/audit", "action", 100),
    ("admin", "/admin/audit", "object_type", 40),
    ("admin", "/reports/support", "from", 2000),
    ("admin", "/reports/billing", "to", 2000),
    ("admin", "/admin/users", "q", 200),
]


def _read_reflected(w: World) -> None:
    clients = {who: w.client(who) for who in ("agent", "billing", "admin", None)}
    case = w.ids["case"]
    targets = [*REFLECTED, ("agent", f"/tracker/cases/{case}/articles", "body", 2000)]
    for who, path, param, limit in targets:
        for i, text in enumerate(chunks(limit)):
            url = f"{path}?{param}={quote(text, safe='')}"
            headers = {"HX-Request": "true"} if path.endswith("/articles") else {}
            response = clients[who].get(url, headers=headers)
            label = f"reflected {path}?{param} #{i}"
            w.pages[label] = (str(who), response.status_code, response.text)


@pytest.fixture(scope="module")
def world(_app: Flask) -> Iterator[World]:
    """Demo data, then every payload stored through every form; all pages read once."""
    limiter.reset()
    w = World(_app)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(_app.config, "REGISTER_LIMIT_PER_IP", "1000 per hour")
        with _app.app_context():
            demo.load(_app.config["CARD_HASH_KEY"].encode())
            for key, email in (
                ("anna", "anna@northwind.example"),
                ("agent", "agent1@example.com"),
                ("billing", "billing@example.com"),
                ("admin", "admin@example.com"),
            ):
                w.ids[key] = db.session.scalar(sa.select(User.id).where(User.email == email))
            db.session.remove()
        try:
            _store_everything(w)
            _read_everything(w)
            _read_reflected(w)
            yield w
        finally:
            with _app.app_context():
                db.session.rollback()
                _empty_all_tables()
            limiter.reset()


# --- the payloads and the checker themselves ---


def test_there_are_at_least_30_distinct_payloads_with_unique_markers():
    assert len(PAYLOADS) >= 30
    assert len({p.marker for p in PAYLOADS}) == len(PAYLOADS)
    assert len({p.text for p in PAYLOADS}) == len(PAYLOADS)
    assert len({p.technique for p in PAYLOADS}) == len(PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: p.marker)
def test_the_checker_finds_each_payload_when_carelessly_rendered(payload):
    # Proof that the page checks below can fail: the same payload, rendered carelessly.
    findings = live_findings(f"<div>{careless_render(payload.text)}</div><p>after</p>")
    assert any(f.startswith(payload.marker) for f in findings), findings


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: p.marker)
def test_render_markup_leaves_nothing_live(payload):
    html = render_markup(payload.text)
    assert live_findings(html) == []


# --- the pages ---


def test_every_form_took_the_payloads(world):
    # A refusal page is still checked below, but most fields must have been stored: a page
    # that never shows a payload would prove nothing.
    shown = set().union(*(markers_in(html) for _, _, html in world.pages.values()))
    assert shown == set(BY_MARKER), sorted(set(BY_MARKER) - shown)
    assert world.ids["cases"] >= 1
    for label in ("profile page", "portal case list", "tracker search", "audit log"):
        assert markers_in(world.pages[label][2]), f"{label} shows no payload"


def test_no_page_shows_a_payload_live(world):
    problems = {}
    for label, (who, status, html) in world.pages.items():
        assert status < 500, f"{label} as {who}: {status}"
        findings = live_findings(html)
        if findings:
            problems[f"{label} as {who}"] = findings[:5]
    assert not problems, problems


def test_stored_pages_show_the_payloads_as_text(world):
    """The pages that hold stored input show it (escaped), so the check above had input."""
    must_show = [
        "profile page",
        "portal case list",
        "audit log",
        "mail quarantine default",
        "canned edit",
        "holidays",
        "promotions",
        "payment",
        "system home",
        "help home",
    ]
    must_show += [label for label in world.pages if label.startswith(("tracker case", "article"))]
    must_show += [label for label in world.pages if label.startswith("portal case ")]
    empty = [label for label in must_show if not markers_in(world.pages[label][2])]
    assert not empty, empty
    # The case thread shows every payload of the body and the replies.
    case_page = world.pages[f"tracker case {world.ids['case']}"][2]
    assert markers_in(case_page) >= set(BY_MARKER) - {"XSS_39"}


def test_reflected_queries_never_come_back_live(world):
    reflected = {k: v for k, v in world.pages.items() if k.startswith("reflected")}
    assert len(reflected) >= len(REFLECTED) * 2
    echoed = {k for k, (_, _, html) in reflected.items() if markers_in(html)}
    assert len(echoed) >= len(reflected) // 2, sorted(set(reflected) - echoed)
