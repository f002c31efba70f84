"""tags on cases and saved views of the tracker; the timeline's new kinds (tags, merge, split, time)

Revision ID: 0027_tags_and_views
Revises: 0026_two_factor
"""

import sqlalchemy as sa
from alembic import op

revision = "0027_tags_and_views"
down_revision = "0026_two_factor"
branch_labels = None
depends_on = None

OLD_KINDS = ("call", "action", "status", "assignment", "priority", "link", "mail")
NEW_KINDS = (*OLD_KINDS, "tags", "merge", "split", "time")
CHECK = "ck_activities_activity_kind"


def _kinds(kinds) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def _set_kinds(kinds) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot alter a CHECK: the batch copies the table with the new one.
        with op.batch_alter_table("activities", recreate="always") as batch:
            batch.drop_constraint(op.f(CHECK), type_="check")
            batch.create_check_constraint("activity_kind", _kinds(kinds))
    else:
        op.drop_constraint(op.f(CHECK), "activities", type_="check")
        op.create_check_constraint("activity_kind", "activities", _kinds(kinds))


def upgrade():
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("suggested", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("name", name=op.f("uq_tags_name")),
    )
    op.create_table(
        "case_tags",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_tags_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_case_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", "tag_id", name=op.f("pk_case_tags")),
    )
    op.create_index("ix_case_tags_tag_case", "case_tags", ["tag_id", "case_id"], unique=False)
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("folder", sa.String(length=20), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_saved_views_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
    )
    op.create_index(op.f("ix_saved_views_owner_id"), "saved_views", ["owner_id"], unique=False)
    op.create_index("ix_saved_views_shared", "saved_views", ["shared"], unique=False)
    _set_kinds(NEW_KINDS)


def downgrade():
    op.execute(
        sa.text("DELETE FROM activities WHERE kind IN ('tags', 'merge', 'split', 'time')")
    )
    _set_kinds(OLD_KINDS)
    op.drop_index("ix_saved_views_shared", table_name="saved_views")
    op.drop_index(op.f("ix_saved_views_owner_id"), table_name="saved_views")
    op.drop_table("saved_views")
    op.drop_index("ix_case_tags_tag_case", table_name="case_tags")
    op.drop_table("case_tags")
    op.drop_table("tags")
