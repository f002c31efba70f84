"""`flask create-api-token` and `flask create-webhook`: a personal access token and a webhook
endpoint from the command line, for scripts and for trying the API (the profile page and
Administration -> Webhooks make them too)."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from helpdesk.extensions import db
from helpdesk.models import Role, User
from helpdesk.rules import api_tokens as rules
from helpdesk.rules import webhooks as webhook_rules
from helpdesk.services import ServiceError
from helpdesk.services.accounts import api_tokens
from helpdesk.services.core import settings
from helpdesk.services.webhooks import endpoints


@click.command("create-api-token")
@with_appcontext
@click.option("--email", required=True, help="The staff member the token acts for.")
@click.option("--name", required=True, help="What will use it, e.g. Shop.")
@click.option(
    "--scopes",
    default="cases:read,cases:write",
    show_default=True,
    help="Comma-separated: " + ", ".join(rules.SCOPES),
)
@click.option(
    "--days",
    type=click.Choice([str(days) for days in rules.EXPIRY_DAYS]),
    default=str(rules.DEFAULT_EXPIRY_DAYS),
    show_default=True,
    help="Days until it expires.",
)
def create_api_token(email: str, name: str, scopes: str, days: str) -> None:
    """Make a token and print it once (only its hash is kept)."""
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.lower()))
    if user is None:
        raise click.ClickException(f"No login with the address {email}.")
    chosen = [scope.strip() for scope in scopes.split(",") if scope.strip()]
    try:
        made = api_tokens.create(user, name=name, scopes=chosen, expires_in_days=int(days))
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    click.echo(
        f"Token for {user.email} ({', '.join(made.token.scope_list)}), "
        f"expires {made.token.expires_at:%Y-%m-%d}:",
        err=True,
    )
    click.echo(made.secret)


@click.command("create-webhook")
@with_appcontext
@click.option("--email", required=True, help="The administrator registering it (audited).")
@click.option("--url", required=True, help="Where deliveries are POSTed.")
@click.option(
    "--events",
    default="case.created,case.replied",
    show_default=True,
    help="Comma-separated: " + ", ".join(webhook_rules.EVENTS),
)
@click.option("--description", default="", help="What receives it.")
@click.option(
    "--allow-network",
    default=None,
    help="Also allow this internal range (e.g. 127.0.0.0/8 for a receiver on this machine); "
    "saved as the webhooks' allowed ranges setting.",
)
def create_webhook(
    email: str, url: str, events: str, description: str, allow_network: str | None
) -> None:
    """Register a webhook endpoint and print its signing secret once."""
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.lower()))
    if user is None or user.role != Role.ADMIN:
        raise click.ClickException(f"{email} is not an administrator's login.")
    try:
        if allow_network:
            settings.save(user, {"WEBHOOK_ALLOWED_NETWORKS": allow_network})
        endpoint, secret = endpoints.create(
            user,
            url=url,
            description=description or "Registered from the command line",
            events=[name.strip() for name in events.split(",") if name.strip()],
        )
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Webhook {endpoint.id} to {endpoint.url} for {endpoint.events}:", err=True)
    click.echo(secret)
