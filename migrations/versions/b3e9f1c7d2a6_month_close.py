"""月结: month closes (versions, who closed or reopened them and why) and the facts frozen with each

Revision ID: b3e9f1c7d2a6
Revises: e5b8d2f47a31
Create Date: 2026-12-03 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b3e9f1c7d2a6"
down_revision = "e5b8d2f47a31"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "month_closes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("snapshot_rows", sa.Integer(), nullable=False),
        sa.Column("reopened_at", sa.DateTime(), nullable=True),
        sa.Column("reopened_by_id", sa.Integer(), nullable=True),
        sa.Column("reopen_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_month_closes_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reopened_by_id"], ["users.id"], name=op.f("fk_month_closes_reopened_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_month_closes")),
        sa.UniqueConstraint("month", "version", name="uq_month_closes_month_version"),
    )
    with op.batch_alter_table("month_closes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_month_closes_month"), ["month"], unique=False)

    op.create_table(
        "month_snapshot_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("close_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["close_id"],
            ["month_closes.id"],
            name=op.f("fk_month_snapshot_rows_close_id_month_closes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_month_snapshot_rows")),
    )
    with op.batch_alter_table("month_snapshot_rows", schema=None) as batch_op:
        batch_op.create_index(
            "ix_month_snapshot_rows_close_kind_park", ["close_id", "kind", "park_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("month_snapshot_rows", schema=None) as batch_op:
        batch_op.drop_index("ix_month_snapshot_rows_close_kind_park")
    op.drop_table("month_snapshot_rows")
    with op.batch_alter_table("month_closes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_month_closes_month"))
    op.drop_table("month_closes")
