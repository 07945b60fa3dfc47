"""现场: client ids of visits sent from phones (one visit per author and id), on-site evidence
(visit locations, firms' locations, the last visit with evidence) and the parks' evidence settings

Revision ID: e5b8d2f47a31
Revises: febe7c8eb32d
Create Date: 2026-12-03 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e5b8d2f47a31"
down_revision = "febe7c8eb32d"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("evidence", sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f("ix_visits_evidence"), ["evidence"], unique=False)
        batch_op.create_unique_constraint("uq_visits_cadre_client", ["cadre_id", "client_id"])

    with op.batch_alter_table("firm_visit_summaries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_evidenced_on", sa.Date(), nullable=True))

    with op.batch_alter_table("park_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence_enabled", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("evidence_max_distance_m", sa.Integer(), server_default="500", nullable=False))
        batch_op.add_column(sa.Column("evidence_max_accuracy_m", sa.Integer(), server_default="100", nullable=False))

    op.create_table(
        "visit_locations",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.Column("accuracy_m", sa.Double(), nullable=False),
        sa.Column("located_at", sa.DateTime(), nullable=True),
        sa.Column("distance_m", sa.Integer(), nullable=True),
        sa.Column("doubts", sa.String(length=300), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("review_note", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["reviewed_by_id"], ["users.id"], name=op.f("fk_visit_locations_reviewed_by_id_users")),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_visit_locations_visit_id_visits")),
        sa.PrimaryKeyConstraint("visit_id", name=op.f("pk_visit_locations")),
    )
    op.create_table(
        "firm_locations",
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("set_by_id", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"], name=op.f("fk_firm_locations_enterprise_id_enterprises")),
        sa.ForeignKeyConstraint(["set_by_id"], ["users.id"], name=op.f("fk_firm_locations_set_by_id_users")),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_firm_locations_visit_id_visits")),
        sa.PrimaryKeyConstraint("enterprise_id", name=op.f("pk_firm_locations")),
    )


def downgrade():
    op.drop_table("firm_locations")
    op.drop_table("visit_locations")
    with op.batch_alter_table("park_settings", schema=None) as batch_op:
        batch_op.drop_column("evidence_max_accuracy_m")
        batch_op.drop_column("evidence_max_distance_m")
        batch_op.drop_column("evidence_enabled")
    with op.batch_alter_table("firm_visit_summaries", schema=None) as batch_op:
        batch_op.drop_column("last_evidenced_on")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_constraint("uq_visits_cadre_client", type_="unique")
        batch_op.drop_index(batch_op.f("ix_visits_evidence"))
        batch_op.drop_column("evidence")
        batch_op.drop_column("client_id")
