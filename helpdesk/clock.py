"""The clock the app's short-lived caches read (the change stamp's minute and the idle poll's
fresh-enough window).

It lives on the app (`app.extensions["clock"]`), so a test can put a clock there that only moves
when told to: a cached value then expires exactly when the test says, however slow the machine
(issue 16 item 8: a count changed when a minute ended in the middle of a measured test).
"""

from __future__ import annotations

import time
from typing import Protocol

from flask import Flask, current_app

EXTENSION = "clock"


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds from an arbitrary start that never go back: for ages of cached values."""

    def time(self) -> float:
        """Seconds since the epoch: for periods that follow the calendar (the minute)."""


class SystemClock:
    """The machine's clocks."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()


def init_app(app: Flask) -> None:
    """Give the app the machine's clocks unless a clock was put there already."""
    app.extensions.setdefault(EXTENSION, SystemClock())


def clock() -> Clock:
    """The current app's clock."""
    return current_app.extensions[EXTENSION]
