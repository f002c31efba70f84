"""data: case subjects stored before they were cleaned become one line (control characters)

Revision ID: 0021_clean_subjects
Revises: 0020_pending_registrations
"""

import sqlalchemy as sa
from alembic import op

from helpdesk.rules.subjects import clean_subject

revision = "0021_clean_subjects"
down_revision = "0020_pending_registrations"
branch_labels = None
depends_on = None

BATCH = 5000
NO_SUBJECT = "(no subject)"  # as a mail without one gets

cases = sa.table("cases", sa.column("id", sa.Integer), sa.column("subject", sa.String))


def upgrade():
    conn = op.get_bind()
    last_id = 0
    while True:  # in id order, a batch at a time: a large table is never held in memory
        rows = conn.execute(
            sa.select(cases.c.id, cases.c.subject)
            .where(cases.c.id > last_id)
            .order_by(cases.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for case_id, subject in rows:
            clean = clean_subject(subject) or NO_SUBJECT
            if clean != subject:
                conn.execute(sa.update(cases).where(cases.c.id == case_id).values(subject=clean))
        last_id = rows[-1].id


def downgrade():
    pass  # the control characters were noise: nothing to put back
