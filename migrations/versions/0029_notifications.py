"""notifications: agents' in-app notifications, and the events each also gets by e-mail

Revision ID: 0029_notifications
Revises: 0028_time_entries
"""

import sqlalchemy as sa
from alembic import op

revision = "0029_notifications"
down_revision = "0028_time_entries"
branch_labels = None
depends_on = None

EVENTS = (
    "assigned",
    "handed_over",
    "escalated",
    "customer_replied",
    "mentioned",
    "sla_soon",
    "sla_missed",
)


def upgrade():
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column(
            "event",
            sa.Enum(
                *EVENTS,
                name="notification_event",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("once_key", sa.String(length=80), nullable=True),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_notifications_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_notifications_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("user_id", "once_key", name=op.f("uq_notifications_user_id")),
    )
    op.create_index(op.f("ix_notifications_case_id"), "notifications", ["case_id"], unique=False)
    op.create_index(
        "ix_notifications_user_read", "notifications", ["user_id", "read_at", "id"], unique=False
    )
    # A plain ALTER, not a batch copy: on SQLite a copy of `users` would drop its triggers.
    op.add_column("users", sa.Column("notify_by_mail", sa.JSON(), nullable=True))


def downgrade():
    op.drop_column("users", "notify_by_mail")
    op.drop_index("ix_notifications_user_read", table_name="notifications")
    op.drop_index(op.f("ix_notifications_case_id"), table_name="notifications")
    op.drop_table("notifications")
