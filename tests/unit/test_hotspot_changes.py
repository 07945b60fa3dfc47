"""变更对照 of 热点分析: a month closed, reopened (重新结账), changed and closed again lists exactly the
热点分析 figures that moved — category and word counts by group, repeat problems, the slowest categories,
the departments' 重办率 and the case-library answers — and nothing for the blocks that did not move.

The world is tests/support/hotspots.py's (甲园区: f1 装备制造, f2 医药化工; 乙园区: f3 装备制造); its October
is closed on its close day, then reopened on 11-05 and closed again as version 2.
"""

from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from crm.extensions import db
from crm.reporting.monthly.build import build_monthly_report
from crm.reporting.monthly.changes import figure_tables
from crm.reporting.monthly.close import close_month
from crm.reporting.monthly.hotspot_changes import (
    ANSWER_COLUMNS,
    CATEGORY_COLUMNS,
    REDO_COLUMNS,
    REPEAT_COLUMNS,
    SLOW_COLUMNS,
    TERM_COLUMNS,
)
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.writer import monthly_workbook
from crm.services.closing.store import reopen_month
from tests.support.hotspots import d, hotspot_world, raise_on
from tests.support.month_close import OCTOBER_CLOSE_DAY, cells, close
from tests.support.problems import step

NOV_5 = date(2026, 11, 5)
CATEGORIES, TERMS = "热点分析·问题类别排行", "热点分析·高频词"
REPEATS, SLOWEST = "热点分析·重复问题", "热点分析·办结最慢的问题类别"
REDOS, ANSWERS = "热点分析·各部门重办率", "热点分析·案例库解答"
TREND = ("范围", "本月问题数", "上月问题数", "环比（件）", "环比")

Listed = dict[tuple[str, str, str], tuple]


@pytest.fixture()
def w(db):
    return hotspot_world()


def closed_again(w, change) -> dict[str, Listed]:
    """October closed, reopened, changed and closed again: the 变更对照 of the city's, park A's and park
    B's version 2, as {(sheet, row, column): (第1版, 第2版)}."""
    close()
    reopen_month(w.admin, "2026-10", "补正十月的问题后重新结账", now=datetime(2026, 11, 5, 1, 0))
    db.session.commit()
    change(w)
    db.session.commit()
    second = close_month("2026-10", None, NOV_5, datetime(2026, 11, 5, 2, 0))
    db.session.commit()
    assert second.close.version == 2
    out = {}
    for key, park in (("all", None), ("A", w.park_a), ("B", w.park_b)):
        sheet = cells(park, today=NOV_5)["变更对照"]
        assert sheet[0] == ("工作表", "行", "列", "第1版", "第2版")
        out[key] = {(s, row, column): (v1, v2) for s, row, column, v1, v2 in sheet[1:]}
    return out


def hotspot(listed: Listed) -> Listed:
    return {key: values for key, values in listed.items() if key[0].startswith("热点分析")}


def others(listed: Listed) -> set[tuple[str, str, str]]:
    return {key for key in listed if not key[0].startswith("热点分析")}


def added(sheet: str, row: str, headers, values) -> Listed:
    """A row only version 2 has: every column from — to its value."""
    return {(sheet, row, h): ("—", v) for h, v in zip(headers, values, strict=True)}


def trend(sheet: str, scope: str, label: str, count: int, change: int, pct) -> Listed:
    """A new row of a trend block (last month had none: 环比 新增)."""
    first = "问题类别" if sheet == CATEGORIES else "热词"
    headers = (TREND[0], first, *TREND[1:])
    return added(sheet, f"{scope} {label}", headers, (scope, label, count, 0, change, pct))


