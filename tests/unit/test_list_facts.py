"""四张清单 month on month: each firm's figures (collect_list_facts), the firm's twelve months and the
四张清单变化 sheet, against the hand-worked story of tests/support/list_facts.py."""

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from crm.models import ProductItem, SalesItem
from crm.reporting.monthly.close import close_month
from crm.reporting.monthly.firm_lists import (
    FrozenMonth,
    firm_list_history,
    firm_month_facts,
    last_months,
    totals,
)
from crm.reporting.monthly.list_changes import list_changes, sales_change
from crm.reporting.monthly.lists import COUNTED, FirmListFacts, collect_list_facts, utc_start_of
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.writer import SHEETS, monthly_workbook
from crm.services.enterprises.lists import delete_product
from crm.services.enterprises.registry import update_enterprise
from tests.support.dates import TODAY
from tests.support.factories import make_user
from tests.support.list_facts import EXPECTED, list_world

ZERO = dict.fromkeys(COUNTED, 0) | {"sales_amount": Decimal(0)}


@pytest.fixture()
def w(db):
    world = list_world()
    db.session.commit()
    return world


def month(text: str) -> Period:
    return Period.parse(text, TODAY)


def by_firm(rows: list[FirmListFacts]) -> dict[int, dict]:
    return {r.enterprise_id: asdict(r) for r in rows}


def expected(w, key: str, text: str) -> dict:
    firm = getattr(w, key)
    return (
        {"enterprise_id": firm.id, "park_id": firm.park_id, "chain_id": firm.chain_id}
        | ZERO
        | (EXPECTED[key][text])
    )


@pytest.mark.parametrize("text", ["2026-09", "2026-10", "2026-11"])
def test_every_figure_of_every_firm_matches_the_hand_worked_story(w, text):
    rows = by_firm(collect_list_facts(month(text)))
    want = {getattr(w, key).id: expected(w, key, text) for key in EXPECTED if text in EXPECTED[key]}
    assert rows == want
    assert w.f3.id not in rows  # a firm with nothing to report has no row


def test_month_edges_are_beijing_days(w):
    """P2 is stored on 09-30 UTC but put on the list at 00:30 on 10-01 in Beijing; P4 at midnight on
    11-01; a product retired on the month's last day is no longer active at its end."""
    assert utc_start_of(date(2026, 10, 1)).isoformat() == "2026-09-30T16:00:00"
    oct_f1 = by_firm(collect_list_facts(month("2026-10")))[w.f1.id]
    assert oct_f1["products_added"] == 2 and oct_f1["products"] == 4
    # Moving P3 one minute later takes it out of October.
    w.products["P3"].created_at = utc_start_of(date(2026, 11, 1))
    assert by_firm(collect_list_facts(month("2026-10")))[w.f1.id]["products_added"] == 1


def test_retiring_and_restoring_moves_the_active_count(w, db):
    p1 = w.products["P1"]
    p1.retired_on = date(2026, 10, 15)
    db.session.flush()
    october = by_firm(collect_list_facts(month("2026-10")))[w.f1.id]
    assert (october["products"], october["products_retired"]) == (3, 2)
    assert by_firm(collect_list_facts(month("2026-09")))[w.f1.id]["products"] == 3  # September unchanged
    p1.retired_on = None
    db.session.flush()
    assert by_firm(collect_list_facts(month("2026-10")))[w.f1.id]["products"] == 4


def test_park_scope_keeps_to_the_park(w):
    rows = collect_list_facts(month("2026-10"), ReportScope(w.park_b))
    assert [r.enterprise_id for r in rows] == [w.g1.id]
    assert {r.park_id for r in collect_list_facts(month("2026-09"), ReportScope(w.park_a))} == {w.park_a.id}


def test_a_whole_city_costs_four_queries(w, db, count_queries):
    with count_queries() as q:
        collect_list_facts(month("2026-10"))
    assert q.count == 4


def test_sales_change():
    assert sales_change(Decimal("150.25"), Decimal("120.50")) == pytest.approx(29.75 / 120.5)
    assert sales_change(Decimal(0), Decimal("80")) == -1.0
    assert sales_change(Decimal(5), Decimal(0)) is None


# ---- the firm's twelve months (its own Python arithmetic must agree with the grouped SQL)


def test_firm_months_agree_with_the_city_figures(w):
    periods = last_months(TODAY, 6)
    assert [p.month for p in periods] == ["2026-11", "2026-10", "2026-09", "2026-08", "2026-07", "2026-06"]
    for firm in (w.f1, w.f2, w.g1):
        mine = firm_month_facts(firm, periods)
        for p in periods:
            city = {r.enterprise_id: r for r in collect_list_facts(p)}
            want = city.get(firm.id) or FirmListFacts(firm.id, firm.park_id, firm.chain_id)
            assert asdict(mine[p.month]) == asdict(want), (firm.name, p.month)


