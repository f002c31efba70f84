"""Issue 10 items 4 and 5: uploads, sessions and login, security headers on every page.

What tests/views already proves (portal new-case uploads, per-account and per-address login
limits, reset links once and expiring, a few `next=` tricks, headers on three pages) is not
repeated; this covers the rest: the reply and tracker upload forms, disguised file names,
guessed ids, more redirect tricks, a replayed cookie, and the headers on every GET route.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import url_for

from helpdesk.extensions import db
from helpdesk.models import Attachment, Message, Role, User
from tests.conftest import as_user, csrf_from, post_form
from tests.factories import PASSWORD, make_case, make_order, make_user
from tests.security.s3_world import ROLES, build_world, sign_in, url_values


@pytest.fixture
def people(app):
    """Two organisations with a customer and a case each, an agent and a billing clerk."""
    with app.app_context():
        anna = make_user(Role.CUSTOMER, email="anna@northwind.example")
        ben = make_user(Role.CUSTOMER, email="ben@contoso.example")
        make_order(anna.organisation)
        agent = make_user(Role.AGENT, email="agent@example.test")
        clerk = make_user(Role.BILLING, email="clerk@example.test")
        mine = make_case(anna.organisation, requester_id=anna.id)
        theirs = make_case(ben.organisation, requester_id=ben.id)
        db.session.commit()
        return {
            "anna": anna.id,
            "agent": agent.id,
            "clerk": clerk.id,
            "mine": mine.number,
            "theirs": theirs.number,
        }


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def reply(client, number: int, filename: str, data: bytes = b"hello\n", *, staff=False):
    url = f"/tracker/cases/{number}/messages" if staff else f"/cases/{number}/reply"
    page = f"/tracker/cases/{number}" if staff else f"/cases/{number}"
    token = csrf_from(client.get(page).text)
    fields = {
        "csrf_token": token,
        "body": "See the file.",
        "attachments": [(io.BytesIO(data), filename)],
    }
    if staff:
        fields["kind"] = "reply"
    return client.post(url, data=fields, content_type="multipart/form-data")


# -- uploads ------------------------------------------------------------------------------

REFUSED_NAMES = [
    "page.HTML",
    "page.htm",
    "logo.SvG",
    "logo.svgz",
    "notes.txt.html",
    "invoice.pdf.exe",
    "run.BAT",
    "script.js",
    "evil.html.",
    "evil.html ",
    "shell.php",
    "noextension",
]


@pytest.mark.parametrize("staff", [False, True], ids=["portal-reply", "tracker-message"])
@pytest.mark.parametrize("filename", REFUSED_NAMES)
def test_markup_and_executable_uploads_are_refused_with_a_form_error(
    app, client, people, filename, staff
):
    as_user(app, client, people["agent" if staff else "anna"])
    messages = count(app, Message)
    response = reply(client, people["mine"], filename, b"<script>alert(1)</script>", staff=staff)
    assert response.status_code == 422
    assert "not accepted" in response.text
    assert "See the file." in response.text  # what was typed is kept
    assert (count(app, Attachment), count(app, Message)) == (0, messages)


@pytest.mark.parametrize("staff", [False, True], ids=["portal-reply", "tracker-message"])
def test_over_size_files_are_refused_with_a_form_error(app, client, people, staff, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 1024)
    as_user(app, client, people["agent" if staff else "anna"])
    response = reply(client, people["mine"], "big.log", b"x" * 1025, staff=staff)
    assert response.status_code == 422
    assert "larger than" in response.text
    assert count(app, Attachment) == 0


# A ZIP archive and a program renamed to look like a picture or a document.
RENAMED_FILES = [
    ("screen.png", b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "not a .png file"),
    ("invoice.pdf", b"<!doctype html><script>alert(1)</script>", "not a .pdf file"),
    ("notes.txt", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "not plain text"),
]


@pytest.mark.parametrize("staff", [False, True], ids=["portal-reply", "tracker-message"])
@pytest.mark.parametrize("filename, data, message", RENAMED_FILES)
def test_a_file_whose_content_is_not_its_type_is_refused_with_a_form_error(
    app, client, people, filename, data, message, staff
):
    as_user(app, client, people["agent" if staff else "anna"])
    messages = count(app, Message)
    response = reply(client, people["mine"], filename, data, staff=staff)
    assert response.status_code == 422
    assert f"{filename}: the content is {message}" in response.text
    assert "See the file." in response.text  # what was typed is kept
    assert (count(app, Attachment), count(app, Message)) == (0, messages)


@pytest.mark.parametrize("staff", [False, True], ids=["portal-reply", "tracker-message"])
def test_a_file_whose_content_matches_its_type_is_stored(app, client, people, staff):
    as_user(app, client, people["agent" if staff else "anna"])
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    response = reply(client, people["mine"], "screen.png", png, staff=staff)
    assert response.status_code in (200, 204, 302, 303)
    with app.app_context():
        assert db.session.scalar(sa.select(Attachment.original_name)) == "screen.png"


@pytest.mark.parametrize(
    "filename, shown",
    [
        ("..\\..\\windows\\system32\\drivers.log", "drivers.log"),
        ("/etc/cron.d/evil.txt", "evil.txt"),
        ("../../../../tmp/x.txt", "x.txt"),
        ("C:\\Users\\me\\..\\report.csv", "report.csv"),
        ("a\x00b.txt", "a_b.txt"),
        ("<img src=x onerror=alert(1)>.txt", "_img src_x onerror_alert_1_.txt"),
    ],
)
def test_path_traversal_names_are_neutralised(app, client, people, filename, shown, tmp_path):
    as_user(app, client, people["anna"])
    response = reply(client, people["mine"], filename, b"trace\n")
    assert response.status_code in (200, 204, 302, 303)
    with app.app_context():
        attachment = db.session.scalar(sa.select(Attachment))
    # (the test client's multipart encoding may already drop a backslash or two)
    assert attachment.original_name.endswith(shown)
    assert not {"/", "\\", "\x00"} & set(attachment.original_name)
    assert not attachment.original_name.startswith(".")
    assert re.fullmatch(r"[0-9a-f]{32}", attachment.stored_name)
    directory = Path(app.config["ATTACHMENT_DIR"])
    assert (directory / attachment.stored_name).read_bytes() == b"trace\n"
    assert all(re.fullmatch(r"[0-9a-f]{32}", p.name) for p in directory.iterdir())
    assert not (tmp_path.parent / "x.txt").exists()
    download = client.get(f"/cases/{people['mine']}/attachments/{attachment.id}")
    assert download.data == b"trace\n"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "/" not in disposition and "\\" not in disposition and "<" not in disposition


@pytest.mark.parametrize("staff", [False, True], ids=["portal", "tracker"])
def test_html_inside_an_allowed_type_downloads_as_plain_text_never_inline(
    app, client, people, staff
):
    as_user(app, client, people["agent" if staff else "anna"])
    html = b"<html><script>alert(document.cookie)</script></html>"
    assert reply(client, people["mine"], "notes.txt", html, staff=staff).status_code < 400
    with app.app_context():
        attachment_id = db.session.scalar(sa.select(Attachment.id))
    prefix = "/tracker" if staff else ""
    download = client.get(f"{prefix}/cases/{people['mine']}/attachments/{attachment_id}")
    assert download.status_code == 200 and download.data == html
    assert download.mimetype == "text/plain"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]


def _stored_file(app, number: int, *, note: bool = False) -> int:
    with app.app_context():
        from helpdesk.models import Case, MessageKind, Origin

        case = db.session.scalar(sa.select(Case).where(Case.number == number))
        message = None
        if note:
            message = Message(
                case_id=case.id,
                kind=MessageKind.NOTE,
                origin=Origin.WEB,
                body="internal",
                body_html="<p>internal</p>",
            )
            db.session.add(message)
            db.session.flush()
        stored = f"{case.id:032x}"
        directory = Path(app.config["ATTACHMENT_DIR"])
        directory.mkdir(parents=True, exist_ok=True)
        (directory / stored).write_bytes(b"secret\n")
        attachment = Attachment(
            case_id=case.id,
            message_id=message.id if message else None,
            original_name="secret.txt",
            stored_name=stored,
            content_type="text/plain",
            size_bytes=7,
            sha256="0" * 64,
        )
        db.session.add(attachment)
        db.session.commit()
        return attachment.id


def test_a_guessed_attachment_id_of_another_organisation_is_404(app, client, people):
    theirs = _stored_file(app, people["theirs"])
    as_user(app, client, people["anna"])
    # Their file through my own case's address: the id exists, but not on this case.
    assert client.get(f"/cases/{people['mine']}/attachments/{theirs}").status_code == 404
    assert client.get(f"/cases/{people['theirs']}/attachments/{theirs}").status_code == 404
    for guess in (theirs + 1, 0, 2**31, 2**63 - 1):
        assert client.get(f"/cases/{people['mine']}/attachments/{guess}").status_code == 404


def test_a_private_note_file_is_404_for_the_customer_but_not_for_staff(app, client, people):
    internal = _stored_file(app, people["mine"], note=True)
    as_user(app, client, people["anna"])
    assert client.get(f"/cases/{people['mine']}/attachments/{internal}").status_code == 404
    as_user(app, client, people["agent"])
    found = client.get(f"/tracker/cases/{people['mine']}/attachments/{internal}")
    assert found.status_code == 200 and found.data == b"secret\n"
    assert (
        client.get(f"/tracker/cases/{people['theirs']}/attachments/{internal}").status_code == 404
    )


def test_billing_clerks_read_a_cases_files_but_only_through_that_case(app, client, people):
    # Billing staff work case pages (notes, refunds), so they read the thread's files too;
    # a file is still only reachable through the case it belongs to.
    attachment = _stored_file(app, people["mine"])
    as_user(app, client, people["clerk"])
    response = client.get(f"/tracker/cases/{people['mine']}/attachments/{attachment}")
    assert response.status_code == 200 and response.data == b"secret\n"
    elsewhere = client.get(f"/tracker/cases/{people['theirs']}/attachments/{attachment}")
    assert elsewhere.status_code == 404


# -- sessions and login -------------------------------------------------------------------


def log_in(client, email, password=PASSWORD, **kwargs):
    return post_form(
        client, "/auth/login", {"email": email, "password": password}, page="/auth/login", **kwargs
    )


def test_login_failures_from_many_addresses_still_lock_the_account(app, people):
    """Per account means per account: rotating the source address does not reset it."""
    for n in range(5):
        client = app.test_client()
        attacker = {"REMOTE_ADDR": f"203.0.113.{n + 1}"}
        client.environ_base.update(attacker)
        assert log_in(client, "agent@example.test", "wrong-password-1").status_code == 200
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": "198.51.100.7"})
    blocked = log_in(client, "AGENT@example.test", PASSWORD)  # case does not dodge it either
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert client.get("/tracker/").status_code == 302


def test_a_forged_forwarded_for_header_does_not_dodge_the_address_limit(app, people, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_IP", "3 per minute")
    client = app.test_client()
    for n in range(3):
        headers = {"X-Forwarded-For": f"192.0.2.{n}"}
        log_in(client, f"guess{n}@example.test", "wrong-password-1", headers=headers)
    response = log_in(client, "agent@example.test", headers={"X-Forwarded-For": "192.0.2.99"})
    assert response.status_code == 429


def test_a_copied_cookie_stops_working_after_a_password_change(app, people):
    browser = app.test_client()
    assert log_in(browser, "anna@northwind.example").status_code == 302
    stolen = browser.get_cookie("session").value
    response = post_form(
        browser,
        "/auth/password",
        {
            "current_password": PASSWORD,
            "new_password": "a-new-long-passphrase-9",
            "confirm": "a-new-long-passphrase-9",
        },
    )
    assert response.status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/cases").status_code == 302  # sent to log in
    assert browser.get("/cases").status_code == 200  # the changer carries on


OPEN_REDIRECTS = [
    "//evil.example",
    "///evil.example",
    "////evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    "https:evil.example",
    "http://localhost@evil.example/",
    " //evil.example",
    "%2F%2Fevil.example",
    "data:text/html,<script>alert(1)</script>",
    "JaVaScRiPt:alert(1)",
    "/%0d%0aSet-Cookie:x=1",
    "/\r\nSet-Cookie:x=1",
]


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_next_never_leaves_the_site(client, people, target):
    from urllib.parse import quote

    response = post_form(
        client,
        f"/auth/login?next={quote(target, safe='')}",
        {"email": "clerk@example.test", "password": PASSWORD},
        page="/auth/login",
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    # Home, or at most a path on this site (a literal "%09" in a path is just a path).
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert not parts.scheme and not parts.netloc
    assert not any(ord(char) < 32 for char in location)
    assert "x=1" not in response.headers.get("Set-Cookie", "")


# -- security headers on every page -------------------------------------------------------

CSP_DIRECTIVES = {"script-src": "'self'", "frame-ancestors": "'none'", "object-src": "'none'"}


def assert_security_headers(response, what: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    directives = dict(part.strip().partition(" ")[::2] for part in csp.split(";") if part.strip())
    for name, value in CSP_DIRECTIVES.items():
        if name != "frame-ancestors" and "sandbox" in directives:
            continue  # a download: default-src 'none' covers scripts and objects
        assert directives.get(name) == value, f"{what}: CSP {name} is {directives.get(name)!r}"
    if "sandbox" not in directives:  # downloads carry their own, stricter policy
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, what
        assert "'self'" in directives.get("default-src", ""), what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("X-Frame-Options") == "DENY", what
    assert headers.get("Referrer-Policy") in ("same-origin", "no-referrer"), what


def test_security_headers_on_every_get_route_for_every_role(app):
    world = build_world(app)
    client = app.test_client()
    rules = sorted((r for r in app.url_map.iter_rules() if "GET" in r.methods), key=str)
    seen: dict[int, int] = {}
    checked = 0
    for rule in rules:
        with app.test_request_context():
            url = url_for(rule.endpoint, **url_values(app, world, rule))
        for role in (*ROLES, None):
            sign_in(app, client, world.users[role] if role else None)
            for headers in ({}, {"HX-Request": "true"}):
                response = client.get(url, headers=headers)
                response.close()
                seen[response.status_code] = seen.get(response.status_code, 0) + 1
                assert_security_headers(response, f"GET {url} as {role or 'anonymous'} {headers}")
                checked += 1
    # Not found: a foreign case for the customer, an unknown page, an unknown object.
    sign_in(app, client, world.users[Role.CUSTOMER])
    for url in (
        f"/cases/{world.foreign['number']}",
        f"/cases/{world.ids['number']}/attachments/{world.foreign['attachment_id']}",
        "/no-such-page",
        "/tracker/cases/999999999",
    ):
        response = client.get(url)
        assert response.status_code in (403, 404)
        assert_security_headers(response, f"GET {url}")
        checked += 1
    print(f"\nsecurity headers checked on {checked} responses of {len(rules)} GET routes: {seen}")
    assert {200, 302, 403, 404} <= seen.keys()
    assert len(rules) >= 70


def test_error_and_rate_limit_answers_carry_the_headers_too(app, client, people, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_IP", "1 per minute")
    log_in(client, "nobody@example.test", "wrong-password-1")
    limited = log_in(client, "nobody@example.test", "wrong-password-1")
    assert limited.status_code == 429
    assert_security_headers(limited, "429")
    refused = client.post("/auth/login", data={"email": "x"})  # no CSRF token
    assert refused.status_code in (400, 429)
    assert_security_headers(refused, "csrf refusal")
    assert_security_headers(client.get("/auth/logout"), "405")


def test_the_reset_page_keeps_its_token_out_of_referrers_and_caches(app, client, people):
    with app.app_context():
        from helpdesk.services.accounts.accounts import make_reset_token

        token = make_reset_token(db.session.get(User, people["anna"]), app.config["SECRET_KEY"])
    response = client.get(f"/auth/reset/{token}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    # same-origin: the token in the address is never sent to another site as a Referer.
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer")
