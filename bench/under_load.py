"""`make test-under-load`: run a command (the test suite) while a busy loop spins on every core,
so a test that depends on the machine's speed or on the wall clock fails here rather than some
day in CI (issue 16 item 8).

    .venv/bin/python bench/under_load.py .venv/bin/python -m pytest -x tests/views

The spinners stop when the command ends, when this script is interrupted (Ctrl-C, SIGTERM) and,
should it be killed outright, when they notice their parent is gone. The exit status is the
command's.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys

PARENT_CHECK_EVERY = 1_000_000  # loop turns between looks at the parent: well under a second


def spin(parent: int) -> None:
    """Keep one core busy until the parent process is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    turns = 0
    while True:
        turns += 1
        if turns % PARENT_CHECK_EVERY == 0 and os.getppid() != parent:
            return


def _stop_on_sigterm(_signum, _frame) -> None:
    raise SystemExit(128 + signal.SIGTERM)


def run_under_load(command: list[str], spinners: int) -> int:
    """Run `command` with `spinners` busy processes beside it; its exit status."""
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    # Ctrl-C stops us even when started from a shell that ignores it in background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    busy = [
        multiprocessing.Process(target=spin, args=(os.getpid(),), daemon=True)
        for _ in range(spinners)
    ]
    for process in busy:
        process.start()
    print(f"under load: {spinners} busy processes beside: {' '.join(command)}", flush=True)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 130
    finally:
        for process in busy:
            process.terminate()
        for process in busy:
            process.join()


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    spinners = int(os.environ.get("LOAD_PROCESSES") or os.cpu_count() or 1)
    return run_under_load(argv, spinners)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
