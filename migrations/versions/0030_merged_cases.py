"""merged cases: a case merged into another keeps the number it was merged into

Revision ID: 0030_merged_cases
Revises: 0029_notifications
"""

import sqlalchemy as sa
from alembic import op

revision = "0030_merged_cases"
down_revision = "0029_notifications"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ALTER, not a batch copy: on SQLite a copy of `cases` would drop its triggers.
    # SQLite takes the key inline in the ALTER; PostgreSQL gets a named one.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE cases ADD COLUMN merged_into_id INTEGER REFERENCES cases (id)")
    else:
        op.add_column("cases", sa.Column("merged_into_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_cases_merged_into_id_cases"), "cases", "cases", ["merged_into_id"], ["id"]
        )
    op.create_index(op.f("ix_cases_merged_into_id"), "cases", ["merged_into_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_cases_merged_into_id"), table_name="cases")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_cases_merged_into_id_cases"), "cases", type_="foreignkey")
    op.drop_column("cases", "merged_into_id")
