"""Tags on cases and saved views of the tracker (issue 19 item 2): tag from the case page or in
bulk, filter folders and search by tag, suggested tags, named views in the sidebar with a live
count, personal or shared; customers never see a tag."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Activity, ActivityKind, CaseTag, Role, SavedView, Tag
from helpdesk.services.tracker import saved_views
from tests.conftest import as_user, csrf_from, post_form
from tests.factories import make_case, make_user


@pytest.fixture
def desk(app):
    with app.app_context():
        agent = make_user(Role.AGENT, name="Ann Agent")
        other = make_user(Role.AGENT, name="Olaf Other")
        admin = make_user(Role.ADMIN, name="Ada Admin")
        customer = make_user(Role.CUSTOMER)
        org = customer.organisation
        cases = [
            make_case(
                org,
                subject=f"Printer jam {n}",
                requester_id=customer.id,
                assignee_id=agent.id,
                status="open",
            )
            for n in range(3)
        ]
        db.session.commit()
        return {
            "agent": agent.id,
            "other": other.id,
            "admin": admin.id,
            "customer": customer.id,
            "numbers": [c.number for c in cases],
        }


def agent_client(app, desk, who="agent"):
    return as_user(app, app.test_client(), desk[who])


def tag(client, number, text, **kwargs):
    page = f"/tracker/cases/{number}"
    return post_form(client, f"{page}/tags", {"tags": text}, page=page, **kwargs)


def tags_of(app, number) -> list[str]:
    from helpdesk.models import Case

    with app.app_context():
        case_id = db.session.scalar(sa.select(Case.id).where(Case.number == number))
        return sorted(
            db.session.scalars(sa.select(Tag.name).join(CaseTag).where(CaseTag.case_id == case_id))
        )


def test_an_agent_tags_a_case_from_its_page_and_removes_a_tag(app, desk):
    client = agent_client(app, desk)
    number = desk["numbers"][0]
    response = tag(client, number, "VIP, printer jam")
    assert response.status_code == 302
    assert tags_of(app, number) == ["printer-jam", "vip"]
    page = client.get(f"/tracker/cases/{number}").get_data(as_text=True)
    assert 'aria-label="Remove the tag vip"' in page
    assert "Tags added: vip, printer-jam" in page

    token = csrf_from(page)
    panel = client.post(
        f"/tracker/cases/{number}/tags/remove",
        data={"tag": "vip", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert panel.status_code == 200
    html = panel.get_data(as_text=True)
    assert html.lstrip().startswith("<section") and "printer-jam" in html and ">vip<" not in html
    assert tags_of(app, number) == ["printer-jam"]
    with app.app_context():
        kinds = db.session.scalars(
            sa.select(Activity.summary).where(Activity.kind == ActivityKind.TAGS)
        )
        assert list(kinds) == ["Tags added: vip, printer-jam", "Tags removed: vip"]


@pytest.mark.parametrize(
    ("typed", "message"),
    [("x" * 41, "at most 40 characters"), ("  ,  ", "Type a tag"), ("---", "Type a tag")],
)
def test_a_bad_tag_gets_a_message(app, desk, typed, message):
    client = agent_client(app, desk)
    response = tag(client, desk["numbers"][0], typed)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert tags_of(app, desk["numbers"][0]) == []


def test_customers_never_see_tags_nor_change_them(app, desk):
    staff = agent_client(app, desk)
    number = desk["numbers"][0]
    tag(staff, number, "angry-customer")
    customer = as_user(app, app.test_client(), desk["customer"])
    page = customer.get(f"/cases/{number}")
    assert page.status_code == 200 and "angry-customer" not in page.get_data(as_text=True)
    token = csrf_from(page.get_data(as_text=True))
    refused = customer.post(
        f"/tracker/cases/{number}/tags", data={"tags": "x", "csrf_token": token}
    )
    assert refused.status_code == 403


def test_folders_filter_by_tag_and_rows_show_tags(app, desk):
    client = agent_client(app, desk)
    first, second, third = desk["numbers"]
    tag(client, first, "vip")
    page = client.get("/tracker/folders/all?tag=VIP").get_data(as_text=True)
    assert f"#{first}" in page and f"#{second}" not in page and f"#{third}" not in page
    assert '<span class="tag">vip</span>' in page
    nothing = client.get("/tracker/folders/all?tag=unknown").get_data(as_text=True)
    assert "No cases here." in nothing


def test_bulk_adds_and_removes_tags(app, desk):
    client = agent_client(app, desk)
    first, second, third = desk["numbers"]
    page = client.get("/tracker/folders/all")
    token = csrf_from(page.get_data(as_text=True))
    done = client.post(
        "/tracker/bulk",
        data={"csrf_token": token, "action": "tag_add", "tags": "outage", "cases": [first, second]},
    )
    assert done.status_code == 302
    assert tags_of(app, first) == tags_of(app, second) == ["outage"] and tags_of(app, third) == []
    assert "2 cases updated." in client.get("/tracker/folders/all").get_data(as_text=True)
    client.post(
        "/tracker/bulk",
        data={"csrf_token": token, "action": "tag_remove", "tags": "outage", "cases": [first]},
    )
    assert tags_of(app, first) == [] and tags_of(app, second) == ["outage"]
    refused = client.post(
        "/tracker/bulk",
        data={"csrf_token": token, "action": "tag_add", "tags": "", "cases": [first]},
    )
    assert refused.status_code == 302
    assert "Type a tag" in client.get("/tracker/folders/all").get_data(as_text=True)


def test_search_within_a_tag(app, desk):
    client = agent_client(app, desk)
    first, second, _ = desk["numbers"]
    tag(client, second, "vip")
    everything = client.get("/tracker/search?q=printer").get_data(as_text=True)
    assert f"#{first}" in everything and f"#{second}" in everything
    tagged = client.get("/tracker/search?q=printer&tag=vip").get_data(as_text=True)
    assert f"#{second}" in tagged and f"#{first}" not in tagged
    assert f"#{second}" not in client.get("/tracker/search?q=printer&tag=nobody").get_data(
        as_text=True
    )
    only_tag = client.get("/tracker/search?q=&tag=vip")
    assert only_tag.status_code == 302 and "tag=vip" in only_tag.headers["Location"]


def test_administrators_choose_the_suggested_tags(app, desk):
    admin = agent_client(app, desk, "admin")
    response = post_form(admin, "/admin/tags", {"name": "Outage, refund"})
    assert response.status_code == 302
    listing = admin.get("/admin/tags").get_data(as_text=True)
    assert "Stop suggesting" in listing and "outage" in listing
    agent = agent_client(app, desk)
    page = agent.get(f"/tracker/cases/{desk['numbers'][0]}").get_data(as_text=True)
    assert '<option value="outage">' in page and '<option value="refund">' in page
    with app.app_context():
        outage = db.session.scalar(sa.select(Tag).where(Tag.name == "outage"))
    post_form(admin, f"/admin/tags/{outage.id}/unsuggest", {}, page="/admin/tags")
    with app.app_context():
        assert not db.session.get(Tag, outage.id).suggested
    assert agent_client(app, desk).get("/admin/tags").status_code == 403


def save_view(client, name, *, folder="all", shared=False, **filters):
    data = {"name": name, "folder": folder, **filters}
    if shared:
        data["shared"] = "y"
    return post_form(client, "/tracker/views", data, page=f"/tracker/folders/{folder}")


def sidebar_count(html: str, name: str) -> str:
    match = re.search(
        rf"<span>{re.escape(name)}(?: <small>team</small>)?</span>\s*"
        r'<span class="count" data-view="\d+">([^<]+)</span>',
        html,
    )
    assert match, f"no view {name!r} in the sidebar"
    return match.group(1)


def test_a_saved_view_keeps_its_filters_and_counts_live(app, desk):
    client = agent_client(app, desk)
    first, second, _ = desk["numbers"]
    tag(client, first, "vip")
    saved = save_view(client, "VIP open", folder="open", tag="vip")
    assert saved.status_code == 302
    target = saved.headers["Location"]
    assert target.startswith("/tracker/folders/open?") and "tag=vip" in target
    page = client.get(target).get_data(as_text=True)
    assert "VIP open" in page and f"#{first}" in page and f"#{second}" not in page
    assert sidebar_count(page, "VIP open") == "1"

    tag(client, second, "vip")
    assert sidebar_count(client.get("/tracker/").get_data(as_text=True), "VIP open") == "2"


def test_a_personal_view_is_its_owners_and_a_shared_one_the_teams(app, desk):
    owner = agent_client(app, desk)
    tag(owner, desk["numbers"][0], "vip")
    save_view(owner, "Mine", tag="vip")
    save_view(owner, "Team VIP", tag="vip", shared=True)
    with app.app_context():
        mine, team = (
            db.session.scalar(sa.select(SavedView.id).where(SavedView.name == n))
            for n in ("Mine", "Team VIP")
        )
    other = agent_client(app, desk, "other")
    sidebar = other.get("/tracker/").get_data(as_text=True)
    assert "Team VIP" in sidebar and ">Mine<" not in sidebar
    assert sidebar_count(sidebar, "Team VIP") == "1"  # the All folder: the same for everyone
    assert "Delete this view" not in other.get(f"/tracker/folders/all?view={team}").get_data(
        as_text=True
    )
    token = csrf_from(sidebar)
    assert (
        other.post(f"/tracker/views/{mine}/delete", data={"csrf_token": token}).status_code == 404
    )
    refused = other.post(f"/tracker/views/{team}/delete", data={"csrf_token": token})
    assert refused.status_code == 302
    assert "Only the person who saved this view" in other.get("/tracker/").get_data(as_text=True)

    admin = agent_client(app, desk, "admin")
    page = admin.get(f"/tracker/folders/all?view={team}").get_data(as_text=True)
    assert "Delete this view" in page
    gone = admin.post(f"/tracker/views/{team}/delete", data={"csrf_token": csrf_from(page)})
    assert gone.status_code == 302
    assert "Team VIP" not in other.get("/tracker/").get_data(as_text=True)


def test_a_view_needs_a_name_and_a_folder(app, desk):
    client = agent_client(app, desk)
    assert save_view(client, "   ").status_code == 302
    assert "Name the view" in client.get("/tracker/folders/all").get_data(as_text=True)
    bad = post_form(client, "/tracker/views", {"name": "X", "folder": "nowhere"}, page="/tracker/")
    assert bad.status_code == 302
    assert "Choose a folder" in client.get("/tracker/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedView)) == 0


def test_views_per_person_are_limited(app, desk, monkeypatch):
    monkeypatch.setattr(saved_views, "VIEWS_PER_PERSON", 2)
    client = agent_client(app, desk)
    for name in ("One", "Two", "Three"):
        save_view(client, name)
    assert "You have 2 views already" in client.get("/tracker/").get_data(as_text=True)


def test_a_large_count_stops_at_the_cap(app, desk, monkeypatch):
    monkeypatch.setattr(saved_views, "COUNT_CAP", 2)
    client = agent_client(app, desk)
    save_view(client, "Everything")
    assert sidebar_count(client.get("/tracker/").get_data(as_text=True), "Everything") == "2+"