def test_firm_history_newest_first_with_last_months_sales(w, db, count_queries):
    assert w.f1.created_at  # the firm itself is loaded (the page has it already)
    with count_queries() as q:
        rows = firm_list_history(w.f1, TODAY)
    assert q.count == 5  # the firm's items (4) and which months are closed (none)
    # The firm was put on file in June: the empty months before it are left out.
    assert [r.period.month for r in rows] == [
        "2026-11",
        "2026-10",
        "2026-09",
        "2026-08",
        "2026-07",
        "2026-06",
    ]
    nov, oct_, sep = rows[0], rows[1], rows[2]
    assert nov.period.is_running and not nov.closed
    assert (oct_.facts.sales_amount, oct_.sales_before) == (Decimal("150.25"), Decimal("120.50"))
    assert oct_.sales_change == pytest.approx(29.75 / 120.5)
    assert nov.sales_change is None and sep.sales_change is None  # November's sales are not in yet
    assert totals(rows) == {
        "products_added": 7,  # P5 P6 P7 in July, P1 in August, P2 P3 in October, P4 in November
        "products_retired": 3,
        "sales_amount": Decimal("270.75"),
        "tech_opened": 3,
        "tech_met": 2,
        "problems_opened": 4,
        "problems_closed": 3,
    }


def test_a_closed_months_frozen_row_replaces_its_live_figures(w):
    frozen = {
        "2026-10": FrozenMonth(
            FirmListFacts(w.f1.id, w.park_a.id, w.chain.id, products=9, sales_amount=Decimal("99")),
            before=FirmListFacts(w.f1.id, w.park_a.id, w.chain.id, sales_amount=Decimal("33")),
        ),
        "2026-09": FrozenMonth(),  # the firm had no row that month: all zero
    }
    rows = {r.period.month: r for r in firm_list_history(w.f1, TODAY, frozen=frozen)}
    assert rows["2026-10"].closed and rows["2026-10"].facts.products == 9
    assert rows["2026-10"].sales_before == Decimal("33")  # the close's own copy of September
    assert rows["2026-09"].closed and rows["2026-09"].facts.is_empty and rows["2026-09"].sales_before == 0
    assert rows["2026-11"].sales_before == Decimal("99")  # an open month against October as closed
    assert not rows["2026-11"].closed and rows["2026-11"].facts.products == 4


def test_closed_months_never_move(w, db, count_queries):
    """After 月结, a later deletion changes the live figures of the month but not the closed month's tab
    rows or sheet; the open month after it compares with the frozen month."""
    before_close = list_changes(ReportScope(w.park_a), month("2026-10"))
    close_month("2026-09", None, TODAY)
    close_month("2026-10", None, TODAY)
    db.session.commit()
    delete_product(w.products["P2"], w.c1, w.products["P2"].version)  # a mistaken entry, put on in October
    db.session.commit()
    assert by_firm(collect_list_facts(month("2026-10")))[w.f1.id]["products"] == 3  # live moved
    assert list_changes(ReportScope(w.park_a), month("2026-10")) == before_close
    assert w.f1.created_at
    with count_queries() as q:
        rows = {r.period.month: r for r in firm_list_history(w.f1, TODAY)}
    assert q.count == 7  # the firm's items (4), which months are closed, its parks, its frozen rows
    october = rows["2026-10"]
    assert october.closed and rows["2026-09"].closed and not rows["2026-11"].closed
    assert asdict(october.facts) == expected(w, "f1", "2026-10")
    assert october.sales_before == Decimal("120.50")
    assert rows["2026-11"].facts.products == 3 and rows["2026-11"].sales_before == Decimal("150.25")

    # Moved to park B afterwards: the closed months still find the rows kept under park A.
    update_enterprise(w.f1, {"park_id": w.park_b.id}, make_user("admin"))
    db.session.commit()
    moved = {r.period.month: r for r in firm_list_history(w.f1, TODAY)}
    frozen_october = expected(w, "f1", "2026-10") | {"park_id": w.park_a.id}  # its park then
    assert asdict(moved["2026-10"].facts) == frozen_october
    assert moved["2026-09"].facts.products == 3 and moved["2026-11"].facts.park_id == w.park_b.id


# ---- the 四张清单变化 figures and sheet


def test_changes_per_park_and_firm(w):
    changes = list_changes(ReportScope(w.park_a), month("2026-10"))
    assert changes.total is None
    [park] = changes.parks
    assert (park.name, park.firms, park.products, park.products_added, park.products_retired) == (
        "甲园区",
        1,
        4,
        2,
        1,
    )
    assert (park.sales, park.sales_before) == (Decimal("150.25"), Decimal("200.50"))
    assert park.sales_change == pytest.approx((150.25 - 200.5) / 200.5)
    assert (park.tech_opened, park.tech_met, park.tech_open) == (2, 1, 2)
    assert (park.problems_opened, park.problems_closed, park.problems_open) == (2, 2, 1)
    # f2 only sold in September (a change to nothing); f3 has nothing: by pinyin, 安源 before 湘潭.
    assert [(f.name, f.park) for f in changes.firms] == [
        ("安源化工有限公司", "甲园区"),
        ("湘潭电机有限公司", "甲园区"),
    ]
    f2 = changes.firms[0]
    assert (f2.sales, f2.sales_before, f2.sales_change, f2.products) == (0, Decimal("80.00"), -1.0, 0)


