"""schema: a user's time zone may be empty, meaning "the business time zone"

Revision ID: 0010_user_zone_optional
Revises: 0009_macro_use_history
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_user_zone_optional"
down_revision = "0009_macro_use_history"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("time_zone", existing_type=sa.String(length=64), nullable=True)


def downgrade():
    op.execute("UPDATE users SET time_zone = 'America/Denver' WHERE time_zone IS NULL")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("time_zone", existing_type=sa.String(length=64), nullable=False)
