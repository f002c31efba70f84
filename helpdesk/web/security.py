"""Security headers on every response, and safe redirect targets."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, abort, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SESSIONLESS_ENDPOINTS = frozenset({"health.healthz", "health.readyz"})


def register(app: Flask) -> None:
    """Add the security headers (and Vary: HX-Request) to every response."""

    @app.before_request
    def refuse_nul_bytes() -> None:
        # PostgreSQL text cannot hold NUL: refuse it up front, never a 500 from the driver.
        # The raw query string shows it without parsing (every poll passes through here).
        query = request.environ.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            abort(400)
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            for key, value in request.form.items(multi=True):
                if "\x00" in key or "\x00" in value:
                    abort(400)

    @app.after_request
    def keep_signed_in_responses_out_of_caches(response: Response) -> Response:
        # Static files stay cacheable, and anonymous pages (help centre) are left as they are.
        # Health probes never read the session: no user lookup, no database.
        if request.endpoint in SESSIONLESS_ENDPOINTS:
            return response
        if request.endpoint != "static" and current_user.is_authenticated:
            set_no_store(response)
        return response

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        # Pages answer htmx with a fragment: caches must keep the two apart.
        response.vary.add("HX-Request")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def set_no_store(response: Response) -> None:
    """No cache may keep a signed-in user's response: a shared computer's back button, a proxy.

    Downloads (attachments, CSV exports) are `private, no-store` as well.
    """
    download = response.headers.get("Content-Disposition", "").lower().startswith("attachment")
    response.headers["Cache-Control"] = "private, no-store" if download else "no-store"
    response.headers["Pragma"] = "no-cache"  # HTTP/1.0 caches


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no `//evil` or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(char) < 32 for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
