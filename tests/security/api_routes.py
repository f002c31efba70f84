"""The REST API's routes in the route-enumerating suites.

The API (/api/v1) lives outside the browser's world: it reads no session and no form, takes
no CSRF token (a bearer token cannot ride along on a cross-site request) and answers JSON.
The access table holds one row per API route saying a browser session gets 401 there; odd
numbers, every field and every documented answer are schemathesis's work (tests/api/
test_openapi.py), scopes and access through tokens are tests/api's. The form crawls, the CSRF
sweep and the odd-query crawl therefore skip these routes.
"""

from __future__ import annotations

# Readable without a token: the OpenAPI document and its page.
OPEN_API_PAGES = frozenset({"api.openapi_document", "api.docs_page"})


def is_api(endpoint: str) -> bool:
    """A REST API route (token-authenticated JSON)."""
    return endpoint.startswith("api.")


def api_endpoints() -> frozenset[str]:
    """Every API route's endpoint: the declared operations and the open pages."""
    from helpdesk.api import blueprint, spec

    blueprint.load_operations()
    return frozenset(f"api.{op.endpoint}" for op in spec.OPERATIONS) | OPEN_API_PAGES
