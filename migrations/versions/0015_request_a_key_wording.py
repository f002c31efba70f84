"""data: the licence-key e-mail names the button My orders now has, "Request a key"

The system e-mail "FAQ-How to request a key" told customers to choose "Request key", a
button that did not exist. My orders now has "Request a key"; the step is reworded in the
stored e-mail wherever it is still there as installed (the rest of an edited text stays).

Revision ID: 0015_request_a_key_wording
Revises: 0014_case_received_at
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_request_a_key_wording"
down_revision = "0014_case_received_at"
branch_labels = None
depends_on = None

OLD_STEP = "3. Choose Request key, and give"
NEW_STEP = "3. Choose Request a key, and give"


def _reword(old_step: str, new_step: str) -> None:
    canned = sa.table("canned_responses", sa.column("id"), sa.column("key"), sa.column("body"))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(canned.c.id, canned.c.body).where(canned.c.key == "faq-request-key")
    ).all()
    for row_id, body in rows:
        if body and old_step in body:
            bind.execute(
                canned.update()
                .where(canned.c.id == row_id)
                .values(body=body.replace(old_step, new_step))
            )


def upgrade():
    _reword(OLD_STEP, NEW_STEP)


def downgrade():
    _reword(NEW_STEP, OLD_STEP)
