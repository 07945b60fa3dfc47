"""The statutory holidays by the national rule (2024 amendment), for years the package does not know."""

from datetime import date

import pytest
from lunar_python import Lunar, Solar

from crm.services.workdays.calendar import WorkCalendar
from crm.services.workdays.statutory import statutory_holidays


def _ymd(year: int, month: int, day: int) -> str:
    return Lunar.fromYmd(year, month, day).getSolar().toYmd()


def test_2027_by_the_rule():
    days = {d.isoformat(): name for d, name in statutory_holidays(2027).items()}
    assert days == {
        "2027-01-01": "元旦",
        "2027-02-05": "春节",  # 除夕
        "2027-02-06": "春节",
        "2027-02-07": "春节",
        "2027-02-08": "春节",  # 初三
        "2027-04-05": "清明节",
        "2027-05-01": "劳动节",
        "2027-05-02": "劳动节",
        "2027-06-09": "端午节",
        "2027-09-15": "中秋节",
        "2027-10-01": "国庆节",
        "2027-10-02": "国庆节",
        "2027-10-03": "国庆节",
    }


@pytest.mark.parametrize("year", [2027, 2028])
def test_lunar_holidays_match_lunar_python(year):
    days = statutory_holidays(year)
    by_name: dict[str, list[str]] = {}
    for day, name in days.items():
        for part in name.split("、"):
            by_name.setdefault(part, []).append(day.isoformat())
    assert by_name["清明节"] == [Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()["清明"].toYmd()]
    assert by_name["端午节"] == [_ymd(year, 5, 5)]
    assert by_name["中秋节"] == [_ymd(year, 8, 15)]
    assert by_name["国庆节"] == [f"{year}-10-0{d}" for d in (1, 2, 3)]
    assert by_name["春节"][1] == _ymd(year, 1, 1) and len(by_name["春节"]) == 4
    assert len(days) == 13 - (year == 2028)  # 2028: 中秋 falls on 10-03


def test_2028_mid_autumn_on_national_day():
    days = statutory_holidays(2028)
    assert days[date(2028, 10, 3)] == "中秋节、国庆节"
    assert days[date(2028, 1, 25)] == "春节" and days[date(2028, 1, 28)] == "春节"
    assert days[date(2028, 4, 4)] == "清明节" and days[date(2028, 5, 28)] == "端午节"


def test_no_rule_before_it_was_in_force():
    assert statutory_holidays(2003) == {}


def test_weekend_holidays_are_not_made_up_and_overrides_win():
    cal = WorkCalendar()
    # In 2027, 05-01/02 are Saturday/Sunday: no 补休 by the rule, Monday 05-03 is a working day.
    assert not cal.is_workday(date(2027, 5, 1)) and cal.is_workday(date(2027, 5, 3))
    cal.overrides[date(2027, 1, 1)] = True
    assert cal.is_workday(date(2027, 1, 1))
    assert not cal.is_workday(date(2028, 10, 3)) and cal.day_name(date(2028, 10, 3)) == "中秋节、国庆节"