def test_city_changes_have_every_park_and_a_total(w):
    changes = list_changes(ReportScope(), month("2026-10"))
    assert [p.name for p in changes.parks] == ["甲园区", "乙园区"]
    total = changes.total
    assert (total.firms, total.products, total.products_added, total.sales, total.sales_before) == (
        2,
        5,
        3,
        Decimal("150.25"),
        Decimal("200.50"),
    )
    assert [f.name for f in changes.firms] == ["安源化工有限公司", "湘潭电机有限公司", "乙园区新材料有限公司"]


def _sheet(w, scope, text="2026-10"):
    wb = load_workbook(BytesIO(monthly_workbook(scope, month(text)).getvalue()))
    return wb, wb["四张清单变化"]


def test_the_sheet_cells(w):
    wb, ws = _sheet(w, ReportScope(w.park_a))
    assert wb.sheetnames == SHEETS and SHEETS.index("四张清单变化") == SHEETS.index("产业链") + 1
    assert ws["A1"].value == "甲园区2026年10月四张清单变化"
    assert "对比：2026年9月" in ws["A2"].value
    assert ws["A4"].value == "一、各园区汇总"
    assert [c.value for c in ws[5]] == [
        "园区",
        "有清单企业",
        "在产产品",
        "本月新增产品",
        "本月停产/下架",
        "本月销售额（万元）",
        "上月销售额（万元）",
        "销售额环比",
        "新增技术需求",
        "解决技术需求",
        "月末待解决技术需求",
        "新增问题",
        "销号问题",
        "月末在办问题",
    ]
    assert [c.value for c in ws[6]] == [
        "甲园区",
        1,
        4,
        2,
        1,
        150.25,
        200.5,
        pytest.approx(-0.25062, abs=1e-5),
    ] + [
        2,
        1,
        2,
        2,
        2,
        1,
    ]
    assert ws["F6"].number_format == "#,##0.00" and ws["H6"].number_format == "+0.0%;-0.0%;0.0%"
    assert ws["A8"].value.startswith("二、企业明细")
    assert [c.value for c in ws[9]][:2] == ["企业名称", "所属园区"]
    assert [c.value for c in ws[10]] == ["安源化工有限公司", "甲园区", 0, 0, 0, 0, 80, -1] + [0] * 6
    assert [c.value for c in ws[11]] == ["湘潭电机有限公司", "甲园区", 4, 2, 1, 150.25, 120.5] + [
        pytest.approx(29.75 / 120.5),
        2,
        1,
        2,
        2,
        2,
        1,
    ]
    assert ws.freeze_panes == "B10" and ws.auto_filter.ref == "A9:N11"
    assert ws[9][0].font.b and ws[9][0].fill.fgColor.rgb.endswith("2F5597")


def test_the_city_sheet_has_a_total_row(w):
    _wb, ws = _sheet(w, ReportScope())
    assert [ws.cell(row, 1).value for row in (6, 7, 8)] == ["甲园区", "乙园区", "合计"]
    assert ws["B8"].value == 2 and ws["C8"].value == 5 and ws["A8"].font.b
    assert ws["A11"].value == "企业名称" and ws.freeze_panes == "B12"
    assert [ws.cell(row, 1).value for row in (12, 13, 14)] == [
        "安源化工有限公司",
        "湘潭电机有限公司",
        "乙园区新材料有限公司",
    ]


def test_a_month_without_changes_says_so(w, db):
    _wb, ws = _sheet(w, ReportScope(w.park_b), "2026-09")
    assert [c.value for c in ws[6]][:3] == ["乙园区", 0, 0]
    assert ws["A10"].value == "本月没有企业的清单发生变化。"


def test_hostile_names_are_written_as_text(w, db):
    w.f2.name = '=HYPERLINK("http://x","y")\x07'
    db.session.commit()
    _wb, ws = _sheet(w, ReportScope(w.park_a))
    cell = ws["A10"]
    assert cell.data_type == "s" and not cell.value.startswith("=") and "\x07" not in cell.value


def test_the_sheet_costs_the_same_queries_however_big_the_city(w, db, count_queries):
    def measure():
        with count_queries() as q:
            list_changes(ReportScope(), month("2026-10"))
        return q.count

    few = measure()
    for i in range(40):
        db.session.add(ProductItem(enterprise_id=w.f3.id, name=f"批量产品{i}"))
        db.session.add(SalesItem(enterprise_id=w.g1.id, period="2026-10", amount=Decimal(i)))
    db.session.commit()
    assert measure() == few
