"""case presence: who is viewing or typing on a case

Revision ID: 0003_case_presence
Revises: 0002_case_search
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_case_presence"
down_revision = "0002_case_search"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_presence",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.Column("typing_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_presence_case_id_cases"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_case_presence_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "user_id", name=op.f("pk_case_presence")),
    )


def downgrade():
    op.drop_table("case_presence")
