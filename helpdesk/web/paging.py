"""Paging in the database: LIMIT/OFFSET on an indexed order, never slicing in Python."""

from __future__ import annotations

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.sql import Select

from helpdesk.extensions import db
from helpdesk.web.params import arg_page

PER_PAGE = 25
# Rows counted past the page's start. Counting a million matches costs more than showing a
# page of them (issue 9); beyond this the total reads "N+" and Next stays open.
COUNT_AHEAD = 10_000


def page_of(query: Select, per_page: int = PER_PAGE, total: int | None = None) -> Pagination:
    """The page named by `?page=` (bad values fall back to page 1).

    `total`, when the caller already knows it (a folder's kept count), saves the count."""
    page = arg_page()
    pagination = db.paginate(
        query, page=page, per_page=per_page, error_out=False, max_per_page=100, count=False
    )
    if total is not None:
        pagination.total, pagination.total_is_lower_bound = total, False
        return pagination
    ceiling = (page - 1) * pagination.per_page + COUNT_AHEAD
    counted = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).limit(ceiling).subquery())
    )
    pagination.total = counted
    pagination.total_is_lower_bound = counted >= ceiling
    return pagination
