"""pending registrations: a self-registration waits for its mailed link before any account exists

Revision ID: 0020_pending_registrations
Revises: 0019_unverified_sender
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_pending_registrations"
down_revision = "0019_unverified_sender"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pending_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_registrations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_pending_registrations_token_hash")),
    )
    op.create_index(
        op.f("ix_pending_registrations_email"), "pending_registrations", ["email"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_pending_registrations_email"), table_name="pending_registrations")
    op.drop_table("pending_registrations")
