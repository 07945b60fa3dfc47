"""Visit cadence: 一周一联系 (a contact every N days) and 一月一进企 (on-site once per calendar month).

The rules are pure functions of the last contact / on-site dates and the park's settings, so pages,
jobs and reports compute the same status. Cadence belongs to the firm, not to the cadre: a
reassigned firm keeps its history. A firm never contacted (or never visited on site) is due
counted from `since`, the start of its current liaison (assignment, import or handover), so a
freshly assigned firm is not overdue on day 0; with no liaison either, it is overdue at once.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional

from sqlalchemy import select

from crm.extensions import db
from crm.models import ParkSetting
from crm.models.settings import DEFAULT_CADENCE

STATUS_LABELS = {"ok": "正常", "soon": "即将到期", "overdue": "已逾期"}
STATUS_CSS = {"ok": "success", "soon": "warning", "overdue": "danger"}
STATUS_RANK = {"overdue": 0, "soon": 1, "ok": 2}


@dataclass(frozen=True)
class Cadence:
    contact_days: int = DEFAULT_CADENCE["contact_days"]
    key_contact_days: Optional[int] = None
    key_onsite_days: Optional[int] = None
    due_soon_days: int = DEFAULT_CADENCE["due_soon_days"]
    visit_edit_days: int = DEFAULT_CADENCE["visit_edit_days"]


@dataclass(frozen=True)
class DueStatus:
    last_on: Optional[date]
    due_on: Optional[date]  # None: never contacted and no liaison, due at once
    status: str

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def css(self) -> str:
        return STATUS_CSS[self.status]

    @property
    def rank(self) -> int:
        return STATUS_RANK[self.status]


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _classify(due: date, today: date, soon_days: int) -> str:
    if today > due:
        return "overdue"
    return "soon" if (due - today).days <= soon_days else "ok"


def interval_status(
    last_on: Optional[date], today: date, days: int, soon_days: int, since: Optional[date] = None
) -> DueStatus:
    """Due `days` after the last contact; never contacted: `days` after `since`, else overdue."""
    if last_on is None:
        if since is not None:
            due = since + timedelta(days=days)
            return DueStatus(None, due, _classify(due, today, soon_days))
        return DueStatus(None, None, "overdue")
    due = last_on + timedelta(days=days)
    return DueStatus(last_on, due, _classify(due, today, soon_days))


def monthly_status(
    last_on: Optional[date], today: date, soon_days: int, since: Optional[date] = None
) -> DueStatus:
    """On-site once per calendar month: a month without an on-site visit is overdue once it has ended.

    Never visited on site: due by the end of the month of `since`, else overdue at once.
    """
    if last_on is None:
        if since is not None:
            due = month_end(since)
            return DueStatus(None, due, _classify(due, today, soon_days))
        return DueStatus(None, None, "overdue")
    this_month = today.replace(day=1)
    if last_on >= this_month:
        return DueStatus(last_on, month_end(month_end(today) + timedelta(days=1)), "ok")
    previous_month = (this_month - timedelta(days=1)).replace(day=1)
    if last_on >= previous_month:
        due = month_end(today)
        return DueStatus(last_on, due, _classify(due, today, soon_days))
    # The last month ended without an on-site visit.
    return DueStatus(last_on, this_month - timedelta(days=1), "overdue")


def contact_status(
    last_contact: Optional[date], today: date, rules: Cadence, is_key: bool, since: Optional[date] = None
) -> DueStatus:
    """一周一联系: any kind of contact at least every N days (key firms may have a shorter N).

    since: the start of the firm's current liaison (first contact due N days after it).
    """
    days = rules.key_contact_days if is_key and rules.key_contact_days else rules.contact_days
    return interval_status(last_contact, today, days, rules.due_soon_days, since)


def onsite_status(
    last_onsite: Optional[date], today: date, rules: Cadence, is_key: bool, since: Optional[date] = None
) -> DueStatus:
    """一月一进企: on-site once per calendar month, or every N days for key firms if the park says so.

    since: the start of the firm's current liaison (first visit due by its month's end, or N days after).
    """
    if is_key and rules.key_onsite_days:
        return interval_status(last_onsite, today, rules.key_onsite_days, rules.due_soon_days, since)
    return monthly_status(last_onsite, today, rules.due_soon_days, since)


def cadence_for_parks(park_ids) -> dict[int, Cadence]:
    """{park_id: Cadence} for the given parks in one query; parks without settings get the defaults."""
    ids = set(park_ids)
    found = {}
    if ids:
        for s in db.session.scalars(select(ParkSetting).where(ParkSetting.park_id.in_(ids))):
            found[s.park_id] = Cadence(
                s.contact_days, s.key_contact_days, s.key_onsite_days, s.due_soon_days, s.visit_edit_days
            )
    return {pid: found.get(pid, Cadence()) for pid in ids}
