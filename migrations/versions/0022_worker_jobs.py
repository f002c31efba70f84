"""worker_jobs and worker_heartbeats: the periodic jobs of `flask worker` and its live processes

Revision ID: 0022_worker_jobs
Revises: 0021_clean_subjects
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_worker_jobs"
down_revision = "0021_clean_subjects"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "worker_jobs",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("last_tick", sa.String(length=80), nullable=True),
        sa.Column("running_tick", sa.String(length=80), nullable=True),
        sa.Column("lease_holder", sa.String(length=120), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("last_started_at", sa.DateTime(), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(), nullable=True),
        sa.Column("last_ok", sa.Boolean(), nullable=True),
        sa.Column("last_result", sa.String(length=500), nullable=True),
        sa.Column("last_counts", sa.JSON(), nullable=True),
        sa.Column("next_run_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_jobs")),
    )
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker_id", sa.String(length=120), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("beat_at", sa.DateTime(), nullable=False),
        sa.Column("current_job", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_worker_heartbeats")),
    )
    op.create_index(
        op.f("ix_worker_heartbeats_beat_at"), "worker_heartbeats", ["beat_at"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_worker_heartbeats_beat_at"), table_name="worker_heartbeats")
    op.drop_table("worker_heartbeats")
    op.drop_table("worker_jobs")
