from datetime import date

import pytest

from crm.services.visits.cadence import Cadence, contact_status, monthly_status, onsite_status

RULES = Cadence()
KEY_RULES = Cadence(key_contact_days=3, key_onsite_days=14)


@pytest.mark.parametrize(
    "last, today, status, due",
    [
        (date(2026, 11, 10), date(2026, 11, 12), "ok", date(2026, 11, 17)),
        (date(2026, 11, 10), date(2026, 11, 15), "soon", date(2026, 11, 17)),  # 2 days left
        (date(2026, 11, 10), date(2026, 11, 17), "soon", date(2026, 11, 17)),  # due today
        (date(2026, 11, 10), date(2026, 11, 18), "overdue", date(2026, 11, 17)),
        (date(2026, 12, 28), date(2027, 1, 3), "soon", date(2027, 1, 4)),  # across the year end
    ],
)
def test_contact_every_seven_days(last, today, status, due):
    result = contact_status(last, today, RULES, is_key=False)
    assert (result.status, result.due_on) == (status, due)


def test_never_contacted_is_overdue():
    assert contact_status(None, date(2026, 11, 2), RULES, False).status == "overdue"
    assert onsite_status(None, date(2026, 11, 2), RULES, False).status == "overdue"
    assert onsite_status(None, date(2026, 11, 2), RULES, False).label == "已逾期"


@pytest.mark.parametrize(
    "last, today, status, due",
    [
        # visited this month: fine until the end of next month
        (date(2026, 11, 3), date(2026, 11, 20), "ok", date(2026, 12, 31)),
        # visited last month: due at the end of this month, "soon" in its last 2 days
        (date(2026, 10, 15), date(2026, 11, 10), "ok", date(2026, 11, 30)),
        (date(2026, 10, 15), date(2026, 11, 28), "soon", date(2026, 11, 30)),
        # a visit on the last day of a month counts for that month only
        (date(2026, 10, 31), date(2026, 11, 30), "soon", date(2026, 11, 30)),
        (date(2026, 10, 31), date(2026, 12, 1), "overdue", date(2026, 11, 30)),
        # first day of the month after a visit on the first day of the previous month
        (date(2026, 11, 1), date(2026, 12, 1), "ok", date(2026, 12, 31)),
        # February and year boundaries
        (date(2026, 1, 31), date(2026, 2, 27), "soon", date(2026, 2, 28)),
        (date(2026, 12, 31), date(2027, 1, 15), "ok", date(2027, 1, 31)),
        (date(2026, 11, 30), date(2027, 1, 1), "overdue", date(2026, 12, 31)),
    ],
)
def test_onsite_once_per_calendar_month(last, today, status, due):
    result = monthly_status(last, today, 2)
    assert (result.status, result.due_on) == (status, due)


def test_key_firm_override_is_stricter():
    last, today = date(2026, 11, 1), date(2026, 11, 5)
    assert contact_status(last, today, KEY_RULES, is_key=False).status == "ok"
    assert contact_status(last, today, KEY_RULES, is_key=True).status == "overdue"
    assert onsite_status(last, date(2026, 11, 16), KEY_RULES, is_key=True).status == "overdue"
    assert onsite_status(last, date(2026, 11, 16), KEY_RULES, is_key=False).status == "ok"
    # without a key-firm rule, key firms follow the normal rule
    assert contact_status(last, today, RULES, is_key=True).status == "ok"


# ---- a firm never visited is due counted from the start of its liaison


@pytest.mark.parametrize(
    "since, today, status, due",
    [
        (date(2026, 11, 2), date(2026, 11, 2), "ok", date(2026, 11, 9)),  # day 0: not overdue
        (date(2026, 11, 2), date(2026, 11, 7), "soon", date(2026, 11, 9)),
        (date(2026, 11, 2), date(2026, 11, 10), "overdue", date(2026, 11, 9)),
    ],
)
def test_first_contact_is_due_an_interval_after_the_liaison_starts(since, today, status, due):
    result = contact_status(None, today, RULES, is_key=False, since=since)
    assert (result.last_on, result.status, result.due_on) == (None, status, due)


@pytest.mark.parametrize(
    "since, today, status, due",
    [
        (date(2026, 11, 2), date(2026, 11, 2), "ok", date(2026, 11, 30)),  # by the end of its month
        (date(2026, 11, 30), date(2026, 11, 30), "soon", date(2026, 11, 30)),  # assigned on the last day
        (date(2026, 11, 2), date(2026, 12, 1), "overdue", date(2026, 11, 30)),
    ],
)
def test_first_onsite_visit_is_due_by_the_end_of_the_starting_month(since, today, status, due):
    result = onsite_status(None, today, RULES, is_key=False, since=since)
    assert (result.status, result.due_on) == (status, due)


def test_key_firms_count_their_own_intervals_from_the_start():
    since = date(2026, 11, 2)
    assert contact_status(None, since, KEY_RULES, is_key=True, since=since).due_on == date(2026, 11, 5)
    onsite = onsite_status(None, since, KEY_RULES, is_key=True, since=since)
    assert (onsite.status, onsite.due_on) == ("ok", date(2026, 11, 16))


def test_without_a_liaison_never_visited_is_overdue_at_once():
    assert contact_status(None, date(2026, 11, 2), RULES, is_key=False).status == "overdue"
    assert onsite_status(None, date(2026, 11, 2), RULES, is_key=False).status == "overdue"
