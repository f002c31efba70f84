"""How the administration pages answer: a fragment for htmx, the full page otherwise."""

from __future__ import annotations

from typing import Any

from flask import make_response, render_template
from werkzeug.wrappers import Response

from helpdesk.web.htmx import is_htmx_request


def page_or_fragment(
    page_template: str, fragment_template: str, /, *, status: int = 200, **context: Any
) -> Response:
    """Like web.htmx.render_page_or_fragment, with a status for the full page.

    htmx swaps only 2xx answers, so a refused form comes back to htmx as a 200 fragment
    showing its errors, and as a 422 page without JavaScript.
    """
    if is_htmx_request():
        response = make_response(render_template(fragment_template, **context), 200)
    else:
        response = make_response(render_template(page_template, **context), status)
    response.vary.add("HX-Request")
    return response
