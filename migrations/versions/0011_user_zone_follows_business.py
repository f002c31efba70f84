"""data: profiles still on the old default zone follow the business time zone

Until now every new user got America/Denver (the business zone's default) and the profile zone
changed nothing shown, so a user with that value never chose it in a way they could see. They
now follow the business zone: the same times today, and the administrator's zone if it changes.

Revision ID: 0011_user_zone_follows_business
Revises: 0010_user_zone_optional
"""

from alembic import op

revision = "0011_user_zone_follows_business"
down_revision = "0010_user_zone_optional"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE users SET time_zone = NULL WHERE time_zone = 'America/Denver'")


def downgrade():
    op.execute("UPDATE users SET time_zone = 'America/Denver' WHERE time_zone IS NULL")
