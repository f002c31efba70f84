"""schema: a case keeps the support eligibility it was opened with, and the reason

Cases opened before this revision keep NULL: the case page says "not recorded" rather than
guess what the orders looked like back then.

Revision ID: 0013_eligibility_snapshot
Revises: 0012_customer_topics
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_eligibility_snapshot"
down_revision = "0012_customer_topics"
branch_labels = None
depends_on = None

LEVELS = ("active", "send_to_sales", "no_plan", "unsupported", "no_account")
CHECK = "ck_cases_eligibility_level"


def upgrade():
    # Plain ADD COLUMN: a batch rebuild of `cases` on SQLite would have to drop the table
    # that messages, links and the search index hang on. SQLite takes the CHECK inline.
    if op.get_bind().dialect.name == "sqlite":
        values = ", ".join(f"'{level}'" for level in LEVELS)
        op.execute(
            f"ALTER TABLE cases ADD COLUMN eligibility_level VARCHAR(32) "
            f"CONSTRAINT {CHECK} CHECK (eligibility_level IN ({values}))"
        )
    else:
        op.add_column("cases", sa.Column("eligibility_level", sa.String(length=32)))
        op.create_check_constraint(CHECK, "cases", sa.column("eligibility_level").in_(LEVELS))
    op.add_column("cases", sa.Column("eligibility_reason", sa.String(length=300), nullable=True))
    op.add_column("cases", sa.Column("eligibility_order_ref", sa.String(length=32), nullable=True))


def downgrade():
    op.drop_column("cases", "eligibility_order_ref")
    op.drop_column("cases", "eligibility_reason")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot drop a column its inline CHECK names, and rebuilding `cases` with
        # foreign keys on would cascade-delete messages: the unused column stays.
        return
    op.drop_constraint(CHECK, "cases", type_="check")
    op.drop_column("cases", "eligibility_level")
