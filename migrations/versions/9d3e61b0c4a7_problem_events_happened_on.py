"""An index on problem_events.happened_on: a month's replay finds the problems changed after its end
from the few recent events instead of from every event of the month's problems.

Revision ID: 9d3e61b0c4a7
Revises: 7c4d2a9e5b18
Create Date: 2026-12-02 23:20:00

"""

from alembic import op


revision = "9d3e61b0c4a7"
down_revision = "7c4d2a9e5b18"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("problem_events", schema=None) as batch_op:
        batch_op.create_index("ix_problem_events_happened_on", ["happened_on"], unique=False)


def downgrade():
    with op.batch_alter_table("problem_events", schema=None) as batch_op:
        batch_op.drop_index("ix_problem_events_happened_on")
