"""Flask CLI commands: `flask demo-data`, `flask create-user`, `flask search-reindex`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from helpdesk.models import Organisation, Role
from helpdesk.services import ServiceError, accounts, demo, search


def register(app: Flask) -> None:
    """Attach the project's commands to `app.cli`."""
    app.cli.add_command(end_of_day)
    app.cli.add_command(queue_check)
    app.cli.add_command(demo_data)
    app.cli.add_command(create_user)
    app.cli.add_command(search_reindex)


def _print_logins() -> None:
    click.echo(f"\nDemo logins (password for all: {demo.DEMO_PASSWORD}):")
    for email, role, note in demo.logins():
        click.echo(f"  {email:<30} {role:<16} {note}")


@click.command("demo-data")
@with_appcontext
@click.option("--quiet", is_flag=True, help="Do not print the demo logins.")
def demo_data(quiet: bool) -> None:
    """Load demo organisations, people, cases and money (once; a second run changes nothing)."""

    def progress(items):
        with click.progressbar(list(items), label="Demo cases") as bar:
            yield from bar

    card_key = current_app.config["CARD_HASH_KEY"].encode()
    if demo.load(card_key, progress=progress):
        click.echo("Demo data loaded.")
    else:
        click.echo("Demo data is already loaded; nothing changed.")
    if not quiet:
        _print_logins()


@click.command("create-user")
@with_appcontext
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), prompt=True)
@click.option("--tier", type=click.IntRange(1, 3), default=None, help="Agents only.")
@click.option("--customer-number", default=None, help="Customers: their organisation's ID.")
@click.password_option()
def create_user(
    email: str, name: str, role: str, tier: int | None, customer_number: str | None, password: str
) -> None:
    """Create a login for a real install (the first admin, agents, billing staff)."""
    from helpdesk.extensions import db

    organisation = None
    if customer_number:
        organisation = (
            db.session.query(Organisation).filter_by(customer_number=customer_number).one_or_none()
        )
        if organisation is None:
            raise click.ClickException(f"No organisation with customer number {customer_number}.")
    try:
        user = accounts.create_user(
            email=email,
            name=name,
            password=password,
            role=Role(role),
            tier=tier,
            organisation=organisation,
        )
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Created {user.role} {user.email}.")


@click.command("search-reindex")
@with_appcontext
@click.option("--batch", type=click.IntRange(1), default=1000, show_default=True)
def search_reindex(batch: int) -> None:
    """Rebuild the case search index from the cases and their threads (after an upgrade)."""
    import sqlalchemy as sa

    from helpdesk.extensions import db
    from helpdesk.models import Case

    count = db.session.scalar(sa.select(sa.func.count()).select_from(Case)) or 0
    with click.progressbar(length=count, label="Indexing cases") as bar:
        done = search.reindex_all(batch, on_batch=bar.update)
    click.echo(f"Indexed {done} cases.")


@click.command("end-of-day")
@with_appcontext
@click.option("--agent", "agent_email", default=None, help="Only this agent's cases.")
def end_of_day(agent_email: str | None) -> None:
    """Seed 001: return every unanswered case in personal queues to the support queue."""
    from helpdesk.services import handover

    agent_id = None
    if agent_email:
        agent = accounts.find_user_by_email(agent_email)
        if agent is None or not agent.is_staff:
            raise click.ClickException(f"No agent with the e-mail {agent_email}.")
        agent_id = agent.id
    moved = handover.end_of_day(None, agent_id)
    click.echo(f"{moved} unanswered case{'' if moved == 1 else 's'} returned to the support queue.")


@click.command("queue-check")
@with_appcontext
def queue_check() -> None:
    """Seed 001 queue health: mail the support director about new alerts (for cron)."""
    from helpdesk.models import utcnow
    from helpdesk.services import queue_health

    mailed = queue_health.notify_director(utcnow())
    click.echo(f"{mailed} new queue alert{'' if mailed == 1 else 's'} mailed.")
