"""cases (created_at, id): the All folder's order, so a deep page skips rows in the index

Revision ID: 0007_cases_created_id
Revises: 0006_login_sessions
"""

from alembic import op

revision = "0007_cases_created_id"
down_revision = "0006_login_sessions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_cases_created_id", "cases", ["created_at", "id"], unique=False)
    op.drop_index("ix_cases_created", table_name="cases")


def downgrade():
    op.create_index("ix_cases_created", "cases", ["created_at"], unique=False)
    op.drop_index("ix_cases_created_id", table_name="cases")
