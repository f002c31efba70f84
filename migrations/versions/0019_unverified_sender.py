"""schema: messages.unverified_sender, an e-mailed reply held until an agent accepts it

Revision ID: 0019_unverified_sender
Revises: 0018_did_this_solve_it
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_unverified_sender"
down_revision = "0018_did_this_solve_it"
branch_labels = None
depends_on = None


def upgrade():
    # A plain column added in place: attachments and feedback rows point at messages, so the
    # table must not be rebuilt on SQLite.
    op.add_column(
        "messages",
        sa.Column("unverified_sender", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade():
    op.drop_column("messages", "unverified_sender")
