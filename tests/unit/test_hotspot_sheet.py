"""The monthly workbook's 热点分析 sheet: the same figures as the live analysis while the month is open, its
definitions written on it, the 指标说明 rows of 重办率 and 案例库解答率, and frozen by the month close."""

from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from crm.extensions import db
from crm.reporting.monthly.hotspots import hotspots_of
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.writer import SHEETS, monthly_workbook
from crm.services.enterprises.registry import update_enterprise
from crm.services.knowledge.hotspots import month_hotspots
from tests.support.hotspots import d, hotspot_world, raise_on
from tests.support.month_close import OCTOBER_CLOSE_DAY, close
from tests.support.problems import step


@pytest.fixture()
def w(db):
    return hotspot_world()


def sheet_rows(park=None, month="2026-10", today=OCTOBER_CLOSE_DAY) -> list[tuple]:
    data = monthly_workbook(ReportScope(park), Period.parse(month, today))
    wb = load_workbook(BytesIO(data.getvalue()))
    assert wb.sheetnames == SHEETS and "热点分析" in SHEETS
    rows = wb["热点分析"].iter_rows(values_only=True)
    return [tuple(v.date() if isinstance(v, datetime) else v for v in row) for row in rows], wb


def block(rows: list[tuple], title: str) -> list[tuple]:
    """The data rows of a block: after its title and header, up to its definition line."""
    start = next(i for i, row in enumerate(rows) if row[0] and str(row[0]).startswith(title))
    out = []
    for row in rows[start + 2 :]:
        if row[0] is None or (row[1] is None and len(str(row[0])) > 40):  # blank row or definition line
            break
        out.append(row)
    return out


def trimmed(rows: list[tuple], width: int) -> list[tuple]:
    return [row[:width] for row in rows]


def test_the_sheet_shows_the_live_figures_and_their_definitions(w):
    rows, wb = sheet_rows()
    live = month_hotspots(d(10, 1), d(10, 31))
    assert rows[0][0] == "全部园区2026年10月联企服务月报·热点分析"
    categories = trimmed(block(rows, "一、"), 6)
    assert categories[:5] == [
        ("全部园区", "融资", 2, 2, 0, 0),
        ("全部园区", "水电气要素", 2, 0, 2, "新增"),
        ("全部园区", "用地", 1, 0, 1, "新增"),
        ("全部园区", "技术", 1, 0, 1, "新增"),
        ("全部园区", "用工", 0, 1, -1, -1),
    ]
    shown = {(r[0], r[1]): r[2:4] for r in categories}
    for g in live.categories:
        scope = g.name if g.kind == "all" else f"{'园区' if g.kind == 'park' else '产业链'}：{g.name}"
        for t in g.rows:
            assert shown[(scope, t.label)] == (t.count, t.previous)
    terms = {(r[0], r[1]): r[2:4] for r in block(rows, "二、")}
    assert terms[("全部园区", "贷款")] == (2, 1) and terms[("产业链：装备制造", "用电")] == (2, 0)
    assert trimmed(block(rows, "三、"), 6) == [
        (
            "甲一机械有限公司",
            f"用电增容（#{w.o1.id}）",
            d(10, 12),
            f"供电容量不足（#{w.e1.id}）",
            d(8, 10),
            63,
        ),
        (
            "乙三装备有限公司",
            f"用电增容变电（#{w.o4.id}）",
            d(10, 12),
            f"电压不稳（#{w.e3.id}）",
            d(7, 14),
            90,
        ),
    ]
    assert trimmed(block(rows, "四、"), 4) == [
        ("用地", 1, 9, 9.0),
        ("水电气要素", 2, 9, 4.5),
        ("合计", 3, 18, 6.0),
    ]
    assert trimmed(block(rows, "五、"), 4) == [
        ("供电公司", 1, 2, 0.5),
        ("人社局", 0, 1, 0.0),
        ("合计", 1, 3, 0.333),
    ]
    answered = trimmed(block(rows, "六、"), 3)
    assert answered[:4] == [
        ("本月提出的问题", 6, None),
        ("引用典型案例答复", 1, 0.167),
        ("引用以往问题答复", 1, 0.167),
        ("案例库解答合计", 2, 0.333),
    ]
    assert answered[4:] == [
        ("引用典型案例", f"技术改造研发合作（#{w.o2.id}）", f"所引用问题 #{w.cp.id}"),
        ("引用以往问题", f"融资贷款（#{w.o5.id}）", f"所引用问题 #{w.s1.id}"),
    ]
    text = "\n".join(str(r[0]) for r in rows if r[0])
    assert "同一类别" in text and "文档频次" in text and "重办率 = " in text and "平均办结工作日 = " in text
    # 指标说明: the two definitions with this month's counts.
    definitions = {r[0]: r for r in wb["指标说明"].iter_rows(values_only=True) if r[0]}
    assert definitions["重办率"][5:] == (1, 3, 0.333)
    assert definitions["案例库解答率"][5:] == (2, 6, 0.333)


