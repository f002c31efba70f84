"""schema: topics customers may pick on a new case, each giving it a case type

Revision ID: 0012_customer_topics
Revises: 0011_user_zone_follows_business
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_customer_topics"
down_revision = "0011_user_zone_follows_business"
branch_labels = None
depends_on = None

CATEGORIES = ("licence_key", "support", "customisation", "hosting", "bug_report", "other")


def upgrade():
    op.create_table(
        "customer_topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("case_type_id", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                *CATEGORIES,
                name="topic_category",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_type_id"],
            ["case_types.id"],
            name=op.f("fk_customer_topics_case_type_id_case_types"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_topics")),
        sa.UniqueConstraint("label", name=op.f("uq_customer_topics_label")),
    )
    with op.batch_alter_table("customer_topics", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_topics_case_type_id"), ["case_type_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("customer_topics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_topics_case_type_id"))
    op.drop_table("customer_topics")
