"""The OpenAPI document describes the customer, billing and article operations as they are
registered: their scopes, the refund's Idempotency-Key and answers, and no secret fields."""

from __future__ import annotations

import json

import pytest

OPERATIONS = [
    ("get", "/organisations", "customers:read"),
    ("get", "/organisations/{organisation_id}", "customers:read"),
    ("get", "/organisations/{organisation_id}/contacts", "customers:read"),
    ("patch", "/organisations/{organisation_id}/contacts/{contact_id}", "customers:write"),
    ("get", "/customers/{user_id}", "customers:read"),
    ("patch", "/customers/{user_id}", "customers:write"),
    ("get", "/orders", "billing"),
    ("get", "/orders/{order_id}", "billing"),
    ("get", "/payments/{payment_id}", "billing"),
    ("post", "/payments/{payment_id}/refunds", "billing"),
    ("get", "/articles", None),
    ("get", "/articles/{article_id}", None),
    ("post", "/articles", "articles:write"),
    ("patch", "/articles/{article_id}", "articles:write"),
]


@pytest.fixture
def document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json


@pytest.mark.parametrize("method, path, scope", OPERATIONS)
def test_each_operation_is_documented_with_its_scope(document, method, path, scope):
    operation = document["paths"]["/api/v1" + path][method]
    if scope:
        assert operation["description"].startswith(f"Scope: `{scope}`.")
    else:
        assert not operation["description"].startswith("Scope:")
    assert {"401", "403", "429"} <= set(operation["responses"])
    if "{" in path:
        assert "404" in operation["responses"]


def test_the_refund_documents_its_key_and_both_successes(document):
    refund = document["paths"]["/api/v1/payments/{payment_id}/refunds"]["post"]
    assert {"200", "201", "409", "422"} <= set(refund["responses"])
    [header] = [p for p in refund["parameters"] if p["in"] == "header"]
    assert header["name"] == "Idempotency-Key"
    assert "409" in refund["description"]


def test_no_schema_has_a_secret_field(document):
    text = json.dumps(document["components"]["schemas"]).lower()
    for secret in ("password", "totp", "processor_token", "fingerprint", "cvv", "pan"):
        assert f'"{secret}' not in text


def test_the_docs_page_lists_the_new_operations(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    for words in ("Refund a payment", "Change a contact", "Write a help article"):
        assert words in page
