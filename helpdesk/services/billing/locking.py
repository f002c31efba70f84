"""Row locks for money: one transaction at a time decides on a payment or a customer's balance."""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa

from helpdesk.extensions import db

Row = TypeVar("Row")


def begin_immediate_on_sqlite() -> None:
    """On SQLite take the database's write lock now, before the reads that decide.

    sqlite3 (in its default, legacy transaction mode) opens a transaction only before the first
    INSERT/UPDATE/DELETE, so a plain read-check-write lets two requests read the same total. When
    no transaction is open yet we open it ourselves with BEGIN IMMEDIATE; the driver then leaves
    it alone and commits or rolls it back as usual. When one is open, this session has written
    already and so holds the write lock: nobody else can write in between either way.
    """
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def locked_row(model: type[Row], row_id: int) -> Row | None:
    """The row, read for update: no other transaction can decide on it until this one ends
    (SELECT ... FOR UPDATE on PostgreSQL, the database write lock on SQLite)."""
    begin_immediate_on_sqlite()
    return db.session.scalar(
        sa.select(model)
        .where(model.id == row_id)
        .with_for_update()
        .execution_options(populate_existing=True)  # the locked row, not a copy read earlier
    )
