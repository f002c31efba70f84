"""@mentions in notes."""

from __future__ import annotations

from helpdesk.rules import mentions


def test_handle_of_a_name():
    assert mentions.handle_of("Lena Lind") == "lena.lind"
    assert mentions.handle_of("  Zoë  O'Brien ") == "zoë.o.brien"


def test_mentioned_handles():
    text = "@lena.lind can you look? cc @Tomas.Tran. Mail bob@example.com, not @@x"
    assert mentions.mentioned(text) == {"lena.lind", "tomas.tran"}


def test_nothing_mentioned():
    assert mentions.mentioned("") == set() and mentions.mentioned("no one here") == set()