def test_a_parks_sheet_is_its_own(w):
    rows, _wb = sheet_rows(w.park_a)
    scopes = {r[0] for r in block(rows, "一、")}
    assert scopes == {"甲园区", "产业链：装备制造", "产业链：医药化工"}
    assert [r[0] for r in block(rows, "三、")] == ["甲一机械有限公司"]
    assert trimmed(block(rows, "五、"), 4) == [
        ("供电公司", 1, 1, 1.0),
        ("人社局", 0, 1, 0.0),
        ("合计", 1, 2, 0.5),
    ]


def later_activity(w) -> None:
    """November: new problems, a 重办 of an October problem, f3 moved to 医药化工, o6's category edited."""
    nov = date(2026, 11, 3)
    raise_on(w.f1, w.cadre_a, "用电增容二期", "utilities", nov)
    raise_on(w.f3, w.cadre_b, "用工培训", "labour", nov)
    step(w.o4, "evaluate", w.cadre_b, nov, evaluation="unsatisfied", note="仍不满意")
    update_enterprise(w.f3, {"chain_id": w.c2.id}, w.admin)
    w.o6.category = "other"
    db.session.commit()


def test_closing_the_month_freezes_the_sheet(w):
    before, _ = sheet_rows()
    before_a, _ = sheet_rows(w.park_a)
    close()
    closed, _ = sheet_rows()
    assert closed == before
    later_activity(w)
    after, _ = sheet_rows()
    after_a, _ = sheet_rows(w.park_a)
    assert after == closed and after_a == before_a
    # The page reads the same frozen facts.
    frozen, close_row = hotspots_of(Period.parse("2026-10", OCTOBER_CLOSE_DAY), None, "全部园区")
    assert close_row is not None
    assert [(t.key, t.count) for t in frozen.categories[0].rows][:2] == [("finance", 2), ("utilities", 2)]
    # … while October read live has moved (the test would catch a sheet that read live) …
    live = month_hotspots(d(10, 1), d(10, 31))
    assert [(t.key, t.count) for t in live.categories[0].rows if t.key == "finance"] == [("finance", 1)]
    assert [x.redos for x in live.departments if x.name == "供电公司"] == [
        1
    ]  # November's 重办 is not October's
    # … and November, open, moves with the new activity; its 上月 is October as frozen.
    november, close_row = hotspots_of(Period.parse("2026-11", OCTOBER_CLOSE_DAY), None, "全部园区")
    assert close_row is None
    rows = {t.key: (t.count, t.previous) for t in november.categories[0].rows}
    assert rows["utilities"] == (1, 2) and rows["labour"] == (1, 0) and rows["finance"] == (0, 2)
    chains = {g.name: {t.key: t.count for t in g.rows} for g in november.categories if g.kind == "chain"}
    assert chains["医药化工"]["labour"] == 1  # f3's November problem in its new chain
    assert [(x.name, x.redos) for x in november.departments] == [("供电公司", 1)]
