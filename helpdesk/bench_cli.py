"""`flask bench-data`: fill the database with many cases for `make bench`."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from flask.cli import with_appcontext

from helpdesk.sample_data import bench_data


class PlainProgress:
    """Progress as plain lines, one per `step` of the total, for a log or a pipe."""

    def __init__(self, total: int, label: str, *, step: float = 0.05) -> None:
        self.total, self.label, self.done = total, label, 0
        self.every = max(1, int(total * step))
        self.next = self.every
        self.started = time.monotonic()

    def update(self, n: int) -> None:
        self.done = min(self.total, self.done + n)
        if self.done >= self.next or self.done == self.total:
            while self.next <= self.done:
                self.next += self.every
            seconds = time.monotonic() - self.started
            click.echo(
                f"{self.label} {self.done:,} / {self.total:,} "
                f"({self.done * 100 // self.total}%) {seconds:.0f} s"
            )


def on_terminal() -> bool:
    return sys.stdout.isatty()


@contextmanager
def progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """The click progress bar on a terminal, plain lines every 5% otherwise."""
    if on_terminal():
        with click.progressbar(length=total, label=label, show_pos=True) as bar:
            yield bar.update
    else:
        yield PlainProgress(total, label).update


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
    with progress(cases, "Cases") as update:
        counts = bench_data.load(cases, messages_per_case=messages, seed=variant, progress=update)
    seconds = time.monotonic() - started
    click.echo(
        f"Added {counts['cases']:,} cases, {counts['messages']:,} messages and "
        f"{counts['organisations']:,} organisations in {seconds:.1f} s "
        f"(every login of it has the password {bench_data.PASSWORD})."
    )
