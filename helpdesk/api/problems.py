"""Errors as `application/problem+json` (RFC 9457): a status, a title, what went wrong, and for
a refused request body or query the field each error belongs to."""

from __future__ import annotations

import json
from collections.abc import Iterable

from flask import Response
from werkzeug.exceptions import HTTPException

CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    422: "Cannot process",
    429: "Too many requests",
    500: "Something went wrong",
}

DETAILS = {
    400: "The request could not be read.",
    401: "Send a personal access token: Authorization: Bearer <token>.",
    403: "This token may not do that.",
    404: "There is nothing here, or this token may not see it.",
    405: "This address does not take that method.",
    413: "What you sent is larger than we accept.",
    415: "Send the body as application/json.",
    429: "This token sent too many requests: wait and retry.",
    500: "We could not complete this. The error has been logged.",
}


class Problem(HTTPException):
    """Raise to answer with a problem document (the API's error handler renders it)."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        errors: Iterable[dict] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description=detail or DETAILS.get(status, ""))
        self.code = status
        self.errors = list(errors)
        self.extra_headers = headers or {}

    def get_response(self, environ=None, scope=None) -> Response:  # noqa: ARG002
        return problem_response(
            self.code, self.description, errors=self.errors, headers=self.extra_headers
        )


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    errors: Iterable[dict] = (),
    headers: dict[str, str] | None = None,
    reference: str | None = None,
) -> Response:
    """A problem document with this status; `errors` are {"field", "message"} pairs."""
    document = {
        "type": "about:blank",
        "title": TITLES.get(status, TITLES[500]),
        "status": status,
        "detail": detail or DETAILS.get(status, ""),
    }
    errors = list(errors)
    if errors:
        document["errors"] = errors
    if reference:
        document["reference"] = reference
    response = Response(json.dumps(document), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="helpdesk"'
    return response


def from_http_error(error: HTTPException, reference: str | None = None) -> Response:
    """Any HTTP error raised on an API address, as a problem document (headers kept)."""
    if isinstance(error, Problem):
        return error.get_response()
    status = error.code or 500
    headers = {}
    original = error.get_response()
    for name in ("Retry-After", "Allow"):
        if name in original.headers:
            headers[name] = original.headers[name]
    detail = DETAILS.get(status) if status >= 500 else None
    return problem_response(status, detail, headers=headers, reference=reference)


def refused(error, field_names: dict[str, str] | None = None) -> Problem:
    """A service's refusal (a ServiceError) as a 422 naming its field in the API's words."""
    field = (field_names or {}).get(error.field or "", error.field)
    errors = [{"field": field, "message": error.message}] if field else []
    return Problem(422, error.message, errors=errors)
