"""Error pages: a plain explanation, never a stack trace."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed, NotFound

from helpdesk.api import problems
from helpdesk.extensions import db
from helpdesk.logging_setup import current_request_id

API_PREFIX = "/api/"

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Please go back and try again."),
    403: ("Not allowed", "Your account does not have access to this page."),
    404: ("Not found", "There is nothing here. Check the address or go back to your home page."),
    405: ("Method not allowed", "This page cannot be used that way."),
    413: ("Too large", "What you sent is larger than we accept."),
    422: ("Cannot process", "The request was understood but could not be processed."),
    429: ("Too many attempts", "Please wait a moment before trying again."),
    500: ("Something went wrong", "We could not complete this. The error has been logged."),
}


def _render(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500])
    # A 500 shows the request id, so a report to support finds the logged traceback.
    reference = current_request_id() if code >= 500 else None
    if request_ctx.url_adapter is None:
        # The request was refused before routing (e.g. an untrusted Host): no URLs to build.
        text = f"{code} {title}: {detail or message}"
        if reference:
            text += f" Reference: {reference}"
        return text, code, {"Content-Type": "text/plain"}
    html = render_template(
        "errors/error.html", code=code, title=title, message=detail or message, reference=reference
    )
    return html, code


def _is_api_request() -> bool:
    """Addresses under /api/ answer errors as problem documents, never as HTML pages."""
    return has_request_context() and request.path.startswith(API_PREFIX)


def _not_found_if_no_route(error: HTTPException) -> HTTPException:
    """Werkzeug answers 405 for `/cases/<too large a number>` when another method's rule
    matched the text first; no route serves that address, so it is a 404."""
    if not isinstance(error, MethodNotAllowed):
        return error
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in error.valid_methods or ():
        try:
            adapter.match(method=method)
        except HTTPException:
            continue
        return error
    return NotFound()


def register(app: Flask) -> None:
    """Install handlers for HTTP errors, CSRF failures and unexpected exceptions, and the
    audit of refused money and permission actions."""
    from helpdesk.web import refusals

    refusals.register(app)

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError):
        return _render(400, "Your form expired or was not sent from this site. Reload and retry.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if _is_api_request():
            return problems.from_http_error(_not_found_if_no_route(error))
        response = _render(error.code or 500)
        if error.code == 429 or error.code == 405:
            # Keep Retry-After (rate limit) and Allow (405) headers from the original error.
            original = error.get_response()
            out = app.make_response(response)
            for header in ("Retry-After", "Allow"):
                if header in original.headers:
                    out.headers[header] = original.headers[header]
            return out
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        db.session.rollback()
        app.logger.exception("Unhandled error", exc_info=error)
        if _is_api_request():
            return problems.problem_response(500, reference=current_request_id())
        return _render(InternalServerError.code)
