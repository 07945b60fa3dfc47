"""problems: the warning date (黄色预警) of each deadline and of the nearest one

Revision ID: 5e1d7a93c4b8
Revises: 3d5f1a8c9e27
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1d7a93c4b8'
down_revision = '3d5f1a8c9e27'
branch_labels = None
depends_on = None


def upgrade():
    # Existing deadlines keep NULL warning dates: they fall back to the old "within warn_days
    # working days" rule (the dates need the working-day calendar, which a migration has not got).
    with op.batch_alter_table('problems', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_warn_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('feedback_warn_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('progress_warn_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('due_warn_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('next_warn_on', sa.Date(), nullable=True))
        batch_op.create_index('ix_problems_status_next_warn', ['status', 'next_warn_on'], unique=False)


def downgrade():
    with op.batch_alter_table('problems', schema=None) as batch_op:
        batch_op.drop_index('ix_problems_status_next_warn')
        batch_op.drop_column('next_warn_on')
        batch_op.drop_column('due_warn_on')
        batch_op.drop_column('progress_warn_on')
        batch_op.drop_column('feedback_warn_on')
        batch_op.drop_column('sign_warn_on')
