"""schema: billing permission of agents, replacement shipments, recurring charges per period

Revision ID: 0017_billing_on_cases
Revises: 0016_fraud_flags_data
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_billing_on_cases"
down_revision = "0016_fraud_flags_data"
branch_labels = None
depends_on = None


def _add_foreign_key_column(table: str, column: str, referred: str) -> None:
    """A nullable integer column referring to `referred`, without rebuilding `table`.

    SQLite cannot add a foreign key to a table afterwards, so there the column carries it
    inline (as in 0004_products); a batch rebuild would drop a table others reference.
    """
    fk_name = op.f(f"fk_{table}_{column}_{referred}")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
            f"CONSTRAINT {fk_name} REFERENCES {referred} (id)"
        )
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(fk_name, table, referred, [column], ["id"])
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def _drop_foreign_key_columns(table: str, columns: list[str], referred: dict[str, str]) -> None:
    for column in columns:
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
    with op.batch_alter_table(table) as batch_op:
        if op.get_bind().dialect.name != "sqlite":
            for column in columns:
                batch_op.drop_constraint(
                    op.f(f"fk_{table}_{column}_{referred[column]}"), type_="foreignkey"
                )
        for column in columns:
            batch_op.drop_column(column)


def upgrade():
    op.add_column(
        "users",
        sa.Column("billing_permission", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    _add_foreign_key_column("recurring_payments", "card_id", "payment_cards")
    _add_foreign_key_column("shipments", "reship_of_id", "shipments")
    op.add_column("shipments", sa.Column("reship_reason", sa.String(length=500), nullable=True))
    op.add_column("shipments", sa.Column("reship_key", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_shipments_reship_key"), "shipments", ["reship_key"], unique=True)
    op.create_table(
        "recurring_charges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recurring_payment_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("period_on", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "charged",
                "refused",
                name="charge_outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_recurring_charges_amount_positive")),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["payment_cards.id"],
            name=op.f("fk_recurring_charges_card_id_payment_cards"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_recurring_charges_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_recurring_charges_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["recurring_payment_id"],
            ["recurring_payments.id"],
            name=op.f("fk_recurring_charges_recurring_payment_id_recurring_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurring_charges")),
        sa.UniqueConstraint(
            "recurring_payment_id",
            "period_on",
            name=op.f("uq_recurring_charges_recurring_payment_id"),
        ),
    )
    op.create_index(
        op.f("ix_recurring_charges_organisation_id"),
        "recurring_charges",
        ["organisation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_recurring_charges_payment_id"), "recurring_charges", ["payment_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_recurring_charges_payment_id"), table_name="recurring_charges")
    op.drop_index(op.f("ix_recurring_charges_organisation_id"), table_name="recurring_charges")
    op.drop_table("recurring_charges")
    op.drop_index(op.f("ix_shipments_reship_key"), table_name="shipments")
    # Plain columns drop in place (SQLite 3.35+): rebuilding a table other rows point at would
    # fail with foreign keys on, or cascade.
    op.drop_column("shipments", "reship_key")
    op.drop_column("shipments", "reship_reason")
    _drop_foreign_key_columns("shipments", ["reship_of_id"], {"reship_of_id": "shipments"})
    _drop_foreign_key_columns("recurring_payments", ["card_id"], {"card_id": "payment_cards"})
    op.drop_column("users", "billing_permission")
