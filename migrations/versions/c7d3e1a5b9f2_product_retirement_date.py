"""停产/下架: the day a product item left the firm's active product list

Revision ID: c7d3e1a5b9f2
Revises: a4c1f7e93b20
Create Date: 2026-12-03 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c7d3e1a5b9f2"
down_revision = "a4c1f7e93b20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("product_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired_on", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("product_items", schema=None) as batch_op:
        batch_op.drop_column("retired_on")
