"""An open month's workbook takes the month before from that month's close once it is closed: the 上月
column, 四张清单变化 and 热点分析 show exactly what they showed while the month before was open, and
only the few kinds they need are read from that close, each when first asked."""

from datetime import date

import pytest

from crm.reporting.monthly import snapshot
from tests.support.month_close import cells, close, differences
from tests.support.reports import report_world

TODAY = date(2026, 11, 2)  # October is still open (its close day is the 4th)


@pytest.fixture()
def w(db):
    world = report_world()
    db.session.commit()
    return world


def test_the_month_before_closed_changes_no_cell_and_reads_few_kinds(db, w, monkeypatch):
    scopes = {"A": w.park_a, "B": w.park_b, "all": None}
    live = {key: cells(park, today=TODAY) for key, park in scopes.items()}
    assert live["A"]["汇总"][0][0] == "甲园区2026年10月联企服务月报（初稿）"
    visits = next(row for row in live["all"]["汇总"] if row[0] == "走访次数合计")
    assert visits[2] > 0  # the 上月 column has September's figures to keep
    close("2026-09", today=TODAY)

    reads: list[tuple] = []
    read = snapshot.read_snapshot_texts

    def spy(close_id, park_id=None, kind=None):
        reads.append((park_id, kind))
        return read(close_id, park_id, kind)

    monkeypatch.setattr(snapshot, "read_snapshot_texts", spy)
    for key, park in scopes.items():
        assert differences(live[key], cells(park, today=TODAY)) == [], key
    assert reads and all(kind is not None for _park, kind in reads)  # never the whole close at once
    assert {kind for _park, kind in reads} == {"summary", "lists", "hotspot_raised"}
