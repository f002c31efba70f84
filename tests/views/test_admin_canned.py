"""The administrator's system e-mails (seed 000's canned responses): installing the eight
defaults, editing with a preview, refusing unknown placeholders, and the phone procedure
sending what was saved."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from click.testing import Result

from helpdesk.extensions import db
from helpdesk.models import AuditLog, CannedResponse, Contact, OutboxMail, Role, User, utcnow
from helpdesk.services.helpcentre import kb
from helpdesk.services.mail import canned
from tests.conftest import as_user, csrf_from, post_form
from tests.factories import make_order, make_organisation, make_user

HX = {"HX-Request": "true"}
SEED_000_TITLES = {
    "FAQ-How to request a key",
    "FAQ-How to open a support case",
    "FAQ-Development resources",
    "FAQ-How to open a hosting ticket",
    "FAQ-How to report a bug",
    "FAQ-Available support resources",
    "FAQ-What are my priority support options",
    "FAQ-Support for versions 5.x and older",
}


@pytest.fixture
def desk(app):
    """An admin, an agent, a customer company with a contact, the eight defaults and an
    article."""
    with app.app_context():
        ada = make_user(Role.ADMIN, name="Ada Admin")
        lena = make_user(Role.AGENT, name="Lena Lind")
        harbor = make_organisation(name="Harbor Theatre")
        ben = make_user(
            Role.CUSTOMER, organisation=harbor, name="Ben Harris", email="ben@harbor.example"
        )
        contact = Contact(
            organisation_id=harbor.id,
            user_id=ben.id,
            name="Ben Harris",
            email="ben@harbor.example",
            is_primary=True,
        )
        db.session.add(contact)
        make_order(harbor, ordered_at=utcnow() - timedelta(days=200))  # no plan: resources
        db.session.commit()
        kb.save_article(
            lena,
            None,
            title="Install checklist",
            body="Check the requirements.",
            tags="",
            visibility="public",
        )
        kb.save_article(
            lena, None, title="Secret tricks", body="Agents only.", tags="", visibility="internal"
        )
        assert canned.seed_defaults() == 8
        resources = db.session.scalar(
            sa.select(CannedResponse.id).where(CannedResponse.key == "faq-support-resources")
        )
        return {
            "ada": ada.id,
            "lena": lena.id,
            "ben": ben.id,
            "harbor": harbor.id,
            "contact": contact.id,
            "resources": resources,
        }


def edit_url(desk) -> str:
    return f"/admin/canned/{desk['resources']}"


def saved(app, desk) -> CannedResponse:
    with app.app_context():
        response = db.session.get(CannedResponse, desk["resources"])
        db.session.expunge(response)
        return response


def form_data(**changes) -> dict:
    return {
        "title": "FAQ-Available support resources",
        "subject": "Help for {customer_name}",
        "body": "Hi {customer_name}, see {article:install-checklist}. Case #{case_number}. "
        "{agent_name}",
        "active": "y",
        "action": "save",
        **changes,
    }


def test_the_eight_system_emails_are_installed_once(app, desk):
    with app.app_context():
        titles = set(db.session.scalars(sa.select(CannedResponse.title)))
        assert titles == SEED_000_TITLES
        db.session.get(CannedResponse, desk["resources"]).body = "Edited by an admin."
        db.session.delete(
            db.session.scalar(
                sa.select(CannedResponse).where(CannedResponse.key == "faq-report-bug")
            )
        )
        db.session.commit()
        assert canned.seed_defaults() == 1  # the missing one comes back
        assert canned.seed_defaults() == 0
        assert db.session.get(CannedResponse, desk["resources"]).body == "Edited by an admin."


def test_install_defaults_command(app, desk):
    with app.app_context():
        db.session.execute(sa.delete(CannedResponse))
        db.session.commit()
    result: Result = app.test_cli_runner().invoke(args=["install-defaults"])
    assert result.exit_code == 0 and "8 system e-mails added." in result.output
    again = app.test_cli_runner().invoke(args=["install-defaults"])
    assert "0 system e-mails added." in again.output
    # The command's former name still works for existing scripts, and is not listed.
    old = app.test_cli_runner().invoke(args=["seed-defaults"])
    assert old.exit_code == 0 and "0 system e-mails added." in old.output
    assert "seed-defaults" not in app.test_cli_runner().invoke(args=["--help"]).output


def test_only_admins_edit_system_emails(app, client, desk):
    assert client.get("/admin/canned").status_code == 302  # to the login page
    for role in ("lena", "ben"):
        as_user(app, client, desk[role])
        assert client.get("/admin/canned").status_code == 403
        assert client.get(edit_url(desk)).status_code == 403
        token = csrf_from(client.get("/help").text)
        refused = client.post(edit_url(desk), data={"csrf_token": token, **form_data()})
        assert refused.status_code == 403
    assert saved(app, desk).subject == "Available support resources"


def test_admin_lists_and_edits_with_an_audit_row(app, client, desk):
    as_user(app, client, desk["ada"])
    listing = client.get("/admin/canned").text
    assert all(title in listing for title in SEED_000_TITLES)
    assert "System e-mails" in client.get("/admin/").text
    response = post_form(client, edit_url(desk), form_data())
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/canned")
    after = saved(app, desk)
    assert after.subject == "Help for {customer_name}"
    assert after.body.startswith("Hi {customer_name}, see {article:install-checklist}.")
    with app.app_context():
        [entry] = db.session.scalars(
            sa.select(AuditLog).where(AuditLog.action == "canned.update")
        ).all()
        assert entry.actor_id == desk["ada"] and entry.object_id == desk["resources"]
        assert entry.details["changed"] == ["body", "subject"]


def test_preview_renders_sample_values_without_saving(app, client, desk):
    as_user(app, client, desk["ada"])
    token = csrf_from(client.get(edit_url(desk)).text)
    data = form_data(
        action="preview", body="Hi {customer_name} <b>&amp;</b> {article:install-checklist}"
    )
    response = client.post(edit_url(desk), data={"csrf_token": token, **data}, headers=HX)
    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith('<div id="canned-editor"') and "<html" not in html
    assert "Hi Ben Harris &lt;b&gt;&amp;amp;&lt;/b&gt;" in html  # escaped, as it will be mailed
    assert f"{app.config['BASE_URL'].rstrip('/')}/help/install-checklist" in html
    assert "Help for Ben Harris" in html
    assert saved(app, desk).subject == "Available support resources"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"body": "Hi {custmer_name}"}, "Unknown placeholder {custmer_name}"),
        ({"body": "Hi {customer_name.__class__}"}, "Unknown placeholder {customer_name.__class__}"),
        ({"subject": "For {agent_name!r}"}, "Unknown placeholder {agent_name!r}"),
        (
            {"body": "See {article:secret-tricks}"},
            "There is no public help article “secret-tricks”",
        ),
        ({"body": "See {article:nowhere}"}, "There is no public help article “nowhere”"),
        ({"subject": "Two\nlines"}, "Keep the subject on one line."),
        ({"title": ""}, "Enter a title."),
    ],
)
def test_bad_templates_are_refused_on_the_form(app, client, desk, changes, message):
    as_user(app, client, desk["ada"])
    for action in ("save", "preview"):
        response = post_form(client, edit_url(desk), form_data(action=action, **changes))
        assert response.status_code == 422 and message in response.text
    assert saved(app, desk).subject == "Available support resources"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 0


def test_phone_procedure_sends_the_edited_text(app, client, desk):
    as_user(app, client, desk["ada"])
    post_form(client, edit_url(desk), form_data())
    as_user(app, client, desk["lena"])
    url = f"/tracker/callers/{desk['harbor']}/phone"
    token = csrf_from(client.get(url).text)
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "recipient": f"contact-{desk['contact']}",
            "issue": "support",
            "canned_key": "faq-support-resources",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200 and "Sent “FAQ-Available support resources”" in response.text
    with app.app_context():
        [mail] = db.session.scalars(sa.select(OutboxMail)).all()
        link = f"{app.config['BASE_URL'].rstrip('/')}/help/install-checklist"
        assert mail.subject.endswith("] Help for Ben Harris")
        assert f"Hi Ben Harris, see {link}. Case #" in mail.body_text
        assert "Lena Lind" in mail.body_text and "{" not in mail.body_text.split("--")[0]
        assert mail.to_address == db.session.get(User, desk["ben"]).email


def test_inactive_system_email_cannot_be_sent(app, client, desk):
    as_user(app, client, desk["ada"])
    post_form(client, edit_url(desk), {**form_data(), "active": ""})
    assert saved(app, desk).active is False
    as_user(app, client, desk["lena"])
    url = f"/tracker/callers/{desk['harbor']}/phone"
    token = csrf_from(client.get(url).text)
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "recipient": f"contact-{desk['contact']}",
            "issue": "support",
            "canned_key": "faq-support-resources",
        },
        follow_redirects=True,
    )
    assert "no such system e-mail" in response.text
    with app.app_context():
        assert db.session.scalars(sa.select(OutboxMail)).all() == []
