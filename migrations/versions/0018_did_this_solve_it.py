"""did this solve it: a question per answer mailed on a case, its yes/no, the articles it carried

Revision ID: 0018_did_this_solve_it
Revises: 0017_billing_on_cases
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_did_this_solve_it"
down_revision = "0017_billing_on_cases"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_mail_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("canned_key", sa.String(length=60), nullable=True),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("solved", sa.Boolean(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_feedback_agent_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_feedback_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_feedback_case_id_cases"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_feedback_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_mail_id"],
            ["outbox_mails.id"],
            name=op.f("fk_feedback_outbox_mail_id_outbox_mails"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("outbox_mail_id", name=op.f("uq_feedback_outbox_mail_id")),
    )
    op.create_index("ix_feedback_created", "feedback", ["created_at"], unique=False)
    op.create_index(
        "ix_feedback_canned_created", "feedback", ["canned_key", "created_at"], unique=False
    )
    op.create_index(op.f("ix_feedback_case_id"), "feedback", ["case_id"], unique=False)
    op.create_index(op.f("ix_feedback_agent_id"), "feedback", ["agent_id"], unique=False)
    op.create_table(
        "feedback_articles",
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_feedback_articles_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_feedback_articles_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feedback_id", "article_id", name=op.f("pk_feedback_articles")),
    )
    op.create_index(
        op.f("ix_feedback_articles_article_id"), "feedback_articles", ["article_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_feedback_articles_article_id"), table_name="feedback_articles")
    op.drop_table("feedback_articles")
    op.drop_index(op.f("ix_feedback_agent_id"), table_name="feedback")
    op.drop_index(op.f("ix_feedback_case_id"), table_name="feedback")
    op.drop_index("ix_feedback_canned_created", table_name="feedback")
    op.drop_index("ix_feedback_created", table_name="feedback")
    op.drop_table("feedback")
