"""import_tasks: large import files queued from the import page and imported by the imports job

Revision ID: 7c3a9e51d2b4
Revises: 52f0c9fce5e5
Create Date: 2026-12-02 09:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3a9e51d2b4'
down_revision = '52f0c9fce5e5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'import_tasks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('stage', sa.String(length=200), nullable=False),
        sa.Column('include_hidden', sa.Boolean(), nullable=False),
        sa.Column('rows_total', sa.Integer(), nullable=False),
        sa.Column('rows_checked', sa.Integer(), nullable=False),
        sa.Column('created', sa.Integer(), nullable=False),
        sa.Column('updated', sa.Integer(), nullable=False),
        sa.Column('summary', sa.String(length=500), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_import_tasks_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_tasks')),
        sa.UniqueConstraint('token', name=op.f('uq_import_tasks_token')),
    )
    with op.batch_alter_table('import_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_tasks_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_tasks_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_tasks_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('import_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_tasks_status'))
        batch_op.drop_index(batch_op.f('ix_import_tasks_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_import_tasks_created_at'))

    op.drop_table('import_tasks')
