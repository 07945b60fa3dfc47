"""Problem rules kept as immutable versions (problem_rule_sets); each problem records its version

Version 1 is the rules as they stand: the "problem_rules" setting an admin saved (completed with the
defaults of the time for any value it lacks), or the defaults. Every problem already dispatched was
computed under those rules, so it records version 1. The setting row is then removed: the versions
are the only place the rules live. Downgrade writes the newest version back into the setting.

Revision ID: febe7c8eb32d
Revises: c7d3e1a5b9f2
Create Date: 2026-12-02 10:30:00
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "febe7c8eb32d"
down_revision = "c7d3e1a5b9f2"
branch_labels = None
depends_on = None

SETTING_KEY = "problem_rules"
# The rules' values when versions began (frozen here: a later change of the code's defaults must not
# change what version 1 means).
DEFAULTS = {
    "limits": {"normal": 10, "urgent": 3},
    "category_limits": {},
    "sign_days": 1,
    "feedback_days": 3,
    "progress_days": 7,
    "warn_share": 30,
    "return_days": 1,
    "extension_notice_days": 1,
    "max_extension_days": 10,
    "escalate_after": {"2": 1, "3": 3, "4": 5},
}
WARN_DAYS = 2  # the setting's old "warn_days", written back on downgrade
# Since when the defaults were in force when no admin ever saved the rules: since the system began.
SINCE_ALWAYS = datetime(2000, 1, 1)

settings = sa.table(
    "settings",
    sa.column("key", sa.String),
    sa.column("value", sa.JSON),
    sa.column("updated_by_id", sa.Integer),
    sa.column("updated_at", sa.DateTime),
)
rule_sets = sa.table(
    "problem_rule_sets",
    sa.column("id", sa.Integer),
    sa.column("number", sa.Integer),
    sa.column("rules", sa.JSON),
    sa.column("effective_from", sa.DateTime),
    sa.column("created_by_id", sa.Integer),
    sa.column("note", sa.String),
)
problems = sa.table("problems", sa.column("rule_set_id", sa.Integer), sa.column("dispatched_on", sa.Date))


def upgrade():
    op.create_table(
        "problem_rule_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("effective_from", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_problem_rule_sets_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_rule_sets")),
        sa.UniqueConstraint("number", name="uq_problem_rule_sets_number"),
    )
    with op.batch_alter_table("problem_rule_sets", schema=None) as batch_op:
        batch_op.create_index("ix_problem_rule_sets_effective_from", ["effective_from"], unique=False)
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rule_set_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_problems_rule_set_id_problem_rule_sets"),
            "problem_rule_sets",
            ["rule_set_id"],
            ["id"],
        )

    conn = op.get_bind()
    row = conn.execute(
        sa.select(settings.c.value, settings.c.updated_by_id, settings.c.updated_at).where(
            settings.c.key == SETTING_KEY
        )
    ).first()
    stored = dict(row.value or {}) if row else {}
    rules = {key: stored.get(key, default) for key, default in DEFAULTS.items()}  # "warn_days" is dropped
    rules["escalate_after"] = {str(k): v for k, v in rules["escalate_after"].items()}
    conn.execute(
        rule_sets.insert().values(
            id=1,
            number=1,
            rules=rules,
            effective_from=(row.updated_at if row else None) or SINCE_ALWAYS,
            created_by_id=row.updated_by_id if row else None,
            note="由原办理规则设置生成" if row else "初始版本",
        )
    )
    if conn.dialect.name == "postgresql":  # the explicit id 1 left the sequence behind
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('problem_rule_sets', 'id'), 1)"))
    conn.execute(problems.update().where(problems.c.dispatched_on.is_not(None)).values(rule_set_id=1))
    conn.execute(settings.delete().where(settings.c.key == SETTING_KEY))


def downgrade():
    conn = op.get_bind()
    newest = conn.execute(
        sa.select(rule_sets.c.rules, rule_sets.c.created_by_id, rule_sets.c.effective_from)
        .order_by(rule_sets.c.number.desc())
        .limit(1)
    ).first()
    if newest is not None:
        conn.execute(
            settings.insert().values(
                key=SETTING_KEY,
                value=dict(newest.rules) | {"warn_days": WARN_DAYS},
                updated_by_id=newest.created_by_id,
                updated_at=newest.effective_from,
            )
        )
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_problems_rule_set_id_problem_rule_sets"), type_="foreignkey")
        batch_op.drop_column("rule_set_id")
    with op.batch_alter_table("problem_rule_sets", schema=None) as batch_op:
        batch_op.drop_index("ix_problem_rule_sets_effective_from")
    op.drop_table("problem_rule_sets")
