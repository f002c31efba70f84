"""Render a full page or, for an htmx request, only its fragment."""

from __future__ import annotations

from typing import Any

from flask import make_response, render_template, request
from flask.typing import ResponseReturnValue


def is_htmx_request() -> bool:
    """True for an htmx swap; a history restore needs the whole page back."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render_page_or_fragment(
    page_template: str, fragment_template: str, /, **context: Any
) -> ResponseReturnValue:
    """The fragment for htmx, the page (which includes the fragment) otherwise."""
    template = fragment_template if is_htmx_request() else page_template
    response = make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response
