"""Issue 16 item 5: no cache keeps what a signed-in user was shown.

Every page, fragment, JSON answer, error page and download served to a signed-in user says
`Cache-Control: no-store` (downloads `private, no-store`); static files and the pages visitors
see without an account are left cacheable."""

from __future__ import annotations

from tests.conftest import as_user
from tests.security.access_table import ROLES, TABLE
from tests.security.test_access_matrix import role_clients, url_of
from tests.security.world import build_world

SIGNED_IN = [role for role in ROLES if role != "anonymous"]
DOWNLOADS = {
    "portal.attachment_download",
    "tracker.attachment_download",
    "reports.cases_csv",
    "reports.table_csv",
    "admin.inbound_mail_raw",
}


def _is_download(response) -> bool:
    return response.headers.get("Content-Disposition", "").startswith("attachment")


def test_every_page_a_signed_in_user_gets_is_no_store(app):
    world = build_world(app)
    clients = role_clients(app, world)
    problems, downloads = [], set()
    for row in (r for r in TABLE if r.method == "GET"):
        url = url_of(app, row, world)
        headers = {"HX-Request": "true"} if row.htmx else {}
        for role in SIGNED_IN:
            client, _token = clients[role]
            as_user(app, client, world["users"][role])
            response = client.get(url, headers=headers)
            response.get_data()  # streamed bodies (CSV) run to the end inside the request
            response.close()
            expected = "no-store"
            if response.status_code == 200 and _is_download(response):
                downloads.add(row.endpoint)
                expected = "private, no-store"
            got = response.headers.get("Cache-Control")
            if got != expected:
                problems.append(f"GET {url} as {role} ({response.status_code}): {got!r}")
    assert not problems, "\n".join(["responses a cache may keep:", *problems])
    assert downloads == DOWNLOADS  # each kind of download was served and checked


def test_a_refused_action_is_no_store_too(app):
    world = build_world(app)
    client, token = role_clients(app, world)["agent_t1"]
    response = client.post("/admin/settings", data={"csrf_token": token})
    assert response.status_code == 403
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_and_visitors_pages_stay_cacheable(app):
    world = build_world(app)
    clients = role_clients(app, world)
    visitor, _token = clients["anonymous"]
    for url in ("/help", "/auth/login"):
        response = visitor.get(url)
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", ""), url
    agent, _token = clients["agent_t1"]
    response = agent.get("/static/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()
