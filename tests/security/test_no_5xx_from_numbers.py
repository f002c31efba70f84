"""Issue 16 item 1: no number or date from a URL or a form answers 500.

Every GET route of the url_map is requested as a role that reaches it, with each query
parameter its view reads set to each odd value; the parameters are found by recording which
names the view looks up in `request.args` (and again with each odd value, for names read only
on another branch). Every POST form a page shows is posted with each of its fields set to each
odd value. Every `<int:...>` path argument far past a database integer is a 404.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask, url_for
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

from helpdesk.extensions import db, limiter
from helpdesk.models import Role, User
from helpdesk.rules.api_tokens import grantable
from helpdesk.services.accounts import api_tokens
from helpdesk.services.reports.reports import BILLING_TABLES
from tests.conftest import csrf_from
from tests.security.s3_world import ROLES, build_world, empty_world, sign_in, url_values
from tests.security.test_fuzz_forms import discover

ODD_VALUES = ["99999999999999999999", "-1", "²", "1e400", "9999-12-31", "%00"]
HUGE_ID = 10**20

# Names the views read from request.args (filled in while the pages are requested).
READ: set[str] = set()


class _RecordingArgs(ImmutableMultiDict):
    """request.args (and .form) that notes every name a view looks up."""

    def __getitem__(self, key):
        READ.add(key)
        return super().__getitem__(key)

    def __contains__(self, key) -> bool:
        READ.add(key)
        return super().__contains__(key)

    def getlist(self, key, type=None):  # noqa: A002 (werkzeug's name)
        READ.add(key)
        return super().getlist(key, type=type)


class _Failure:
    """An exception the app raised instead of answering: a 500 in production."""

    def __init__(self, text: str) -> None:
        self.status_code, self.text, self.headers = 500, text, {}


def _query(name: str, value: str) -> str:
    # "%00" goes out as written: a NUL byte in the query, as an attacker sends it.
    return f"{quote(name)}={value if value == '%00' else quote(value)}"


class _Pages:
    """Each GET route, the role that reaches it, and the query names its view reads."""

    def __init__(self, app: Flask, world) -> None:
        self.app, self.world = app, world
        self.client = app.test_client()
        self.signed_in: object = "nobody"
        self.tokens: dict[int, dict[str, str]] = {}

    def bearer(self, user_id) -> dict[str, str]:
        """The API's way in for this user: a token with every scope its role may hold (none
        for visitors and customers, who hold no tokens)."""
        if user_id is None:
            return {}
        if user_id not in self.tokens:
            with self.app.app_context():
                user = db.session.get(User, user_id)
                scopes = grantable(user.role.value, user.billing_permission)
                made = (
                    api_tokens.create(user, name="Numbers", scopes=scopes, expires_in_days=30)
                    if scopes
                    else None
                )
                self.tokens[user_id] = (
                    {"Authorization": f"Bearer {made.secret}"} if made is not None else {}
                )
        return self.tokens[user_id]

    def get(self, url: str, user_id, htmx: bool = False):
        if user_id != self.signed_in:
            sign_in(self.app, self.client, user_id)
            self.signed_in = user_id
        limiter.reset()
        READ.clear()
        headers = {"HX-Request": "true"} if htmx else {}
        if url.startswith(API_ROOT):
            headers.update(self.bearer(user_id))
        try:
            response = self.client.get(url, headers=headers)
            response.get_data()  # streamed bodies (CSV) run to the end inside the request
            response.close()
        except Exception as error:  # noqa: BLE001 (the test app re-raises what would be a 500)
            response = _Failure(repr(error)[:120])
        self.signed_in = "nobody" if "logout" in url else self.signed_in
        return response, set(READ)

    def reach(self, url: str):
        """(user id, htmx, names read) of the first role answered below 300, else None."""
        users = [None, *(self.world.users[role] for role in ROLES)]
        redirected = None
        for htmx in (False, True):
            for user_id in users:
                response, names = self.get(url, user_id, htmx)
                if response.status_code < 300:
                    return user_id, htmx, names
                location = (
                    response.headers.get("Location", "") if response.status_code < 400 else ""
                )
                if location and "/auth/login" not in location and redirected is None:
                    redirected = user_id, htmx, names  # e.g. "open the order of customer ..."
        return redirected


@pytest.fixture(scope="module")
def numbers_world(_app: Flask):
    world = build_world(_app)
    request_class = _app.request_class
    _app.request_class = type(
        "RecordingRequest", (request_class,), {"parameter_storage_class": _RecordingArgs}
    )
    try:
        yield world
    finally:
        _app.request_class = request_class
        empty_world(_app)


# A report table that exists (the shared world's default names one that no longer does).
URL_VALUES = {
    "reports.table_csv": {"report": "billing", "name": next(iter(BILLING_TABLES))},
    "api.search_cases": {"q": "printer"},  # the search needs words
}
API_ROOT = "/api/v1/"


def _page_url(app: Flask, world, rule) -> str:
    values = {**url_values(app, world, rule), **URL_VALUES.get(rule.endpoint, {})}
    if rule.endpoint == "api.get_customer":  # the world's `user_id` is staff, not a customer
        values["user_id"] = world.users[Role.CUSTOMER]
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def _get_rules(app: Flask) -> list:
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"]
    return sorted(rules, key=lambda r: r.rule)


# Pages no role of the world reaches with a plain GET (they answer a redirect by design).
REDIRECT_ONLY = {"index"}


def test_every_query_parameter_of_every_page_takes_odd_values(_app, numbers_world, capsys):
    pages = _Pages(_app, numbers_world)
    problems, unreached, checks = [], [], 0
    seen_names: set[str] = set()
    for rule in _get_rules(_app):
        url = _page_url(_app, numbers_world, rule)
        reached = pages.reach(url)
        if reached is None:
            unreached.append(rule.endpoint)
            continue
        user_id, htmx, names = reached
        queue, done = sorted(names), set()
        while queue:
            name = queue.pop()
            if name in done:
                continue
            done.add(name)
            for value in ODD_VALUES:
                joiner = "&" if "?" in url else "?"
                odd_url = f"{url}{joiner}{_query(name, value)}"
                response, more = pages.get(odd_url, user_id, htmx)
                checks += 1
                if response.status_code >= 500:
                    problems.append(f"GET {odd_url} [{rule.endpoint}]: {response.status_code}")
                    if isinstance(response, _Failure):
                        problems.append(f"    {response.text}")
                queue.extend(sorted(more - done))
        seen_names |= done
    with capsys.disabled():
        print(f"\nodd query values: {checks} requests over {len(_get_rules(_app))} pages")
    assert not problems, "\n".join(["5xx from odd query values:", *problems])
    assert set(unreached) <= REDIRECT_ONLY, f"pages no role reached: {unreached}"
    # A name read in the code but never recorded is a branch the crawl missed.
    missing = sorted(_names_in_code() - seen_names - NOT_NUMBERS)
    assert not missing, f"query parameters read in helpdesk/ but never sent: {missing}"


# Read only on a branch the crawl does not take, and never as a number or a date.
NOT_NUMBERS = {"next"}  # after a successful login: a path, checked by is_safe_next
ARGS_READ = re.compile(r"""(?:args|values)\.get(?:list)?\(\s*(?:f?["']([a-z_]+)["'])""")


def _names_in_code() -> set[str]:
    """Query parameter names spelled out in `request.args.get("...")` calls of the views."""
    root = Path(__file__).resolve().parents[2] / "helpdesk"
    names: set[str] = set()
    for path in root.rglob("*.py"):
        names |= set(ARGS_READ.findall(path.read_text(encoding="utf-8")))
    return names


def test_every_int_path_argument_past_a_database_integer_is_not_found(_app, numbers_world):
    pages = _Pages(_app, numbers_world)
    problems = []
    for rule in _get_rules(_app):
        int_args = [a for a, c in rule._converters.items() if isinstance(c, IntegerConverter)]
        if not int_args:
            continue
        values = url_values(_app, numbers_world, rule)
        for arg in int_args:
            with _app.test_request_context():
                url = url_for(rule.endpoint, **{**values, arg: HUGE_ID})
            for user_id in (numbers_world.users[role] for role in ROLES):
                response, _ = pages.get(url, user_id)
                if response.status_code != 404:
                    problems.append(f"GET {url}: {response.status_code}")
    assert not problems, "\n".join(["huge path ids not a 404:", *problems])


def test_non_ascii_digits_in_a_path_are_not_found(_app, numbers_world):
    pages = _Pages(_app, numbers_world)
    agent = numbers_world.users[ROLES[1]]
    number = str(numbers_world.ids["number"])
    arabic = number.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))

    assert pages.get(f"/tracker/cases/{number}", agent)[0].status_code == 200
    assert pages.get(f"/tracker/cases/{arabic}", agent)[0].status_code == 404


def _odd_posts(target) -> list[tuple[str, str]]:
    """(field, odd value) pairs for a form: every field but the CSRF token and file inputs.
    A NUL byte is refused before any field is read, so one field carries it per form."""
    names = [
        name
        for name, kind in target.fields.items()
        if not name.endswith("csrf_token") and kind != "file"
    ]
    odd = [value for value in ODD_VALUES if value != "%00"]
    return [(name, value) for name in names for value in odd] + [
        (name, "\x00") for name in names[:1]
    ]


class _Poster:
    """One browser posting a target's form as its user; logs in again only when a post
    ended the session (logout, password change) or expired the CSRF token."""

    def __init__(self, app: Flask) -> None:
        self.app, self.client = app, app.test_client()
        self.user_id: object = "nobody"
        self.token = ""

    def sign_in(self, user_id) -> None:
        sign_in(self.app, self.client, user_id)
        self.user_id, self.token = user_id, csrf_from(self.client.get("/auth/reset").text)

    def post(self, target, data: dict):
        if target.user_id != self.user_id:
            self.sign_in(target.user_id)
        limiter.reset()
        data = {**data, "csrf_token": self.token}
        for name in target.fields:
            if name.endswith("-csrf_token"):
                data[name] = self.token
        try:
            response = self.client.post(target.url, data=data)
            response.get_data()
        except Exception as error:  # noqa: BLE001 (a 500 in production)
            return _Failure(repr(error)[:120])
        ended = "/auth/login" in response.headers.get("Location", "")
        if ended or response.status_code in (401, 403) or "Your form expired" in response.text:
            self.user_id = "nobody"
        return response


@pytest.fixture(scope="module")
def post_targets(_app: Flask, numbers_world) -> list:
    """Every form of the app, found once per worker process (the crawl takes a while)."""
    return sorted(discover(_app, numbers_world).values(), key=lambda t: t.endpoint)


# In parts, so the suite's workers share the posts instead of one of them taking them all.
POST_PARTS = 3


@pytest.mark.parametrize("part", range(POST_PARTS), ids=lambda p: f"part{p + 1}")
def test_every_posted_field_takes_odd_values(_app, post_targets, part, capsys):
    targets = post_targets[part::POST_PARTS]
    poster = _Poster(_app)
    problems, checks = [], 0
    for target in targets:
        plausible = {name: options[0] for name, options in target.options.items() if options}
        for name, value in _odd_posts(target):
            response = poster.post(target, {**plausible, name: value})
            checks += 1
            if response.status_code >= 500:
                problems.append(f"POST {target.url} {name}={value!r}: {response.status_code}")
    with capsys.disabled():
        print(f"\nodd form values, part {part + 1}: {checks} posts over {len(targets)} forms")
    assert not problems, "\n".join(["5xx from odd form values:", *problems])
