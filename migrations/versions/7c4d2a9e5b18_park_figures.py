"""Materialised home-page figures per park (park_figures, in parts) and the versions that keep them exact
(figure_versions: bumped by every transaction that writes what the figures read).

Revision ID: 7c4d2a9e5b18
Revises: 35a5ec92f195
Create Date: 2026-12-02 17:30:00

"""

from alembic import op
import sqlalchemy as sa


revision = "7c4d2a9e5b18"
down_revision = "35a5ec92f195"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "figure_versions",
        sa.Column("park_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("park_id", "part", name=op.f("pk_figure_versions")),
    )
    op.create_table(
        "park_figures",
        sa.Column("park_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("park_id", "part", name=op.f("pk_park_figures")),
    )


def downgrade():
    op.drop_table("park_figures")
    op.drop_table("figure_versions")
