"""Administrators' webhook endpoints: register, change, turn on again, new secret, remove.

Each action checks its input, writes its audit row (never the secret) and commits. A URL is
checked when it is entered, its host name resolved and every address checked by the SSRF guard
(helpdesk.rules.webhook_targets), and again at every delivery, since DNS answers change.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import DeliveryStatus, User, WebhookDelivery, WebhookEndpoint, utcnow
from helpdesk.rules.webhook_targets import Network, TargetError, check_url, parse_networks
from helpdesk.rules.webhooks import SECRET_PREFIX, parse_events
from helpdesk.services import ServiceError
from helpdesk.services.core import audit, settings
from helpdesk.services.webhooks.transport import (
    Refused,
    Resolver,
    checked_addresses,
    current_resolver,
)

log = logging.getLogger(__name__)
DESCRIPTION_MAX = 200
ALLOW_HINT = (
    " To reach an internal receiver, an administrator names its range under Settings, "
    "“Internal addresses webhooks may reach”."
)


def new_secret() -> str:
    """A signing secret: 32 random bytes, URL-safe, after a prefix that says what it is."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def allowed_networks() -> tuple[Network, ...]:
    """The ranges the administrator allows although they are not public (the setting)."""
    try:
        return parse_networks(str(settings.setting("WEBHOOK_ALLOWED_NETWORKS") or ""))
    except ValueError:
        log.warning("WEBHOOK_ALLOWED_NETWORKS is not a list of ranges; none is allowed")
        return ()


def check_target(url: str, resolver: Resolver | None = None) -> str:
    """The URL, stripped, once its form and every address it reaches pass; ServiceError."""
    try:
        target = check_url(url)
    except TargetError as error:
        raise ServiceError(str(error), field="url") from None
    try:
        checked_addresses(target, allowed_networks(), resolver or current_resolver())
    except Refused as error:
        hint = ALLOW_HINT if "public addresses" in str(error) else ""
        raise ServiceError(f"{error}{hint}", field="url") from None
    return url.strip()


def _description(text: str) -> str:
    text = " ".join((text or "").split())
    if len(text) > DESCRIPTION_MAX:
        raise ServiceError(f"Use at most {DESCRIPTION_MAX} characters.", field="description")
    return text


def _events(chosen: Sequence[str]) -> str:
    try:
        names = parse_events(list(chosen or []))
    except ValueError as error:
        raise ServiceError(str(error), field="events") from None
    if not names:
        raise ServiceError("Choose at least one event.", field="events")
    return " ".join(names)


def create(
    actor: User,
    *,
    url: str,
    description: str,
    events: Sequence[str],
    active: bool = True,
    ip_address: str | None = None,
    resolver: Resolver | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; audited; commit. Returns it and its secret, to show once."""
    values = {
        "description": _description(description),
        "events": _events(events),
        "url": check_target(url, resolver),
    }
    secret = new_secret()
    now = utcnow()
    endpoint = WebhookEndpoint(
        **values,
        secret=secret,
        secret_created_at=now,
        active=active,
        created_by_id=actor.id,
        updated_at=now,
    )
    db.session.add(endpoint)
    db.session.flush()
    audit.record(
        "webhook.create",
        actor=actor,
        obj=endpoint,
        ip_address=ip_address,
        url=endpoint.url,
        events=endpoint.event_list,
        active=active,
    )
    db.session.commit()
    return endpoint, secret


def update(
    actor: User,
    endpoint: WebhookEndpoint,
    *,
    url: str,
    description: str,
    events: Sequence[str],
    active: bool,
    ip_address: str | None = None,
    resolver: Resolver | None = None,
) -> dict[str, dict[str, Any]]:
    """Change the URL, description, events or whether it is on; audited; commit. The changes.

    Turning an endpoint on again (after the failure rule turned it off) starts its count of
    failures afresh; its waiting deliveries go out with the next run.
    """
    values: dict[str, Any] = {
        "description": _description(description),
        "events": _events(events),
        "active": bool(active),
    }
    if (url or "").strip() != endpoint.url:
        values["url"] = check_target(url, resolver)
    changes = {
        key: {"before": getattr(endpoint, key), "after": value}
        for key, value in values.items()
        if getattr(endpoint, key) != value
    }
    if not changes:
        return {}
    for key, value in values.items():
        setattr(endpoint, key, value)
    if changes.get("active", {}).get("after") is True:
        _reset_failures(endpoint)
    endpoint.updated_at = utcnow()
    audit.record(
        "webhook.update", actor=actor, obj=endpoint, ip_address=ip_address, changes=changes
    )
    db.session.commit()
    return changes


def enable(actor: User, endpoint: WebhookEndpoint, *, ip_address: str | None = None) -> bool:
    """Turn an endpoint on again; audited; commit. False when it was on already."""
    if endpoint.active:
        return False
    reason = endpoint.disabled_reason
    endpoint.active = True
    _reset_failures(endpoint)
    endpoint.updated_at = utcnow()
    audit.record(
        "webhook.enable", actor=actor, obj=endpoint, ip_address=ip_address, was_disabled=reason
    )
    db.session.commit()
    return True


def _reset_failures(endpoint: WebhookEndpoint) -> None:
    endpoint.consecutive_failures = 0
    endpoint.disabled_at = None
    endpoint.disabled_reason = None


def rotate_secret(actor: User, endpoint: WebhookEndpoint, *, ip_address: str | None = None) -> str:
    """A new secret at once (deliveries still waiting are signed with it); audited; commit."""
    secret = new_secret()
    endpoint.secret = secret
    endpoint.secret_created_at = endpoint.updated_at = utcnow()
    audit.record("webhook.rotate_secret", actor=actor, obj=endpoint, ip_address=ip_address)
    db.session.commit()
    return secret


def delete(actor: User, endpoint: WebhookEndpoint, *, ip_address: str | None = None) -> None:
    """Remove the endpoint and its deliveries, sent or not; audited; commit."""
    waiting = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
        )
    )
    audit.record(
        "webhook.delete",
        actor=actor,
        obj=endpoint,
        ip_address=ip_address,
        url=endpoint.url,
        events=endpoint.event_list,
        undelivered=waiting,
    )
    db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    db.session.delete(endpoint)
    db.session.commit()


# --- reading, for the administration pages -----------------------------------------------


def endpoints() -> list[WebhookEndpoint]:
    """Every endpoint, oldest first."""
    return list(db.session.scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def recent_deliveries(endpoint: WebhookEndpoint) -> sa.Select:
    """The endpoint's deliveries, newest first (paged by the caller)."""
    return (
        sa.select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    )


def waiting_counts() -> dict[int, int]:
    """Endpoint id -> deliveries not yet delivered nor given up (read off the status index)."""
    rows = db.session.execute(
        sa.select(WebhookDelivery.endpoint_id, sa.func.count())
        .where(WebhookDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)))
        .group_by(WebhookDelivery.endpoint_id)
    )
    return dict(rows.all())


def last_delivery(endpoint: WebhookEndpoint) -> WebhookDelivery | None:
    """The endpoint's newest delivery, if any."""
    return db.session.scalar(recent_deliveries(endpoint).limit(1))
