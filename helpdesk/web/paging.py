"""Paging in the database: LIMIT/OFFSET on an indexed order, never slicing in Python."""

from __future__ import annotations

from flask import request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.sql import Select

from helpdesk.extensions import db

PER_PAGE = 25


def page_of(query: Select, per_page: int = PER_PAGE) -> Pagination:
    """The page named by `?page=` (bad values fall back to page 1)."""
    page = request.args.get("page", 1, type=int) or 1
    return db.paginate(
        query, page=max(page, 1), per_page=per_page, error_out=False, max_per_page=100
    )
