"""What a person sees when a URL or a form carries a number or a date no column can hold
(issue 16 item 1): the page with the value ignored or a form error, a 404 or a 400."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.validators import Optional

from helpdesk.extensions import db
from helpdesk.models import Role
from helpdesk.web.forms import DateField, IntegerField
from tests.conftest import as_user, csrf_from, post_form
from tests.factories import make_case, make_organisation, make_user

HUGE = "99999999999999999999"


def _signed_in(app, client, role: Role, **overrides) -> int:
    with app.app_context():
        user = make_user(role, **overrides)
        db.session.commit()
        user_id = user.id
    as_user(app, client, user_id)
    return user_id


def test_a_huge_page_number_shows_the_first_page(app, client):
    assert client.get(f"/help?page={HUGE}").status_code == 200
    _signed_in(app, client, Role.ADMIN)
    for url in ("/billing/", "/billing/orders", "/admin/users", "/admin/audit"):
        assert client.get(f"{url}?page={HUGE}").status_code == 200, url


def test_folder_filters_with_odd_numbers_are_ignored(app, client):
    with app.app_context():
        agent = make_user(Role.AGENT, tier=2)
        case = make_case(make_organisation(), subject="Printer on fire", assignee_id=agent.id)
        db.session.commit()
        agent_id = agent.id
    as_user(app, client, agent_id)

    for query in (f"tier={HUGE}", "type=²", f"assignee={HUGE}", "assignee=²", "tier=٣"):
        response = client.get(f"/tracker/folders/all?{query}")
        assert response.status_code == 200, query
        assert "Printer on fire" in response.text, query
    assert case is not None


def test_searching_for_a_superscript_two_searches_instead_of_failing(app, client):
    _signed_in(app, client, Role.AGENT, tier=1)

    assert client.get("/tracker/search?q=²").status_code == 200
    assert client.get("/tracker/search?q=%23²").status_code == 200


def test_a_date_far_in_the_future_is_a_form_error_on_the_lists(app, client):
    _signed_in(app, client, Role.ADMIN)
    expected = "Enter a date between 1900-01-01 and 2999-12-31."

    for url in ("/billing/?date_to=9999-12-31", "/admin/audit?until=9999-12-31"):
        response = client.get(url)
        assert response.status_code in (200, 422), url  # the audit log marks a bad filter 422
        assert expected in response.text, url
    report = client.get("/reports/billing?to=9999-12-31")
    assert report.status_code == 200
    assert expected in report.text


def test_a_case_number_past_a_database_integer_is_not_found(app, client):
    _signed_in(app, client, Role.AGENT, tier=1)

    assert client.get(f"/tracker/cases/{HUGE}").status_code == 404
    assert client.get(f"/tracker/cases/{2**31}").status_code == 404


def test_a_bulk_selection_of_odd_numbers_selects_nothing(app, client):
    _signed_in(app, client, Role.AGENT, tier=1)
    token = csrf_from(client.get("/tracker/").text)

    response = client.post(
        "/tracker/bulk",
        data={"csrf_token": token, "action": "close", "cases": ["²", HUGE]},
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert "Select at least one case and what to do with it." in response.text


def test_a_handover_to_an_odd_colleague_hands_nothing_over(app, client):
    _signed_in(app, client, Role.AGENT, tier=1)

    for data in ({"assignee_1": "²", "note_1": "x"}, {f"assignee_{HUGE}": "1"}):
        response = post_form(client, "/tracker/handover", data)
        assert response.status_code < 500, data


def test_an_odd_phone_number_id_on_the_customer_edit_form_is_a_bad_request(app, client):
    with app.app_context():
        organisation = make_organisation()
        admin = make_user(Role.ADMIN)
        db.session.commit()
        organisation_id, admin_id = organisation.id, admin.id
    as_user(app, client, admin_id)
    url = f"/system/customers/{organisation_id}/edit"

    response = post_form(
        client,
        url,
        {"name": "Renamed", "time_zone": "UTC", "numbers-0-id": "²", "numbers-0-number": "1"},
    )

    assert response.status_code == 400


class _NumberForm(Form):
    count = IntegerField("Count", validators=[Optional()])
    day = DateField("Day", validators=[Optional()])


def test_form_fields_take_only_ascii_digits_and_sane_dates():
    for typed in ("٣", "²", "１２", "1_000", "1e3"):
        form = _NumberForm(MultiDict({"count": typed}))
        assert not form.validate(), typed
        assert form.count.errors == ["Not a valid integer value."], typed
    assert _NumberForm(MultiDict({"count": " 12 "})).validate()

    form = _NumberForm(MultiDict({"day": "9999-12-31"}))
    assert not form.validate()
    assert form.day.errors == ["Enter a date between 1900-01-01 and 2999-12-31."]
    assert not _NumberForm(MultiDict({"day": "٢٠٢٦-١٢-٠٢"})).validate()
    assert _NumberForm(MultiDict({"day": "2999-12-31"})).validate()
