"""热点分析 read live (crm.services.knowledge.hotspots): every block against the hand-worked world of
tests/support/hotspots.py (September and October 2026)."""

import pytest

from crm.extensions import db
from crm.models.knowledge import TypicalCase
from crm.services.knowledge.hotspot_figures import Trend, change_percent
from crm.services.knowledge.hotspots import month_hotspots
from tests.support.factories import make_enterprise
from tests.support.hotspots import d, hotspot_world, raise_on


@pytest.fixture()
def w(db):
    return hotspot_world()


def october(park=None):
    return month_hotspots(d(10, 1), d(10, 31), park.id if park is not None else None)


def rows(group):
    return [(t.key, t.count, t.previous, t.change, t.change_label) for t in group.rows]


def by_name(groups):
    return {(g.kind, g.name): g for g in groups}


def test_top_categories_by_park_and_chain_with_last_month(w):
    h = october()
    assert (h.raised, h.previous_raised) == (6, 3)
    groups = by_name(h.categories)
    assert list(groups) == [
        ("all", "全部园区"),
        ("park", "甲园区"),
        ("park", "乙园区"),
        ("chain", "装备制造"),
        ("chain", "医药化工"),
    ]
    assert rows(groups[("all", "全部园区")]) == [
        ("finance", 2, 2, 0, "+0.0%"),
        ("utilities", 2, 0, 2, "新增"),
        ("land", 1, 0, 1, "新增"),
        ("technology", 1, 0, 1, "新增"),
        ("labour", 0, 1, -1, "-100.0%"),
    ]
    assert rows(groups[("park", "甲园区")])[0] == ("finance", 1, 2, -1, "-50.0%")
    assert rows(groups[("chain", "装备制造")]) == [
        ("finance", 2, 1, 1, "+100.0%"),
        ("utilities", 2, 0, 2, "新增"),
        ("labour", 0, 1, -1, "-100.0%"),
    ]
    assert groups[("chain", "医药化工")].total == 2 and groups[("chain", "医药化工")].previous_total == 1


def test_a_parks_figures_hold_only_its_firms(w):
    h = october(w.park_b)
    assert [g.kind for g in h.categories] == ["all", "chain"]  # no per-park split inside one park
    assert rows(h.categories[0]) == [
        ("finance", 1, 0, 1, "新增"),
        ("utilities", 1, 0, 1, "新增"),
        ("labour", 0, 1, -1, "-100.0%"),
    ]
    assert [r.problem_id for r in h.repeats] == [w.o4.id]
    assert [(x.name, x.redos, x.resolved) for x in h.departments] == [("供电公司", 0, 1)]
    assert h.answered.raised == 2 and [f.problem_id for f in h.answered.from_problem] == [w.o5.id]
    assert h.answered.from_case == []


def test_top_terms_count_problems_not_occurrences(w):
    groups = by_name(october().terms)
    top = {t.key: (t.count, t.previous) for t in groups[("all", "全部园区")].rows}
    # 贷款 is twice in o6's title (and again in its description): one problem, one count; s1 last month.
    assert top["贷款"] == (2, 1)
    assert top["融资"] == (2, 2)  # o5, o6; s1, s2
    assert top["用电"] == (2, 0) and top["增容"] == (2, 0)
    assert "企业" not in top and "问题" not in top  # stop words of the shared tokenizer
    first = groups[("all", "全部园区")].rows[:4]
    assert {t.key for t in first} == {"用电", "增容", "融资", "贷款"}  # the four counted in two problems
    chain = {t.key: (t.count, t.previous) for t in groups[("chain", "装备制造")].rows}
    assert chain["贷款"] == (2, 1) and "用地" not in chain
    assert len(groups[("park", "甲园区")].rows) == 10  # per park and chain: the top ten


