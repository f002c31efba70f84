"""case CCs: other people of a case's organisation who get its public replies

Revision ID: 0031_case_ccs
Revises: 0030_merged_cases
"""

import sqlalchemy as sa
from alembic import op

revision = "0031_case_ccs"
down_revision = "0030_merged_cases"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_ccs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["users.id"],
            name=op.f("fk_case_ccs_added_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_ccs_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_ccs")),
        sa.UniqueConstraint("case_id", "email", name=op.f("uq_case_ccs_case_id")),
    )


def downgrade():
    op.drop_table("case_ccs")
