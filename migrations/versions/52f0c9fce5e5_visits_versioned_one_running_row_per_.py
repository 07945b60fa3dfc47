"""visits versioned, one running row per job, channel secrets out of settings

- visits.version: the visit edit form carries its version like the firm and list forms (optimistic
  locking); existing visits start at 1.
- uq_job_runs_running_job: at most one 'running' heartbeat row per job, the job's lock. Rows left
  'running' by a process that died would break the index: all but the newest of each job are marked
  failed first.
- The SMTP password, the robots' webhook addresses and DingTalk's signing secret now come from
  environment variables only: they are removed from the stored channel settings (not restored on
  downgrade: set them again on the 通知渠道 page of the older version).

Revision ID: 52f0c9fce5e5
Revises: 1e5838ac3500
Create Date: 2026-12-02 07:47:46.631598

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '52f0c9fce5e5'
down_revision = '1e5838ac3500'
branch_labels = None
depends_on = None

RUNNING = "status = 'running'"
SECRETS = (("email", "password"), ("wecom", "webhook"), ("dingtalk", "webhook"), ("dingtalk", "secret"))


def upgrade():
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))

    op.execute(
        "UPDATE job_runs SET status = 'failed', error = '运行中断：所在进程已退出' "
        "WHERE status = 'running' AND id NOT IN "
        "(SELECT MAX(id) FROM job_runs WHERE status = 'running' GROUP BY job)"
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index(
            'uq_job_runs_running_job', ['job'], unique=True,
            sqlite_where=sa.text(RUNNING), postgresql_where=sa.text(RUNNING),
        )

    settings = sa.table('settings', sa.column('key', sa.String), sa.column('value', sa.JSON))
    bind = op.get_bind()
    value = bind.execute(sa.select(settings.c.value).where(settings.c.key == 'channels')).scalar()
    if isinstance(value, dict):
        kept = {k: (dict(v) if isinstance(v, dict) else v) for k, v in value.items()}
        for channel, key in SECRETS:
            if isinstance(kept.get(channel), dict):
                kept[channel].pop(key, None)
        if kept != value:
            bind.execute(settings.update().where(settings.c.key == 'channels').values(value=kept))


def downgrade():
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index(
            'uq_job_runs_running_job', sqlite_where=sa.text(RUNNING), postgresql_where=sa.text(RUNNING)
        )

    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_column('version')
