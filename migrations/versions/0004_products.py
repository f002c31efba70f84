"""products: the order catalogue; orders name their product and carry an idempotency key

Revision ID: 0004_products
Revises: 0003_case_presence
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_products"
down_revision = "0003_case_presence"
branch_labels = None
depends_on = None

KINDS = ("purchase", "evaluation", "hosting", "priority_support", "maintenance")


def upgrade():
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                *KINDS, name="product_kind", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("unit_cents", sa.Integer(), nullable=False),
        sa.Column("physical", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("unit_cents >= 0", name=op.f("ck_products_unit_price")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("code", name=op.f("uq_products_code")),
    )
    # Plain ADD COLUMN and CREATE INDEX: on SQLite a batch rebuild of `orders` would have to
    # drop a table that cases, invoices, payments and shipments reference. SQLite cannot add a
    # foreign key to a table afterwards, so there the column carries it inline.
    fk_name = op.f("fk_orders_product_id_products")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE orders ADD COLUMN product_id INTEGER "
            f"CONSTRAINT {fk_name} REFERENCES products (id)"
        )
    else:
        op.add_column("orders", sa.Column("product_id", sa.Integer(), nullable=True))
        op.create_foreign_key(fk_name, "orders", "products", ["product_id"], ["id"])
    op.add_column("orders", sa.Column("idempotency_key", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_orders_product_id"), "orders", ["product_id"], unique=False)
    op.create_index(op.f("ix_orders_idempotency_key"), "orders", ["idempotency_key"], unique=True)
    op.create_index("ix_orders_ordered", "orders", ["ordered_at"], unique=False)


def downgrade():
    op.drop_index("ix_orders_ordered", table_name="orders")
    op.drop_index(op.f("ix_orders_idempotency_key"), table_name="orders")
    op.drop_index(op.f("ix_orders_product_id"), table_name="orders")
    # SQLite drops a column with a foreign key only by rebuilding the table (batch mode);
    # the inline constraint is reflected without its name and goes with its column.
    with op.batch_alter_table("orders") as batch_op:
        if op.get_bind().dialect.name != "sqlite":
            batch_op.drop_constraint(op.f("fk_orders_product_id_products"), type_="foreignkey")
        batch_op.drop_column("idempotency_key")
        batch_op.drop_column("product_id")
    op.drop_table("products")