def test_a_changed_category_lists_exactly_the_moved_category_rows(w):
    def change(w):  # o6 (f1, 甲园区, 装备制造): 融资 → 其他; its words stay the same
        w.o6.category = "other"

    listed = closed_again(w, change)
    city = listed["all"]
    assert others(city) == {("问题清单", f"问题{w.o6.id}", "问题类别")}
    # October's 融资: o5 (f3) and o6 (f1); September's: s1 (f1), s2 (f2). 装备制造 is f1 and f3.
    assert hotspot(city) == {
        (CATEGORIES, "全部园区 融资", "本月问题数"): (2, 1),
        (CATEGORIES, "全部园区 融资", "环比（件）"): (0, -1),
        (CATEGORIES, "全部园区 融资", "环比"): ("0.0%", "−50.0%"),
        **trend(CATEGORIES, "全部园区", "其他", 1, 1, "新增"),
        **trend(CATEGORIES, "园区：甲园区", "其他", 1, 1, "新增"),
        (CATEGORIES, "园区：甲园区 融资", "本月问题数"): (1, 0),
        (CATEGORIES, "园区：甲园区 融资", "环比（件）"): (-1, -2),
        (CATEGORIES, "园区：甲园区 融资", "环比"): ("−50.0%", "−100.0%"),
        (CATEGORIES, "产业链：装备制造 融资", "本月问题数"): (2, 1),
        (CATEGORIES, "产业链：装备制造 融资", "环比（件）"): (1, 0),
        (CATEGORIES, "产业链：装备制造 融资", "环比"): ("100.0%", "0.0%"),
        **trend(CATEGORIES, "产业链：装备制造", "其他", 1, 1, "新增"),
    }
    # Park A's report: its own scope (甲园区) and chains, only its firms; park B's did not move at all.
    park_a = hotspot(listed["A"])
    assert {row for _s, row, _c in park_a} == {
        "甲园区 融资",
        "甲园区 其他",
        "产业链：装备制造 融资",
        "产业链：装备制造 其他",
    }
    assert park_a[(CATEGORIES, "产业链：装备制造 融资", "本月问题数")] == (1, 0)  # o6 only (o5 is 乙园区's)
    assert listed["B"] == {("（无）", "与上一版相比没有数字变化", None): (None, None)}


def test_a_problem_raised_in_the_month_lists_its_words_its_repeat_and_its_case_answer(w):
    def change(w):  # f2 (甲园区, 医药化工) again about land, five days after o3 was resolved
        w.new = raise_on(w.f2, w.cadre_a, "用地指标二期", "land", d(10, 28))
        w.new.answered_from_id = w.cp.id  # answered on the spot from the published 典型案例

    listed = closed_again(w, change)
    n = w.new.id
    scopes = ("全部园区", "园区：甲园区", "产业链：医药化工")
    moved: Listed = {}
    for scope in scopes:
        moved[(CATEGORIES, f"{scope} 用地", "本月问题数")] = (1, 2)  # o3's, last month none: 新增 stays
        moved[(CATEGORIES, f"{scope} 用地", "环比（件）")] = (1, 2)
        for word in ("用地", "指标"):  # o3's words
            moved[(TERMS, f"{scope} {word}", "本月问题数")] = (1, 2)
            moved[(TERMS, f"{scope} {word}", "环比（件）")] = (1, 2)
        moved |= trend(TERMS, scope, "二期", 1, 1, "新增")
    # 甲园区 has 13 words in October, of which the top 10 are shown (by count, then word): 二期 enters
    # with 1 and pushes out the last of the 1s, 研发.
    moved |= {
        (TERMS, "园区：甲园区 研发", h): (v, "—")
        for h, v in zip(("范围", "热词", *TREND[1:]), ("园区：甲园区", "研发", 1, 0, 1, "新增"), strict=True)
    }
    moved |= added(
        REPEATS,
        f"问题{n}",
        [c.header for c in REPEAT_COLUMNS],
        (
            "甲二制药有限公司",
            f"用地指标二期（#{n}）",
            "2026-10-28",
            f"用地指标（#{w.o3.id}）",
            "2026-10-23",
            5,
            "用地",
        ),
    )
    moved |= {
        (ANSWERS, "本月提出的问题", "件数"): (6, 7),
        (ANSWERS, "引用典型案例答复", "件数"): (1, 2),
        (ANSWERS, "引用典型案例答复", "占本月提出"): ("16.7%", "28.6%"),
        (ANSWERS, "引用以往问题答复", "占本月提出"): ("16.7%", "14.3%"),  # still 1, of 7 now
        (ANSWERS, "案例库解答合计", "件数"): (2, 3),
        (ANSWERS, "案例库解答合计", "占本月提出"): ("33.3%", "42.9%"),
    }
    moved |= added(
        ANSWERS,
        f"引用典型案例 问题{n}",
        [c.header for c in ANSWER_COLUMNS],
        ("引用典型案例", f"用地指标二期（#{n}）", f"所引用问题 #{w.cp.id}"),
    )
    assert hotspot(listed["all"]) == moved
    assert ("问题清单", f"问题{n}", "问题标题") in others(listed["all"])
    # Park A lists the same rows under its own scope name; park B's 热点分析 did not move.
    park_a = hotspot(listed["A"])
    assert park_a[(CATEGORIES, "甲园区 用地", "本月问题数")] == (1, 2)
    assert park_a[(REPEATS, f"问题{n}", "相隔天数")] == ("—", 5)
    assert park_a[(ANSWERS, "引用典型案例答复", "占本月提出")] == ("25.0%", "40.0%")  # 1 of 4 → 2 of 5
    assert not any(s in (SLOWEST, REDOS) for s, _row, _c in park_a)
    assert hotspot(listed["B"]) == {}


