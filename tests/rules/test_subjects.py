"""A case subject is one line: control characters become single spaces, trimmed."""

from __future__ import annotations

import pytest

from helpdesk.rules.subjects import clean_subject


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("Printer offline", "Printer offline"),
        ("Printer\r\n offline", "Printer offline"),  # a folded mail header
        ("Printer\x00offline", "Printer offline"),
        ("\tPrinter\t\toffline\n", "Printer offline"),
        ("Printer\u2028offline\u2029again", "Printer offline again"),
        ("Printer\x1b[31m red", "Printer [31m red"),  # an escape sequence loses its ESC
        ("Printer\x7f\x85\x9foffline", "Printer offline"),  # DEL and C1 controls
        ("  many   spaces  ", "many spaces"),
        ("\r\n\x00\t", ""),
        ("", ""),
        (None, ""),
        ("Café ☕ ошибка שגיאה", "Café ☕ ошибка שגיאה"),  # letters and emoji are kept
        ("zero\u200bwidth", "zero\u200bwidth"),  # format characters are not controls
    ],
)
def test_clean_subject(raw, clean):
    assert clean_subject(raw) == clean
