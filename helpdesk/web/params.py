"""The one way numbers and dates come in from a URL or a form (issue 16 item 1).

Query parameters, path segments and hand-parsed form fields go through helpdesk.rules.numbers:
ASCII digits within the range a database column holds, dates within a sane range. A value
outside it reads as "not given" (a query filter is ignored), a 404 (a path segment) or a form
error (form fields and the date filters of lists and reports: IntegerField and DateField of
helpdesk.web.forms), never a 500 from the database.
"""

from __future__ import annotations

from flask import abort, request
from werkzeug.routing import IntegerConverter

from helpdesk.rules.numbers import LARGEST_ID, parse_id, parse_ids, parse_int


class DatabaseIntConverter(IntegerConverter):
    """`<int:...>` of ASCII digits that fits a database integer: anything else is a 404."""

    regex = r"[0-9]+"  # `\d` would match "٣", which int() reads as 3

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)


def arg_int(name: str, *, low: int = 1, high: int = LARGEST_ID) -> int | None:
    """`?name=` as an integer within low..high, else None (the filter is ignored)."""
    return parse_int(request.args.get(name), low=low, high=high)


def arg_id(name: str) -> int | None:
    """`?name=` as an id or case number, else None."""
    return parse_id(request.args.get(name))


def arg_page(name: str = "page") -> int:
    """`?name=` as a page number; anything that is not one is page 1."""
    return arg_id(name) or 1


def form_ids(name: str) -> list[int]:
    """Every valid id posted under `name` (checkbox lists such as the bulk selection)."""
    return parse_ids(request.form.getlist(name))


def form_id_or_400(text: str | None) -> int | None:
    """A posted id field: None when empty, the id when valid, else 400 Bad Request."""
    text = (text or "").strip()
    if not text:
        return None
    value = parse_id(text)
    if value is None:
        abort(400)
    return value
