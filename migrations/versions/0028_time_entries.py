"""time entries: minutes agents spent on a case, with a reply, a note, a call or on their own

Revision ID: 0028_time_entries
Revises: 0027_tags_and_views
"""

import sqlalchemy as sa
from alembic import op

revision = "0028_time_entries"
down_revision = "0027_tags_and_views"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "time_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "reply",
                "note",
                "call",
                "work",
                name="time_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("worked_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "minutes BETWEEN 1 AND 1440", name=op.f("ck_time_entries_minutes_range")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_time_entries_agent_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_time_entries_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_entries")),
    )
    for column in ("agent_id", "case_id", "worked_on"):
        op.create_index(op.f(f"ix_time_entries_{column}"), "time_entries", [column], unique=False)


def downgrade():
    for column in ("agent_id", "case_id", "worked_on"):
        op.drop_index(op.f(f"ix_time_entries_{column}"), table_name="time_entries")
    op.drop_table("time_entries")