def test_repeat_within_90_days_is_listed_and_at_91_is_not(w):
    repeats = october().repeats
    assert [(r.firm_name, r.problem_id, r.earlier_id, r.earlier_done_on, r.days) for r in repeats] == [
        ("甲一机械有限公司", w.o1.id, w.e1.id, d(8, 10), 63),
        ("乙三装备有限公司", w.o4.id, w.e3.id, d(7, 14), 90),
    ]
    assert w.o3.id not in {r.problem_id for r in repeats}  # e2 was resolved 91 days before o3


def test_repeat_needs_the_same_category_and_lists_the_latest_earlier_one(w):
    # Another 用电 trouble of f3 filed as 其他: not the same category, so not a repeat of anything.
    other = raise_on(w.f3, w.cadre_b, "用电增容", "other", d(10, 28))
    # A second 水电气要素 problem of f1 in October: its latest earlier one is o1 (resolved 10-21), not e1.
    again = raise_on(w.f1, w.cadre_a, "电费", "utilities", d(10, 29))
    db.session.commit()
    repeats = {r.problem_id: r for r in october().repeats}
    assert other.id not in repeats
    assert (repeats[again.id].earlier_id, repeats[again.id].days) == (w.o1.id, 8)


def test_slowest_categories_by_average_working_days(w):
    h = october()
    assert [(s.category, s.resolved, s.workdays, s.average) for s in h.slowest] == [
        ("land", 1, 9, 9.0),  # o3: dispatched Mon 10-12, resolved Fri 10-23
        ("utilities", 2, 9, 4.5),  # o1 7 (to its second resolution, 10-21) + o4 2
    ]
    assert (h.slowest_total.resolved, h.slowest_total.workdays, h.slowest_total.average) == (3, 18, 6.0)


def test_redo_rate_per_department(w):
    h = october()
    assert [(x.name, x.redos, x.resolved, x.rate) for x in h.departments] == [
        ("供电公司", 1, 2, 50.0),
        ("人社局", 0, 1, 0.0),
    ]
    assert (h.departments_total.redos, h.departments_total.resolved, h.departments_total.rate) == (1, 3, 33.3)
    park_a = october(w.park_a)
    assert [(x.name, x.redos, x.resolved, x.rate) for x in park_a.departments] == [
        ("供电公司", 1, 1, 100.0),
        ("人社局", 0, 1, 0.0),
    ]


def test_answers_from_the_case_library_split_by_source(w):
    a = october().answered
    assert (a.raised, a.answered, a.rate) == (6, 2, 33.3)
    assert [f.problem_id for f in a.from_case] == [w.o2.id]
    assert [f.problem_id for f in a.from_problem] == [w.o5.id]
    # A withdrawn case no longer counts as a 典型案例.
    case = db.session.query(TypicalCase).one()
    case.status = "withdrawn"
    db.session.commit()
    a = october().answered
    assert a.from_case == [] and [f.problem_id for f in a.from_problem] == [w.o2.id, w.o5.id]


def test_change_in_percent():
    assert change_percent(3, 2) == 50.0
    assert change_percent(1, 3) == -66.7
    assert change_percent(5, 0) is None
    assert Trend("x", "x", 4, 0).change_label == "新增"
    assert Trend("x", "x", 0, 0).change_label == "—"
    assert Trend("x", "x", 1, 8).change_label == "-87.5%"


def test_a_month_without_problems(db):
    h = month_hotspots(d(10, 1), d(10, 31))
    assert h.raised == 0 and h.repeats == [] and h.slowest == [] and h.departments == []
    assert h.answered.rate is None and h.slowest_total.average is None
    assert [g.kind for g in h.categories] == ["all"] and h.categories[0].rows == []


def test_constant_queries_whatever_the_number_of_problems(w, count_queries):
    with count_queries() as small:
        october()
    for n in range(12):
        firm = make_enterprise(w.park_a, cadre=w.cadre_a, chain=w.c2, assigned_by=w.admin)
        raise_on(firm, w.cadre_a, f"用工需求{n}", "labour", d(10, 5 + n))
    db.session.commit()
    with count_queries() as large:
        h = october()
    assert h.raised == 18
    assert large.count == small.count <= 10
