"""enterprise name_key: the folded name for duplicate checks and search, names kept as typed

Revision ID: 3d5f1a8c9e27
Revises: 7c3a9e51d2b4
Create Date: 2026-12-02 09:15:00.000000

"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3d5f1a8c9e27'
down_revision = '7c3a9e51d2b4'
branch_labels = None
depends_on = None


def _fold(value):
    # Same rule as fold_key in crm/services/common/creditcode.py (migrations do not import services).
    return "".join(unicodedata.normalize("NFKC", value or "").casefold().split())


def upgrade():
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.String(length=200), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_enterprises_name_key'), ['name_key'], unique=False)

    firms = sa.table('enterprises', sa.column('id', sa.Integer), sa.column('name', sa.String), sa.column('name_key', sa.String))
    bind = op.get_bind()
    rows = bind.execute(sa.select(firms.c.id, firms.c.name)).all()
    for firm_id, name in rows:
        bind.execute(firms.update().where(firms.c.id == firm_id).values(name_key=_fold(name)))


def downgrade():
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprises_name_key'))
        batch_op.drop_column('name_key')
