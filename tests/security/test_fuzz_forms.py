"""Issue 10 item 8: hypothesis drives every form-posting route with random, oversize and
malformed values; never a 500, and a refused post writes nothing.

Every POST rule of the url_map is a target. Its fields are read from the real <form> of a
page that posts to it (crawled as each role over the demo world), so the fuzzer sends what a
browser would, plus junk. Each example posts with a valid CSRF token as a role the route
admits, then checks the status and, when the answer is a refusal (4xx, or a form re-rendered
with errors), that no table gained or lost a row.

HYPOTHESIS_FUZZ_EXAMPLES=200 (say) runs a deeper fuzz locally; the default keeps CI fast.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk import create_app
from helpdesk.extensions import db, limiter
from helpdesk.models import Case, Order, Organisation, Role, User
from tests.conftest import csrf_from
from tests.security.s3_world import (
    ROLES,
    FormSpec,
    World,
    build_world,
    empty_world,
    forms_in,
    sign_in,
    url_values,
)

EXAMPLES = int(os.environ.get("HYPOTHESIS_FUZZ_EXAMPLES", "8"))
# The API takes JSON, not forms: tests/security/test_fuzz_api.py fuzzes its bodies.
API_PREFIX = "api."
FUZZ = settings(
    max_examples=EXAMPLES,
    # The same examples on every CI run, so a landing never hangs on a lucky draw; set
    # HYPOTHESIS_FUZZ_RANDOM=1 to explore (that is how the huge-number 500s were found).
    derandomize=os.environ.get("HYPOTHESIS_FUZZ_RANDOM") != "1",
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _post_endpoints() -> list[str]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    return sorted(
        {
            r.endpoint
            for r in app.url_map.iter_rules()
            if "POST" in r.methods and not r.endpoint.startswith(API_PREFIX)
        }
    )


POST_ENDPOINTS = _post_endpoints()

# Fields of forms a crawl of the demo world does not show (they appear only mid-procedure).
KNOWN_FIELDS = {
    "tracker.case_presence": {"typing": "checkbox"},
    "billing.shipment_ship": {"carrier": "text", "tracking_number": "text"},
    "tracker.contact_current": {},  # shown on a former employee's page only
    "tracker.remote_start": {"number": "hidden"},  # after a matching check
    "tracker.remote_end": {},  # while a session is in progress
    # Two-factor login: the code after a password; managing it once it is on.
    "auth.two_factor_code": {"code": "text"},
    "auth.two_factor_recovery_codes": {"code": "text"},
    "auth.two_factor_off": {"password": "password"},
    "admin.user_two_factor_reset": {},  # shown once the person has it on
    "admin.tag_unsuggest": {},  # beside a suggested tag
    "tracker.case_tags_remove": {"tag": "hidden"},  # beside a tag on a case
    "tracker.view_delete": {},  # on the saved view's own page
    "tracker.case_split": {"split_subject": "text"},  # under each message, staff only
    "admin.sla_policy_delete": {},  # beside each policy
}

# A refusal may still keep a record of the refused attempt: that is the feature, not a leak.
REFUSAL_MAY_WRITE: dict[str, set[str]] = {
    # FRAUD-STOP logs every refused account or purchase for the fraud review list.
    "system.customer_account_open": {"blocked_attempts"},
    "auth.register": {"blocked_attempts"},
    "billing.order_new": {"blocked_attempts"},
    # A remote-session identity check that does not match is logged on the case (PCI DSS).
    "tracker.remote_check": {"activities", "audit_logs"},
    "tracker.remote_start": {"activities", "audit_logs"},
}

ODD_VALUES = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "0000-00-00",
    "9999-12-31",
    "2026-02-30",
    "0001-01-01",
    "-5",
    "-0",
    "0",
    "1e309",
    "-1e309",
    "NaN",
    "inf",
    "-Infinity",
    "0x10",
    "1,000.00",
    "$5",
    "0.001",
    "99999999999999999999.99",
    "2147483648",
    "-9223372036854775809",
    "18446744073709551616",
    "１２３",  # full-width digits
    "٣",  # Arabic-Indic three
    "25:61",
    "24:00",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\u202eevil",
    "🙂" * 50,
    "a@b",
    "x" * 256 + "@example.com",
]


def _text() -> st.SearchStrategy[str]:
    # No surrogates: a browser cannot send them as UTF-8.
    return st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)


def _huge() -> st.SearchStrategy[str]:
    return st.builds(lambda s, n: (s * n)[: 10_000 + n], _text().filter(bool), st.integers(1, 5000))


def _number() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(-(10**30), 10**30).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
    )


def _date() -> st.SearchStrategy[str]:
    return st.dates().map(lambda d: d.isoformat())


def plausible(name: str, kind: str, options: list[str]) -> st.SearchStrategy[str]:
    """What a person would type: most posts then pass validation but one field, so refusals
    deep in a service (after earlier writes) are reached too."""
    if options:
        return st.sampled_from(options)
    if kind == "email" or "email" in name:
        return st.sampled_from(["fuzz@example.com", "anna@northwind.example"])
    if kind == "date" or name.endswith(("_on", "day")):
        return st.sampled_from(["2031-01-15", "2026-12-01"])
    if kind == "time":
        return st.sampled_from(["09:00", "17:30"])
    if kind == "number" or name.endswith(("_id", "number", "amount", "quantity", "minutes")):
        return st.integers(0, 120).map(str)
    return st.sampled_from(["Hello there", "Checkout fails on step 3", "UPS", "10.0.0.0/24"])


def fuzz_value(options: list[str]) -> st.SearchStrategy[str]:
    """A value a field might be sent: a real option, junk, or nothing like what it wants."""
    choices = [
        _text(),
        _huge(),
        _number(),
        _date(),
        st.sampled_from(ODD_VALUES),
    ]
    if options:
        choices.insert(0, st.sampled_from(options))
        choices.insert(0, st.sampled_from(options))
    return st.one_of(choices)


def _file_upload() -> st.SearchStrategy[tuple]:
    names = st.one_of(
        _text(),
        st.sampled_from(
            [
                "../../x.txt",
                "..\\..\\boot.ini",
                "page.html",
                "a.svg",
                "run.exe",
                "notes.txt",
                ".",
                "..",
                "\x00.txt",
                "a.txt\x00.html",
                "x" * 400 + ".log",
            ]
        ),
    )
    return st.tuples(st.binary(max_size=64), names).map(lambda t: (io.BytesIO(t[0]), t[1]))


@dataclass
class Target:
    """A form-posting route and how to reach it."""

    endpoint: str
    url: str
    user_id: int | None
    fields: dict[str, str] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)


@st.composite
def form_data(draw, spec: Target) -> dict:
    """A field dictionary for this form (csrf is added per request): some fields as a person
    would fill them, the others missing or junk; sometimes all of them junk."""
    names = [
        name
        for name, kind in spec.fields.items()
        if not name.endswith("csrf_token") and (kind != "submit" or name in spec.options)
    ]
    if not names:
        return {}
    broken = draw(st.one_of(st.sets(st.sampled_from(names)), st.just(set(names))))
    data = {}
    for name in names:
        kind, options = spec.fields[name], spec.options.get(name, [])
        if kind == "file":
            data[name] = draw(st.lists(_file_upload(), max_size=2)) if name in broken else None
        elif name not in broken:
            data[name] = [options[0] if options else "y"] if kind == "checkbox" else None
            if kind != "checkbox":
                data[name] = draw(plausible(name, kind, options))
        elif kind == "checkbox":
            data[name] = draw(st.one_of(st.none(), st.lists(fuzz_value(options), max_size=3)))
        else:
            data[name] = draw(st.one_of(st.none(), fuzz_value(options)))
    return data


class _Crawl:
    """Which form posts where, found by visiting every page as every role."""

    def __init__(self, app: Flask, world: World) -> None:
        self.app, self.world = app, world
        self.client = app.test_client()
        self.found: dict[str, Target] = {}
        self.adapter = app.url_map.bind("localhost")

    def visit(self, url: str, user_id: int | None) -> None:
        sign_in(self.app, self.client, user_id)
        response = self.client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            response.close()
            return
        for form in forms_in(response.text, url):
            self._add(form, user_id)

    def _add(self, form: FormSpec, user_id: int | None) -> None:
        path = form.action.split("?")[0]
        try:
            endpoint, _ = self.adapter.match(path, method="POST")
        except Exception:  # noqa: BLE001 (a GET-only form action)
            return
        if endpoint in self.found:
            return
        self.found[endpoint] = Target(endpoint, form.action, user_id, form.fields, form.options)


def _ids(app: Flask, query) -> list:
    with app.app_context():
        return list(db.session.scalars(query))


def discover(app: Flask, world: World) -> dict[str, Target]:
    """A target for every POST endpoint of the url_map."""
    crawl = _Crawl(app, world)
    users = world.users
    staff = [users[Role.ADMIN], users[Role.AGENT], users[Role.BILLING]]
    for url in ("/auth/login", "/auth/register", "/auth/reset"):
        crawl.visit(url, None)
    get_rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods]
    for rule in sorted(get_rules, key=lambda r: r.rule):
        with app.test_request_context():
            url = url_for(rule.endpoint, **url_values(app, world, rule))
        for role in ROLES:
            crawl.visit(url, users[role])
    tier2 = _ids(app, sa.select(User.id).where(User.role == Role.AGENT, User.tier == 2))[0]
    customer = db_get_user(app, users[Role.CUSTOMER])
    for number in _ids(app, sa.select(Case.number).order_by(Case.id)):
        crawl.visit(f"/tracker/cases/{number}", tier2)
    for number in _ids(
        app, sa.select(Case.number).where(Case.organisation_id == customer.organisation_id)
    ):
        crawl.visit(f"/cases/{number}", users[Role.CUSTOMER])
    for order_id in _ids(app, sa.select(Order.id)):
        crawl.visit(f"/billing/orders/{order_id}", staff[0])
    for org_id in _ids(app, sa.select(Organisation.id)):
        crawl.visit(f"/billing/customers/{org_id}/plans", staff[0])
        crawl.visit(f"/tracker/callers/{org_id}/phone?issue=licence_key", staff[0])
    crawl.visit(f"/admin/users/{world.staff_target}", staff[0])
    crawl.visit(f"/tracker/intake?organisation_id={customer.organisation_id}", staff[0])
    targets = crawl.found
    for endpoint in POST_ENDPOINTS:
        if endpoint not in targets and endpoint in KNOWN_FIELDS:
            rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
            with app.test_request_context():
                url = url_for(endpoint, **url_values(app, world, rule))
            role = Role.CUSTOMER if endpoint.startswith("portal.") else Role.ADMIN
            targets[endpoint] = Target(endpoint, url, users[role], KNOWN_FIELDS[endpoint])
    return targets


def db_get_user(app: Flask, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def row_counts() -> dict[str, int]:
    """Rows per table, in one round trip."""
    tables = db.metadata.sorted_tables
    # Table names from our own metadata, never from input.
    query = " UNION ALL ".join(
        f"SELECT '{t.name}' AS name, COUNT(*) AS n FROM {t.name}"  # noqa: S608
        for t in tables
    )
    return dict(db.session.execute(sa.text(query)).all())


@pytest.fixture(scope="module")
def fuzz_world(_app: Flask):
    world = build_world(_app)
    try:
        yield world, discover(_app, world)
    finally:
        empty_world(_app)


RUN = {"examples": 0, "targets": 0}
STATS: dict = {}


def test_every_post_route_has_a_form_to_fuzz(fuzz_world):
    _, targets = fuzz_world
    assert sorted(set(POST_ENDPOINTS) - set(targets)) == []


ERROR_MARK = re.compile(r'class="error[ "]')


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_fuzzed_posts_never_fail_and_refusals_write_nothing(_app, fuzz_world, endpoint):
    world, targets = fuzz_world
    if endpoint not in targets:
        pytest.fail(f"no form found that posts to {endpoint}")
    target = targets[endpoint]
    client = _app.test_client()
    state = {"token": None}
    RUN["targets"] += 1

    def fresh_token() -> str:
        sign_in(_app, client, target.user_id)
        state["token"] = csrf_from(client.get("/auth/reset").text)
        return state["token"]

    @FUZZ
    @given(data=form_data(target), htmx=st.booleans())
    def post(data: dict, htmx: bool) -> None:
        RUN["examples"] += 1
        limiter.reset()
        token = state["token"] or fresh_token()
        # Each example starts from the same login (a previous one may have logged out).
        sign_in_keep_token(_app, client, target.user_id)
        with _app.app_context():
            before = row_counts()
        headers = {"HX-Request": "true"} if htmx else {}
        files = any(isinstance(v, list) and v and isinstance(v[0], tuple) for v in data.values())
        payload = {k: v for k, v in data.items() if v is not None}
        payload["csrf_token"] = token
        for name in target.fields:
            if name.endswith("-csrf_token"):
                payload[name] = token
        response = client.post(
            target.url,
            data=payload,
            headers=headers,
            content_type="multipart/form-data" if files else None,
        )
        body = response.get_data(as_text=True)
        STATS.setdefault(endpoint, []).append(response.status_code)
        if response.status_code == 400 and "Your form expired" in body:
            state["token"] = None  # the session changed under us: not a finding
            return
        assert response.status_code < 500, f"{target.url} answered {response.status_code}"
        refused = response.status_code >= 400 or (
            response.status_code == 200 and ERROR_MARK.search(body) is not None
        )
        if refused:
            with _app.app_context():
                after = row_counts()
            changed = {
                name: (before[name], after[name])
                for name in before
                if before[name] != after[name] and name not in REFUSAL_MAY_WRITE.get(endpoint, ())
            }
            assert changed == {}, f"refused post to {target.url} changed rows: {changed}"

    post()


def sign_in_keep_token(app: Flask, client, user_id: int | None) -> None:
    """Log in again (the session version may have moved) without losing the CSRF secret."""
    from tests.conftest import login_as

    with client.session_transaction() as session:
        for key in ("_user_id", "_fresh", "_id", "_remember"):
            session.pop(key, None)
    if user_id is not None:
        with app.app_context():
            login_as(client, db.session.get(User, user_id))


def test_zz_report_the_number_of_fuzz_examples():
    refused = sum(1 for codes in STATS.values() for code in codes if code >= 400)
    print(
        f"\nfuzzed {RUN['examples']} examples over {RUN['targets']} form routes"
        f" ({refused} refused with a 4xx, each checked for writes)"
    )
    assert RUN["examples"] == 0 or RUN["examples"] >= RUN["targets"]
