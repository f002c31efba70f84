"""Issue 10 item 8 for the API: hypothesis drives every operation that takes a JSON body with
plausible, random, oversize and malformed values; never a 500, and a refused request writes
nothing.

The forms' fuzzer (test_fuzz_forms) reads fields from the pages' <form>s; the API has none, so
the fields come from each operation's request model (helpdesk.api.spec.OPERATIONS, the same
models that write the OpenAPI document). Each example is sent with an administrator's token
holding every scope, so a refusal can only come from the body.
"""

from __future__ import annotations

import json
import secrets

import pytest
from flask import Flask, url_for
from hypothesis import given
from hypothesis import strategies as st

from helpdesk.api import spec
from helpdesk.extensions import db, limiter
from helpdesk.models import Role, User
from helpdesk.rules.api_tokens import SCOPES
from helpdesk.services.accounts import api_tokens
from tests.security.s3_world import build_world, empty_world, url_values
from tests.security.test_fuzz_forms import FUZZ, ODD_VALUES, _huge, _text, row_counts

# PATCH /cases applies its fields in order, each as on the case page, and says so: a refused
# field answers 422 and the fields before it stay changed (an assignment, with its timeline
# entry, notification and mail). Everything else refused writes nothing.
REFUSAL_MAY_WRITE: dict[str, set[str]] = {
    "update_case": {
        "activities",
        "audit_logs",
        "case_tags",
        "case_tallies",
        "notifications",
        "outbox_mails",
        "tags",
    },
}

BODY_OPERATIONS = sorted(
    {op.endpoint for op in spec.OPERATIONS if op.body is not None and not op.binary}
)


def _operation(endpoint: str) -> spec.Operation:
    return next(op for op in spec.OPERATIONS if op.endpoint == endpoint)


def _schema(model) -> tuple[dict, dict]:
    """The model's properties, each with `$ref`s and nullable unions resolved."""
    schema = model.model_json_schema()
    definitions = schema.get("$defs", {})

    def resolve(prop: dict) -> dict:
        if "$ref" in prop:
            return resolve(definitions[prop["$ref"].rsplit("/", 1)[-1]])
        if "anyOf" in prop:
            options = [resolve(p) for p in prop["anyOf"] if p.get("type") != "null"]
            return {**options[0], "nullable": True} if options else prop
        if prop.get("type") == "array" and "items" in prop:
            return {**prop, "items": resolve(prop["items"])}
        return prop

    return {name: resolve(p) for name, p in schema.get("properties", {}).items()}, schema


def _junk() -> st.SearchStrategy:
    """Anything JSON can carry, mostly not what a field wants."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        _text(),
        _huge(),
        st.sampled_from(ODD_VALUES),
    )
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=6)


def _plausible(name: str, prop: dict, ids: list[int]) -> st.SearchStrategy:
    """A value that passes the model, so refusals deep in a service are reached too."""
    kind = prop.get("type")
    if "enum" in prop:
        return st.sampled_from(prop["enum"])
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.sampled_from(ids) if name.endswith("_id") else st.integers(1, 5_000)
    if kind == "array":
        item = prop.get("items", {})
        if "enum" in item:
            return st.lists(st.sampled_from(item["enum"]), max_size=3, unique=True)
        if item.get("type") == "object":
            return st.just([])
        return st.lists(st.sampled_from(["api", "fuzz", "keys"]), max_size=3, unique=True)
    if "email" in name or prop.get("format") == "email":
        return st.sampled_from(["fuzz@example.com", "anna@northwind.example.com"])
    if "phone" in name:
        return st.sampled_from(["+1 555 0100", "0421 100"])
    if prop.get("format") == "date-time":
        return st.sampled_from(["2026-12-01T09:00:00Z", "2031-01-15T17:30:00+01:00"])
    return st.sampled_from(["Hello there", "Checkout fails on step 3", "Damaged in transit"])


@st.composite
def bodies(draw, model, ids: list[int]):
    """A body for `model`: some fields plausible, the others missing or junk; now and then
    an unknown field, or no object at all."""
    properties, _ = _schema(model)
    if draw(st.integers(0, 19)) == 0:
        return draw(_junk())  # a list, a string, null ...
    names = sorted(properties)
    broken = draw(st.sets(st.sampled_from(names))) if names else set()
    body = {}
    for name in names:
        if name in broken:
            if draw(st.booleans()):
                body[name] = draw(_junk())
        elif draw(st.integers(0, 3)) > 0:
            body[name] = draw(_plausible(name, properties[name], ids))
    if draw(st.integers(0, 9)) == 0:
        body[draw(st.sampled_from(["id", "slug", "password", "x" * 300]))] = draw(_junk())
    return body


@pytest.fixture(scope="module")
def api_world(_app: Flask):
    world = build_world(_app)
    with _app.app_context():
        admin = db.session.get(User, world.users[Role.ADMIN])
        made = api_tokens.create(admin, name="Fuzz", scopes=list(SCOPES), expires_in_days=30)
        headers = {"Authorization": f"Bearer {made.secret}"}
    try:
        yield world, headers
    finally:
        empty_world(_app)


def _url(app: Flask, world, endpoint: str) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = url_values(app, world, rule)
    if "user_id" in rule.arguments:  # the world's `user_id` is staff: a customer login here
        values["user_id"] = world.users[Role.CUSTOMER]
    with app.test_request_context():
        return url_for(endpoint, **values)


def _ids(world) -> list[int]:
    found = {value for value in world.ids.values() if isinstance(value, int)}
    found |= set(world.users.values())
    return sorted(found | {1, 2, 10**9})


RUN = {"examples": 0}


def test_every_body_of_the_api_is_fuzzed():
    assert BODY_OPERATIONS, "no API operation takes a body"
    assert {"create_refund", "update_contact", "create_article"} <= set(BODY_OPERATIONS)


@pytest.mark.parametrize("endpoint", BODY_OPERATIONS)
def test_fuzzed_bodies_never_fail_and_refusals_write_nothing(_app, api_world, endpoint):
    world, headers = api_world
    op = _operation(endpoint)
    url = _url(_app, world, f"api.{endpoint}")
    client = _app.test_client()

    @FUZZ
    @given(body=bodies(op.body, _ids(world)), keyed=st.booleans())
    def send(body, keyed: bool) -> None:
        RUN["examples"] += 1
        limiter.reset()
        with _app.app_context():
            before = row_counts()
        sent = dict(headers)
        if keyed:
            sent["Idempotency-Key"] = f"fuzz-{secrets.token_hex(8)}"
        response = client.open(
            url,
            method=op.method,
            data=json.dumps(body),
            content_type="application/json",
            headers=sent,
        )
        assert response.status_code < 500, f"{op.method} {url} answered {response.status_code}"
        if response.status_code >= 400:
            assert response.content_type == "application/problem+json"
            with _app.app_context():
                after = row_counts()
            allowed = REFUSAL_MAY_WRITE.get(endpoint, set())
            changed = {
                n: (before[n], after[n])
                for n in before
                if before[n] != after[n] and n not in allowed
            }
            assert changed == {}, f"refused {op.method} {url} changed rows: {changed}"

    send()
