"""The KPI definitions: the arithmetic every published rate goes through, checked against figures
worked out by hand (rounded half up to one decimal, as the provincial platforms publish them)."""

from decimal import Decimal

import pytest

from crm.services.kpi import KPIS, Kpi, kpi
from crm.services.kpi.definitions import GROUPS, PERCENT, WORKDAYS

RATES = [
    "contact_coverage",
    "onsite_coverage",
    "signed_on_time_rate",
    "on_time_rate",
    "resolution_rate",
    "solved_rate",
    "satisfaction_rate",
    "overdue_rate",
]


def test_every_official_kpi_is_defined_in_the_order_of_the_sheet():
    required = [*RATES, "avg_resolution_workdays"]
    assert set(required) <= set(KPIS)
    order = list(KPIS)
    # 走访 first, then 问题办理 in the order a problem goes through them.
    assert (
        order.index("contact_coverage") < order.index("onsite_coverage") < order.index("signed_on_time_rate")
    )
    assert order.index("signed_on_time_rate") < order.index("on_time_rate") < order.index("overdue_rate")
    assert [k.group for k in KPIS.values()] == sorted((k.group for k in KPIS.values()), key=GROUPS.index)
    for key, definition in KPIS.items():
        assert definition.key == key and kpi(key) is definition
        assert definition.label and definition.numerator and definition.denominator
        assert definition.unit in (PERCENT, WORKDAYS)
    assert {KPIS[k].label for k in RATES} == {
        "联系覆盖率",
        "上门覆盖率",
        "按时签收率",
        "按期办结率",
        "办结率",
        "解决率",
        "满意率",
        "超期率",
    }
    assert KPIS["avg_resolution_workdays"].label == "平均办结工作日"
    assert len({k.label for k in KPIS.values()}) == len(KPIS)


def test_unknown_key_names_itself():
    with pytest.raises(KeyError, match="no_such_rate"):
        kpi("no_such_rate")


@pytest.mark.parametrize("key", RATES)
def test_rate_ordinary_zero_and_full(key):
    k = KPIS[key]
    assert k.value(11, 13) == 84.6  # 84.615…
    assert k.value(3, 4) == 75.0
    assert k.value(0, 7) == 0.0
    assert k.value(7, 7) == 100.0
    assert k.value(0, 0) is None and k.value(5, 0) is None  # nothing to divide: shown as —
    assert k.fraction(11, 13) == 0.846 and k.fraction(0, 0) is None


def test_rates_round_half_up_not_to_even():
    k = KPIS["on_time_rate"]
    assert k.value(1, 16) == 6.3  # 6.25: Python's round() would give 6.2
    assert k.value(1, 8) == 12.5
    assert k.value(1, 3) == 33.3 and k.value(2, 3) == 66.7
    assert k.value(1, 400) == 0.3  # 0.25
    assert k.value(1, 2000) == 0.1  # 0.05
    assert k.value(1, 2001) == 0.0  # 0.04997…
    assert k.value(9051, 10000) == 90.5  # 烟台's 解决率 90.51 % shown to one decimal
    # The fraction is the rounded figure, so a cell formatted 0.0% shows exactly the card's digits.
    assert k.fraction(1, 16) == 0.063 and k.fraction(2, 3) == 0.667


def test_average_in_working_days():
    k = KPIS["avg_resolution_workdays"]
    assert k.unit == WORKDAYS and not k.is_rate
    assert k.value(17, 4) == 4.3  # 4.25 rounded half up
    assert k.value(10, 4) == 2.5
    assert k.value(0, 3) == 0.0
    assert k.value(12, 0) is None
    assert k.fraction(17, 4) == 4.3  # an average is no percentage
    assert k.value(Decimal("7.5"), 2) == 3.8


def test_negative_counts_are_a_counting_error():
    with pytest.raises(ValueError, match="不能为负数"):
        KPIS["overdue_rate"].value(-1, 3)
    with pytest.raises(ValueError, match="不能为负数"):
        KPIS["avg_resolution_workdays"].value(3, -1)


def test_formula_and_texts():
    onsite = KPIS["onsite_coverage"]
    assert onsite.formula == "上门覆盖率 = 本月有上门走访的联系企业数 ÷ 联系企业数 × 100%"
    avg = KPIS["avg_resolution_workdays"]
    assert avg.formula.startswith("平均办结工作日 = ") and "× 100%" not in avg.formula
    assert avg.formula.endswith("（工作日）")
    signed = KPIS["signed_on_time_rate"]
    assert "未到期" in signed.note or "尚未到期" in signed.note  # the not-yet-due exclusion is written down
    assert signed.description == f"{signed.formula}。{signed.note}"
    assert KPIS["resolution_rate"].denominator.startswith("应办结")
    assert "满意或基本满意" in KPIS["solved_rate"].numerator
    assert "满意或基本满意" in KPIS["satisfaction_rate"].numerator
    assert "月末在办" in KPIS["overdue_rate"].denominator
    assert onsite.display(84.6) == "84.6%" and onsite.display(None) == "—"
    assert avg.display(3.0) == "3.0个工作日"


def test_a_kpi_is_a_frozen_value():
    k = Kpi("x", "某率", "分子", "分母")
    with pytest.raises(AttributeError):
        k.label = "别的"  # type: ignore[misc]
    assert k.unit == PERCENT and k.note == "" and k.formula == "某率 = 分子 ÷ 分母 × 100%"
