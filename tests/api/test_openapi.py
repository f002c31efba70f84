"""The OpenAPI document and the API agree: schemathesis sends what the document allows (and,
in negative mode, what it forbids) to every operation, and every answer must be documented,
conform to its schema and never be a 5xx.

Operations are called as an administrator whose token holds every scope, against a small
world (two organisations, cases with a thread, an article) so some generated numbers hit real
objects. Examples per operation stay few: the suite runs on two cores in CI.
"""

from __future__ import annotations

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

from helpdesk.extensions import db
from helpdesk.models import Case, Role
from tests.api.tokens import bearer
from tests.factories import make_case, make_organisation, make_user

EXAMPLES = 25
COUNTS: dict[str, int] = {"calls": 0, "operations": 0}


@pytest.fixture
def api_world(app):
    app.config["API_LIMIT_PER_TOKEN"] = "1000000 per minute"
    with app.app_context():
        org = make_organisation(name="Northwind")
        make_user(Role.CUSTOMER, organisation=org)
        admin = make_user(Role.ADMIN)
        make_user(Role.AGENT, tier=2)
        for n in range(3):
            make_case(org, number=n + 1, subject=f"Printer {n}")
        db.session.commit()
        header = bearer(admin)
    yield header
    app.config["API_LIMIT_PER_TOKEN"] = "120 per minute"


def _config(method: str) -> schemathesis.Config:
    """Reads take only what their schema says, so any valid query must be answered; writes
    may also refuse valid-looking data by a business rule (422: an unknown organisation, an
    agent who is away), which the document lists for them."""
    if method == "GET":
        return schemathesis.Config()
    accepted = ["2xx", "401", "403", "404", "409", "422", "429"]
    return schemathesis.Config.from_dict(
        {"checks": {"positive_data_acceptance": {"expected-statuses": accepted}}}
    )


def _operations() -> list[str]:
    from helpdesk.api import blueprint, spec

    blueprint.load_operations()
    return [f"{op.method} /api/v1{op.path}" for op in spec.OPERATIONS]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("label", _operations())
def test_every_operation_answers_as_documented(app, api_world, label, mode):
    method, path = label.split(" ", 1)
    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=_config(method))
    operation = api[path][method]
    # Negative data may be a stray header or query parameter, which the API ignores on purpose
    # (proxies add headers; old clients send old parameters): what must hold for any input is
    # no 5xx, a documented status and a conforming body.
    excluded = [checks.negative_data_rejection] if mode == GenerationMode.NEGATIVE else []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def call(case):
        case.call_and_validate(headers=api_world, excluded_checks=excluded)
        COUNTS["calls"] += 1

    call()


def test_the_document_is_openapi_3_1_with_every_operation_secured(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert operations
    for op in operations:
        assert op["security"] == [{"bearerAuth": []}]
        assert {"401", "403", "429"} <= set(op["responses"])
        for status, answer in op["responses"].items():
            if status.startswith("4"):
                assert "application/problem+json" in answer["content"]


def test_the_reference_page_lists_every_operation(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    document = client.get("/api/v1/openapi.json").json
    for path, methods in document["paths"].items():
        for method in methods:
            assert path in page
            assert method.upper() in page


def test_a_created_case_is_still_a_case_after_the_run(app, api_world):
    # The world is intact: generated writes went through the services, never around them.
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) >= 3


def test_zz_report_the_number_of_calls(capsys):
    # Read by the closing note: how many generated requests this run sent (per worker).
    with capsys.disabled():
        print(f"\nschemathesis: {COUNTS['calls']} generated API requests answered as documented")


def test_the_reference_page_explains_webhooks(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert 'id="webhooks"' in page and "X-Helpdesk-Signature" in page
