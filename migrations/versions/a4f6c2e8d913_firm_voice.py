"""企业之声: service codes (企业服务码), the firm page's rate-limit hits, withdrawals and their 质检, the monthly
回访抽查 (draws, checks, per-park settings); on problems, who gave the evaluation and how, the firm's
contact and 希望办结时间, a pending 撤单申请 and the withdrawal date

Revision ID: a4f6c2e8d913
Revises: b3e9f1c7d2a6
Create Date: 2026-12-02 10:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = "a4f6c2e8d913"
down_revision = "b3e9f1c7d2a6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "service_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("revoke_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_service_codes_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(["issued_by_id"], ["users.id"], name=op.f("fk_service_codes_issued_by_id_users")),
        sa.ForeignKeyConstraint(["revoked_by_id"], ["users.id"], name=op.f("fk_service_codes_revoked_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_codes")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_service_codes_token_hash")),
    )
    with op.batch_alter_table("service_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_codes_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(
            "uq_service_codes_active_enterprise",
            ["enterprise_id"],
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )

    op.create_table(
        "portal_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("bucket", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_hits")),
    )
    with op.batch_alter_table("portal_hits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_hits_at"), ["at"], unique=False)
        batch_op.create_index("ix_portal_hits_kind_bucket_at", ["kind", "bucket", "at"], unique=False)

    op.create_table(
        "portal_settings",
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.Column("callback_percent", sa.Integer(), nullable=False),
        sa.Column("callback_min", sa.Integer(), nullable=False),
        sa.Column("rating_reminder_days", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["park_id"], ["parks.id"], name=op.f("fk_portal_settings_park_id_parks")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_portal_settings_updated_by_id_users")),
        sa.PrimaryKeyConstraint("park_id", name=op.f("pk_portal_settings")),
    )

    op.create_table(
        "callback_draws",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("minimum", sa.Integer(), nullable=False),
        sa.Column("drawn_on", sa.Date(), nullable=False),
        sa.Column("drawn_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["drawn_by_id"], ["users.id"], name=op.f("fk_callback_draws_drawn_by_id_users")),
        sa.ForeignKeyConstraint(["park_id"], ["parks.id"], name=op.f("fk_callback_draws_park_id_parks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_draws")),
        sa.UniqueConstraint("park_id", "month", name="uq_callback_draws_park_month"),
    )

    op.create_table(
        "callback_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=True),
        sa.Column("satisfaction", sa.String(length=16), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("called_by_id", sa.Integer(), nullable=True),
        sa.Column("called_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["called_by_id"], ["users.id"], name=op.f("fk_callback_checks_called_by_id_users")),
        sa.ForeignKeyConstraint(
            ["draw_id"], ["callback_draws.id"], name=op.f("fk_callback_checks_draw_id_callback_draws")
        ),
        sa.ForeignKeyConstraint(["problem_id"], ["problems.id"], name=op.f("fk_callback_checks_problem_id_problems")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_checks")),
        sa.UniqueConstraint("draw_id", "problem_id", name="uq_callback_checks_draw_problem"),
    )
    with op.batch_alter_table("callback_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callback_checks_draw_id"), ["draw_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_callback_checks_problem_id"), ["problem_id"], unique=False)

    op.create_table(
        "withdrawals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirm_note", sa.String(length=500), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=False),
        sa.Column("review", sa.String(length=16), nullable=True),
        sa.Column("review_note", sa.String(length=500), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["confirmed_by_id"], ["users.id"], name=op.f("fk_withdrawals_confirmed_by_id_users")),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_withdrawals_department_id_departments")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_withdrawals_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(["problem_id"], ["problems.id"], name=op.f("fk_withdrawals_problem_id_problems")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"], name=op.f("fk_withdrawals_requested_by_id_users")),
        sa.ForeignKeyConstraint(["reviewed_by_id"], ["users.id"], name=op.f("fk_withdrawals_reviewed_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawals")),
    )
    with op.batch_alter_table("withdrawals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_withdrawals_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_withdrawals_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_withdrawals_problem_id"), ["problem_id"], unique=False)
        batch_op.create_index("ix_withdrawals_withdrawn_on", ["withdrawn_on"], unique=False)

    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evaluation_by", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("evaluation_channel", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("contact_name", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("contact_phone", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("wished_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("withdrawal_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("withdrawal_requested_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("withdrawal_requested_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_on", sa.Date(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_problems_withdrawal_requested_by_id_users"), "users", ["withdrawal_requested_by_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_problems_withdrawal_requested_by_id_users"), type_="foreignkey")
        for column in (
            "withdrawn_on",
            "withdrawal_requested_by_id",
            "withdrawal_requested_on",
            "withdrawal_reason",
            "wished_on",
            "contact_phone",
            "contact_name",
            "evaluation_channel",
            "evaluation_by",
        ):
            batch_op.drop_column(column)
    for table in ("withdrawals", "callback_checks", "callback_draws", "portal_settings", "portal_hits", "service_codes"):
        op.drop_table(table)
