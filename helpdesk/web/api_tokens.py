"""API tokens as the lists show them (the profile's and the administrators')."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from helpdesk.models import ApiToken
from helpdesk.rules import api_tokens as rules


@dataclass(frozen=True)
class TokenRow:
    """A token and whether it works at the time of the page."""

    token: ApiToken
    state: str  # rules.LIVE, rules.EXPIRED or rules.REVOKED


def token_rows(tokens: list[ApiToken], now: datetime) -> list[TokenRow]:
    """Tokens with their state at `now`."""
    return [TokenRow(t, rules.state(t.expires_at, t.revoked_at, now)) for t in tokens]