def test_a_redo_lists_exactly_the_slowest_categories_and_the_redo_rates(w):
    def change(w):  # o4 (f3, 乙园区, 供电公司; resolved 10-15 in 2 working days) rated 不满意, resolved again
        step(w.o4, "evaluate", w.cadre_b, d(10, 27), evaluation="unsatisfied", note="仍不满意")
        step(w.o4, "resolve", w.h1, d(10, 29), note="已再次协调")

    listed = closed_again(w, change)
    # o4: dispatched 10-13, resolved 10-29 = 12 working days; with o1's 7 and o3's 9.
    expected = {
        (SLOWEST, "水电气要素", "办结工作日合计"): (9, 19),
        (SLOWEST, "水电气要素", "平均办结工作日"): (4.5, 9.5),
        (SLOWEST, "合计", "办结工作日合计"): (18, 28),
        (SLOWEST, "合计", "平均办结工作日"): (6, 9.3),
        (REDOS, "供电公司", "重办次数"): (1, 2),
        (REDOS, "供电公司", "重办率"): ("50.0%", "100.0%"),
        (REDOS, "合计", "重办次数"): (1, 2),
        (REDOS, "合计", "重办率"): ("33.3%", "66.7%"),
    }
    assert hotspot(listed["all"]) == expected
    assert ("汇总", "平均办结工作日", "本月") in others(listed["all"])  # the same count as 汇总's
    assert hotspot(listed["B"]) == {
        (SLOWEST, "水电气要素", "办结工作日合计"): (2, 12),
        (SLOWEST, "水电气要素", "平均办结工作日"): (2, 12),
        (SLOWEST, "合计", "办结工作日合计"): (2, 12),
        (SLOWEST, "合计", "平均办结工作日"): (2, 12),
        (REDOS, "供电公司", "重办次数"): (0, 1),
        (REDOS, "供电公司", "重办率"): ("0.0%", "100.0%"),
        (REDOS, "合计", "重办次数"): (0, 1),
        (REDOS, "合计", "重办率"): ("0.0%", "100.0%"),
    }
    assert hotspot(listed["A"]) == {}


def test_the_tables_are_the_sheets_blocks_with_its_headers_and_figures(w):
    period = Period.parse("2026-10", OCTOBER_CLOSE_DAY)
    close()
    tables = figure_tables(build_monthly_report(ReportScope(None), period))
    wb = load_workbook(BytesIO(monthly_workbook(ReportScope(None), period).getvalue()))
    rows = list(wb["热点分析"].iter_rows(values_only=True))
    blocks = (
        ("一、问题类别排行", CATEGORIES, CATEGORY_COLUMNS),
        ("二、高频词", TERMS, TERM_COLUMNS),
        ("三、重复问题", REPEATS, REPEAT_COLUMNS),
        ("四、办结最慢的问题类别", SLOWEST, SLOW_COLUMNS),
        ("五、各部门重办率", REDOS, REDO_COLUMNS),
        ("六、案例库解答", ANSWERS, ANSWER_COLUMNS),
    )
    for title, sheet, columns in blocks:
        at = next(i for i, row in enumerate(rows) if str(row[0]).startswith(title))
        headers = [c.header for c in columns]
        assert list(rows[at + 1][: len(headers)]) == headers, title
        assert sheet.endswith(title[2:]) and list(tables[sheet])  # named after the block, with rows
        for label, figures in tables[sheet].items():
            assert list(figures) == headers, (sheet, label)
    # The figures are the sheet's: its first category rows, and the tables' in the same order.
    first = [row[:6] for row in rows[5:10]]
    assert [tuple(v for v, _fmt in r.values()) for r in list(tables[CATEGORIES].values())[:5]] == first
    assert tables[SLOWEST]["合计"]["平均办结工作日"] == (6.0, "0.0")
    assert tables[REDOS]["供电公司"]["重办率"] == (0.5, "0.0%")
    assert list(tables[REPEATS]) == [f"问题{w.o1.id}", f"问题{w.o4.id}"]
    assert list(tables[ANSWERS])[4:] == [f"引用典型案例 问题{w.o2.id}", f"引用以往问题 问题{w.o5.id}"]
