"""Absolute links for e-mail, from the configured base URL.

Never from the request's Host header: a forged Host would otherwise put an attacker's domain
into a password-reset mail. Works in CLI jobs too, where there is no request at all.
"""

from __future__ import annotations

from typing import Any

from flask import current_app


def mail_link(endpoint: str, **values: Any) -> str:
    """The absolute URL of `endpoint` under HELPDESK_BASE_URL."""
    adapter = current_app.url_map.bind("localhost")
    path = adapter.build(endpoint, values)
    return current_app.config["BASE_URL"].rstrip("/") + path
