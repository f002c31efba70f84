"""macros: canned responses gain an owner, actions and usage; one row per use

Revision ID: 0008_macros
Revises: 0007_cases_created_id
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_macros"
down_revision = "0007_cases_created_id"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("canned_responses", schema=None) as batch_op:
        # Saved replies have no key: only the phone procedure's system e-mails do.
        batch_op.alter_column("key", existing_type=sa.String(length=60), nullable=True)
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("actions", sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("use_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_canned_responses_owner_id"), ["owner_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_canned_responses_owner_id_users"),
            "users",
            ["owner_id"],
            ["id"],
            ondelete="CASCADE",
        )

    op.create_table(
        "macro_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("macro_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_macro_uses_case_id_cases"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["macro_id"],
            ["canned_responses.id"],
            name=op.f("fk_macro_uses_macro_id_canned_responses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_macro_uses_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_macro_uses")),
    )
    op.create_index("ix_macro_uses_created", "macro_uses", ["created_at"], unique=False)
    op.create_index(
        "ix_macro_uses_macro_created", "macro_uses", ["macro_id", "created_at"], unique=False
    )


def downgrade():
    op.drop_index("ix_macro_uses_macro_created", table_name="macro_uses")
    op.drop_index("ix_macro_uses_created", table_name="macro_uses")
    op.drop_table("macro_uses")
    # Personal macros have no key and cannot survive the NOT NULL below.
    op.execute("DELETE FROM canned_responses WHERE key IS NULL")
    with op.batch_alter_table("canned_responses", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_canned_responses_owner_id_users"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_canned_responses_owner_id"))
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("use_count")
        batch_op.drop_column("actions")
        batch_op.drop_column("owner_id")
        batch_op.alter_column("key", existing_type=sa.String(length=60), nullable=False)
