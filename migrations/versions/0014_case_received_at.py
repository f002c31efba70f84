"""schema: cases.received_at, when a voice mail was left or an e-mail arrived

Revision ID: 0014_case_received_at
Revises: 0013_eligibility_snapshot
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_case_received_at"
down_revision = "0013_eligibility_snapshot"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("received_at")
