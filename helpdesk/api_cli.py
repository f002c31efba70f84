"""`flask create-api-token`: a personal access token from the command line, for scripts and
for trying the API (the profile page makes them too)."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from helpdesk.extensions import db
from helpdesk.models import User
from helpdesk.rules import api_tokens as rules
from helpdesk.services import ServiceError
from helpdesk.services.accounts import api_tokens


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
