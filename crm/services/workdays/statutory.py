"""The statutory public holidays (法定节假日) by the national rule, for years the package does not know.

全国年节及纪念日放假办法 as amended in 2024, in force from 2025: 元旦 1 day (1-1); 春节 4 days from
除夕 (除夕, 初一, 初二, 初三); 清明节 1 day (the 清明 solar term); 劳动节 2 days (5-1, 5-2); 端午节 1 day
(lunar 5-5); 中秋节 1 day (lunar 8-15); 国庆节 3 days (10-1 to 10-3).

Only the rule: which weekdays are moved (调休) and which holidays on a weekend are made up (补休) is
decided each year by the State Council's notice, which the admin enters (crm.services.workdays.admin).
"""

from datetime import date, timedelta

from lunar_python import Lunar, Solar

RULE_FROM = 2025  # the first year of the amended rule; earlier years had fewer holidays


def _solar(lunar_year: int, month: int, day: int) -> date:
    s = Lunar.fromYmd(lunar_year, month, day).getSolar()
    return date(s.getYear(), s.getMonth(), s.getDay())


def _qingming(year: int) -> date:
    # Early April always lies in the lunar year that began that spring.
    s = Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()["清明"]
    return date(s.getYear(), s.getMonth(), s.getDay())


def statutory_holidays(year: int) -> dict[date, str]:
    """{day: Chinese name} of the year's statutory holidays by the rule; {} before RULE_FROM.

    Two holidays on the same day (中秋 on 10-3) read "中秋节、国庆节".
    """
    if year < RULE_FROM:
        return {}
    new_year = _solar(year, 1, 1)
    days: list[tuple[date, str]] = [(date(year, 1, 1), "元旦")]
    days += [(new_year + timedelta(days=i), "春节") for i in range(-1, 3)]
    days += [(_qingming(year), "清明节")]
    days += [(date(year, 5, 1), "劳动节"), (date(year, 5, 2), "劳动节")]
    days += [(_solar(year, 5, 5), "端午节"), (_solar(year, 8, 15), "中秋节")]
    days += [(date(year, 10, d), "国庆节") for d in (1, 2, 3)]
    out: dict[date, str] = {}
    for day, name in sorted(days):
        out[day] = f"{out[day]}、{name}" if day in out and name not in out[day] else name
    return out
