"""data: the system e-mails already sent from the phone procedure count as macro uses

Every system e-mail queued so far is an outbox row whose template_key is the e-mail's key; each
becomes a use (who sent it was not recorded, so the user stays empty), and each macro's
count and last use are set from them, so the help-centre report starts with the real history.

Revision ID: 0009_macro_use_history
Revises: 0008_macros
"""

from alembic import op

revision = "0009_macro_use_history"
down_revision = "0008_macros"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        INSERT INTO macro_uses (macro_id, user_id, case_id, created_at)
        SELECT canned_responses.id, NULL, outbox_mails.case_id, outbox_mails.created_at
        FROM outbox_mails JOIN canned_responses ON canned_responses.key = outbox_mails.template_key
        """
    )
    op.execute(
        """
        UPDATE canned_responses SET
            use_count = (SELECT COUNT(*) FROM macro_uses
                         WHERE macro_uses.macro_id = canned_responses.id),
            last_used_at = (SELECT MAX(created_at) FROM macro_uses
                            WHERE macro_uses.macro_id = canned_responses.id)
        """
    )


def downgrade():
    op.execute("DELETE FROM macro_uses WHERE user_id IS NULL")
    op.execute("UPDATE canned_responses SET use_count = 0, last_used_at = NULL")
