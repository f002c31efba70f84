"""service-level policies: targets by plan and priority; each case's policy and targets

Revision ID: 0032_sla_policies
Revises: 0031_case_ccs
"""

import sqlalchemy as sa
from alembic import op

revision = "0032_sla_policies"
down_revision = "0031_case_ccs"
branch_labels = None
depends_on = None

COLUMNS = ("next_reply_due_at", "resolution_due_at", "sla_paused_at")


def upgrade():
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("plan", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=False),
        sa.Column("first_response_hours", sa.Double(), nullable=False),
        sa.Column("next_reply_hours", sa.Double(), nullable=True),
        sa.Column("resolution_hours", sa.Double(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
        sa.UniqueConstraint("name", name=op.f("uq_sla_policies_name")),
    )
    # Plain ALTERs, not a batch copy: on SQLite a copy of `cases` would drop its triggers.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE cases ADD COLUMN sla_policy_id INTEGER REFERENCES sla_policies (id)"
        )
    else:
        op.add_column("cases", sa.Column("sla_policy_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_cases_sla_policy_id_sla_policies"),
            "cases",
            "sla_policies",
            ["sla_policy_id"],
            ["id"],
        )
    for column in COLUMNS:
        op.add_column("cases", sa.Column(column, sa.DateTime(), nullable=True))
    # The dashboard counts the targets missed now as index ranges.
    op.create_index("ix_cases_next_reply_due", "cases", ["next_reply_due_at"], unique=False)
    op.create_index("ix_cases_resolution_due", "cases", ["resolution_due_at"], unique=False)


def downgrade():
    op.drop_index("ix_cases_resolution_due", table_name="cases")
    op.drop_index("ix_cases_next_reply_due", table_name="cases")
    for column in COLUMNS:
        op.drop_column("cases", column)
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(
            op.f("fk_cases_sla_policy_id_sla_policies"), "cases", type_="foreignkey"
        )
    op.drop_column("cases", "sla_policy_id")
    op.drop_table("sla_policies")
