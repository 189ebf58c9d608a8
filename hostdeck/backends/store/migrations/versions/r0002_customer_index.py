"""The customer index (the hand-written version 6): `customer_clients`, one row per billing client, and
`customer_terms`, the search terms that lead to it (store/index_tables.py)."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _text(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "customer_clients",
        _text("backend"), _text("client_id"), _text("name"), _text("company"), _text("email"), _text("status"),
        _text("search_text"), _text("payload"), sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("backend", "client_id"))
    op.create_table(
        "customer_terms",
        sa.Column("id", sa.Integer(), nullable=False), _text("term"), _text("kind"), _text("backend"),
        _text("client_id"), _text("label"), sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_customer_terms_term", "customer_terms", ["term"])


def downgrade() -> None:
    op.drop_index("ix_customer_terms_term", "customer_terms")
    op.drop_table("customer_terms")
    op.drop_table("customer_clients")
