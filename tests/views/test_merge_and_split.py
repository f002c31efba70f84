"""Merging and splitting cases (issue 19 item 3): the thread, files and activities move, the
merged case closes with a link, later replies to its number land on the surviving case, the
customer sees one case; a message splits out into a new linked case; never across
organisations."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Activity,
    Attachment,
    Case,
    CaseLink,
    CaseStatus,
    CaseTag,
    Message,
    MessageKind,
    Origin,
    Role,
    Tag,
)
from helpdesk.services.mail import inbound
from tests.conftest import as_user, csrf_from, post_form
from tests.factories import make_case, make_user


@pytest.fixture
def desk(app):
    with app.app_context():
        agent = make_user(Role.AGENT, name="Ann Agent")
        customer = make_user(Role.CUSTOMER, email="cara@cedar.example")
        stranger = make_user(Role.CUSTOMER)
        org = customer.organisation
        keep = make_case(
            org, subject="Printer jams", requester_id=customer.id, status=CaseStatus.OPEN
        )
        dup = make_case(
            org,
            subject="Printer still jams",
            body="Same printer, again.",
            body_html="<p>Same printer, again.</p>",
            requester_id=customer.id,
            status=CaseStatus.WAITING,
        )
        other_org = make_case(stranger.organisation, subject="Not theirs")
        db.session.add(
            Message(
                case_id=dup.id,
                author_id=customer.id,
                kind=MessageKind.REPLY,
                from_customer=True,
                origin=Origin.WEB,
                body="Here is a photo",
                body_html="<p>Here is a photo</p>",
            )
        )
        db.session.flush()
        db.session.add(
            Attachment(
                case_id=dup.id,
                message_id=None,
                original_name="jam.jpg",
                stored_name="f" * 32,
                content_type="image/jpeg",
                size_bytes=10,
                sha256="0" * 64,
            )
        )
        vip = Tag(name="vip")
        db.session.add(vip)
        db.session.flush()
        db.session.add(CaseTag(case_id=dup.id, tag_id=vip.id))
        db.session.commit()
        return {
            "agent": agent.id,
            "customer": customer.id,
            "keep": keep.number,
            "dup": dup.number,
            "other": other_org.number,
        }


def case(app, number) -> Case:
    with app.app_context():
        found = db.session.scalar(sa.select(Case).where(Case.number == number))
        db.session.expunge(found)
        return found


def merge(client, source, target):
    url = f"/tracker/cases/{source}"
    return post_form(client, f"{url}/merge", {"target": str(target)}, page=url)


def test_merging_moves_the_thread_and_closes_the_merged_case(app, desk):
    client = as_user(app, app.test_client(), desk["agent"])
    response = merge(client, desk["dup"], f"#{desk['keep']}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/tracker/cases/{desk['keep']}"
    keep, dup = case(app, desk["keep"]), case(app, desk["dup"])
    assert dup.status == CaseStatus.CLOSED and dup.merged_into_id == keep.id
    with app.app_context():
        bodies = list(
            db.session.scalars(
                sa.select(Message.body).where(Message.case_id == keep.id).order_by(Message.id)
            )
        )
        assert bodies == ["Here is a photo", "Same printer, again."]
        assert db.session.scalar(sa.select(Attachment.case_id)) == keep.id
        assert db.session.scalar(sa.select(CaseTag.case_id)) == keep.id
        link = db.session.scalar(sa.select(CaseLink))
        assert (link.case_id, link.linked_case_id) == (dup.id, keep.id)
        summaries = set(db.session.scalars(sa.select(Activity.summary)))
    assert f"Merged into #{keep.number}" in summaries
    assert f"#{dup.number} merged into this case (2 messages moved)" in summaries
    page = client.get(f"/tracker/cases/{dup.number}").get_data(as_text=True)
    assert "This case was merged into" in page and "Merge into another case" not in page
    assert "Same printer, again." in client.get(f"/tracker/cases/{keep.number}").get_data(
        as_text=True
    )


def test_the_customer_sees_one_case_and_replies_land_on_it(app, desk):
    agent = as_user(app, app.test_client(), desk["agent"])
    merge(agent, desk["dup"], desk["keep"])
    customer = as_user(app, app.test_client(), desk["customer"])
    listing = customer.get("/cases?show=all").get_data(as_text=True)
    assert f"#{desk['keep']}" in listing and f"#{desk['dup']}" not in listing
    old_link = customer.get(f"/cases/{desk['dup']}")
    assert old_link.status_code == 302
    assert old_link.headers["Location"] == f"/cases/{desk['keep']}"

    page = customer.get(f"/cases/{desk['keep']}").get_data(as_text=True)
    customer.post(
        f"/cases/{desk['dup']}/reply", data={"body": "Any news?", "csrf_token": csrf_from(page)}
    )
    keep = case(app, desk["keep"])
    with app.app_context():
        assert (
            db.session.scalar(sa.select(Message.case_id).where(Message.body == "Any news?"))
            == keep.id
        )


def test_mail_to_the_merged_number_lands_on_the_surviving_case(app, desk):
    agent = as_user(app, app.test_client(), desk["agent"])
    merge(agent, desk["dup"], desk["keep"])
    raw = (
        "From: Cara <cara@cedar.example>\r\nTo: support@example.test\r\n"
        f"Subject: Re: [#{desk['dup']}] Printer still jams\r\n"
        "Message-ID: <late-reply@cedar.example>\r\n\r\nIt jams once more.\r\n"
    ).encode()
    with app.app_context():
        inbound.ingest(raw)
        message = db.session.scalar(sa.select(Message).where(Message.body.contains("once more")))
        assert message.case_id == case(app, desk["keep"]).id


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("other", "belongs to another organisation"),
        ("dup", "Choose another case"),
        ("999999999", "no case with that number"),
        ("²", "no case with that number"),
    ],
)
def test_merges_that_are_refused(app, desk, target, message):
    client = as_user(app, app.test_client(), desk["agent"])
    response = merge(client, desk["dup"], desk.get(target, target))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert case(app, desk["dup"]).merged_into_id is None


def test_splitting_a_message_makes_a_linked_case(app, desk):
    client = as_user(app, app.test_client(), desk["agent"])
    dup = case(app, desk["dup"])
    with app.app_context():
        message_id = db.session.scalar(sa.select(Message.id).where(Message.case_id == dup.id))
    url = f"/tracker/cases/{dup.number}"
    response = post_form(
        client, f"{url}/messages/{message_id}/split", {"split_subject": "The photo"}, page=url
    )
    assert response.status_code == 302
    with app.app_context():
        new = db.session.scalar(sa.select(Case).where(Case.subject == "The photo"))
        assert new.body == "Here is a photo" and new.assignee_id == desk["agent"]
        assert new.organisation_id == dup.organisation_id and new.status == CaseStatus.NEW
        assert db.session.get(Message, message_id) is None
        link = db.session.scalar(sa.select(CaseLink))
        assert (link.case_id, link.linked_case_id) == (dup.id, new.id)
    assert response.headers["Location"] == f"/tracker/cases/{new.number}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Split from #{dup.number}" in page


def test_customers_cannot_merge_or_split(app, desk):
    customer = as_user(app, app.test_client(), desk["customer"])
    token = csrf_from(customer.get("/cases").get_data(as_text=True))
    refused = customer.post(
        f"/tracker/cases/{desk['dup']}/merge", data={"target": desk["keep"], "csrf_token": token}
    )
    assert refused.status_code == 403
    assert case(app, desk["dup"]).merged_into_id is None
