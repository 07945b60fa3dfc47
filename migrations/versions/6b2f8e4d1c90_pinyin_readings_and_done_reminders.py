"""Search by every reading of a firm name (enterprises.name_pinyin: initials and full pinyin for each
combination of the readings of its polyphones, bounded), filled for the firms on file; reminders that
are done (notifications.done_at, done_note: what settled them).

Revision ID: 6b2f8e4d1c90
Revises: 9d41c6b2e7f5
Create Date: 2026-12-02 12:30:00

"""

import heapq
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = "6b2f8e4d1c90"
down_revision = "9d41c6b2e7f5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_pinyin", sa.Text(), server_default="", nullable=False))
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("done_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("done_note", sa.String(length=200), nullable=True))

    firms = sa.table(
        "enterprises",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("name_pinyin", sa.Text),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(firms.c.id, firms.c.name)).all()
    for firm_id, name in rows:
        bind.execute(firms.update().where(firms.c.id == firm_id).values(name_pinyin=_search_pinyin(name)))


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("done_note")
        batch_op.drop_column("done_at")
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_column("name_pinyin")


# The rule of crm/services/common/pinyin.py search_pinyin() as of this revision (migrations do not import
# services: the service may change without changing what this migration did). A later change of the
# rule refreshes the column through the service (any rename rewrites it).
MAX_INITIALS, MAX_FULL, MAX_CHARS = 16, 8, 2000


def _readings(name):
    from pypinyin import Style, pinyin

    text = unicodedata.normalize("NFKC", name or "")
    out = []
    for options in pinyin(text, style=Style.NORMAL, heteronym=True, errors=lambda chars: list(chars)):
        kept = list(dict.fromkeys(o.lower() for o in options if o and not o.isspace()))
        if kept:
            out.append(kept)
    return out


def _combinations(options, limit):
    varying = [i for i, opts in enumerate(options) if len(opts) > 1]
    seen, start = [], (0,) * len(varying)
    heap, queued, pops = [(0, 0, start)], {start}, 0
    while heap and len(seen) < limit and pops < limit * 8:
        pops += 1
        _changed, _total, ranks = heapq.heappop(heap)
        chosen = [opts[0] for opts in options]
        for pos, rank in zip(varying, ranks, strict=True):
            chosen[pos] = options[pos][rank]
        text = "".join(chosen)
        if text not in seen:
            seen.append(text)
        for j, rank in enumerate(ranks):
            if rank + 1 < len(options[varying[j]]):
                nxt = ranks[:j] + (rank + 1,) + ranks[j + 1 :]
                if nxt not in queued:
                    queued.add(nxt)
                    heapq.heappush(heap, (sum(1 for r in nxt if r), sum(nxt), nxt))
    return seen


def _search_pinyin(name):
    readings = _readings(name)
    letters = [list(dict.fromkeys(r[0] for r in options)) for options in readings]
    out, size = [], 0
    for text in dict.fromkeys([*_combinations(letters, MAX_INITIALS), *_combinations(readings, MAX_FULL)]):
        size += len(text) + 1
        if size > MAX_CHARS + 1:
            break
        out.append(text)
    return " ".join(out)
