"""`flask bench-data`: fill the database with many cases for `make bench`."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from helpdesk.sample_data import bench_data


@click.command("bench-data")
@click.option("--cases", type=click.IntRange(1, 10_000_000), default=100_000, show_default=True)
@click.option("--messages", type=click.IntRange(0, 20), default=3, show_default=True)
@click.option(
    "--variant",
    type=int,
    default=7,
    show_default=True,
    help="Which random data: the same number always gives the same data.",
)
@with_appcontext
def bench_data_command(cases: int, messages: int, variant: int) -> None:
    """Add CASES cases with MESSAGES messages each (bulk inserts, search rows included)."""
    started = time.monotonic()
    with click.progressbar(length=cases, label="Cases", show_pos=True) as bar:
        counts = bench_data.load(
            cases, messages_per_case=messages, seed=variant, progress=bar.update
        )
    seconds = time.monotonic() - started
    click.echo(
        f"Added {counts['cases']:,} cases, {counts['messages']:,} messages and "
        f"{counts['organisations']:,} organisations in {seconds:.1f} s "
        f"(every login of it has the password {bench_data.PASSWORD})."
    )
