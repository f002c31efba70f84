"""Fixtures of the API tests: bearer tokens for a user; reading problem documents."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest
from flask import Flask

from helpdesk.extensions import db
from helpdesk.models import User
from helpdesk.rules.api_tokens import grantable
from helpdesk.services.accounts import api_tokens

Headers = dict[str, str]


def token_headers(app: Flask, user_id: int, scopes: Iterable[str] | None = None) -> Headers:
    """`Authorization` for a new token of the user: `scopes`, or all its role may hold."""
    with app.app_context():
        owner = db.session.get(User, user_id)
        chosen = (
            list(scopes)
            if scopes is not None
            else sorted(grantable(owner.role.value, owner.billing_permission))
        )
        made = api_tokens.create(owner, name="Test", scopes=chosen, expires_in_days=30)
        return {"Authorization": f"Bearer {made.secret}"}


@pytest.fixture
def bearer(app: Flask) -> Callable[..., Headers]:
    """bearer(user_or_id, scopes=None) -> headers carrying a new token of that user."""

    def make(user: User | int, scopes: Iterable[str] | None = None) -> Headers:
        return token_headers(app, user if isinstance(user, int) else user.id, scopes)

    return make


def problem_fields(response) -> list[str]:
    """The `field` of each error of a problem document."""
    return [item["field"] for item in (response.get_json() or {}).get("errors", [])]
