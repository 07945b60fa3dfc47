"""The reminders the scheduler produces. Each takes `today`/`now`, flushes, and returns counts.

Every reminder names its subject and period in its dedupe key, so re-running a job (twice, in
parallel, after a crash) creates nothing new, while the next period reminds again:
  visit:<contact|onsite>:<soon|overdue>:<firm>:<due date|never>   (a new contact moves the due date)
  visit:weekly:<park>:<ISO year>-W<week>
  problem:<id>:deadline:<date>:<yellow|red>                      (an extension moves the date)
  problem:<id>:level:<level>                                     (escalations, see problems.notices)
  calendar:<year>
"""

from collections import defaultdict
from datetime import date, datetime
from typing import Optional

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import Assignment, Enterprise, Problem, User
from crm.models.problem import CLOCK_STATUSES, unmet_deadlines
from crm.services.notifications.batch import NotificationBatch
from crm.services.notifications.inbox import notify
from crm.services.problems.deadlines import CHECKPOINT_LABELS, checkpoint_near, colour_clause
from crm.services.problems.escalation import escalate_overdue
from crm.services.problems.notices import cadres_by_firm, handlers_by_department, notify_escalation
from crm.services.visits.coverage import FirmCadence, _firms_with_cadence, hydrate
from crm.services.visits.summary import refresh_visit_summaries
from crm.services.workdays.calendar import get_calendar

WEEKLY_NAMES = 5  # firm names listed per cadre in the weekly list


def _assigned_firms(today: date) -> list[FirmCadence]:
    """Every 在营 firm with an active cadre, with its cadence (constant number of queries)."""
    stmt = (
        select(Enterprise.id)
        .join(Assignment, (Assignment.enterprise_id == Enterprise.id) & Assignment.end_on.is_(None))
        .where(Enterprise.status == "active")
        .order_by(Enterprise.id)
    )
    return _firms_with_cadence(stmt, today)


def _users(ids) -> dict[int, User]:
    ids = set(ids)
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def _visit_text(which: str, status, firm: Enterprise, today: date) -> tuple[str, str]:
    """(title, body) of a contact or on-site reminder."""
    due, last = status.due_on, status.last_on
    rule = "一周一联系" if which == "contact" else "一月一进企"
    doing = "联系" if which == "contact" else "上门走访"
    last_text = f"上次{doing}是{last:%Y-%m-%d}" if last else f"尚无{doing}记录"
    if status.status == "soon":
        title = f"即将到期：请于{due:%m月%d日}前{doing}{firm.name}"
        body = f"按“{rule}”要求，{firm.name}{last_text}，请在{due:%Y-%m-%d}前{doing}并登记走访。"
    elif due is None:
        title = f"{doing}已逾期：{firm.name}"
        body = f"按“{rule}”要求，{firm.name}{last_text}，请尽快{doing}并登记走访。"
    else:
        title = f"{doing}已逾期：{firm.name}"
        body = (
            f"按“{rule}”要求，{firm.name}{last_text}，应于{due:%Y-%m-%d}前{doing}，"
            f"已逾期{(today - due).days}天。"
        )
    return title, body


def visit_reminders(today: date, now: Optional[datetime] = None) -> dict[str, int]:
    """Tell each cadre which of their firms' contact or on-site visit is due soon, then overdue."""
    # Re-derive every firm's last visit dates from the visit log first: the reminders then rest on the
    # log itself, and the summaries the pages read can never drift for more than a day.
    refresh_visit_summaries()
    firms = _assigned_firms(today)
    cadres = _users(r.cadre_id for r in firms)
    # Rows with a reminder to send: a status other than ok (only 在营 firms have statuses, both of them).
    hydrate([r for r in firms if any(s is not None and s.status != "ok" for s in (r.contact, r.onsite))])
    batch = NotificationBatch(now)
    for row in firms:
        cadre = cadres.get(row.cadre_id) if row.cadre_id is not None else None
        if cadre is None or row.contact is None or row.onsite is None:
            continue
        for which, status in (("contact", row.contact), ("onsite", row.onsite)):
            if status.status == "ok":
                continue
            firm = row.loaded_firm
            title, body = _visit_text(which, status, firm, today)
            key = f"visit:{which}:{status.status}:{firm.id}:{status.due_on or 'never'}"
            batch.add(cadre, "visit_due", title, body, dedupe_key=key, enterprise_id=firm.id)
    return {"firms": len(firms), "created": batch.flush()}


def weekly_overdue_list(today: date, now: Optional[datetime] = None) -> dict[str, int]:
    """Each park's officers get this ISO week's list of overdue firms, grouped by cadre."""
    by_park: dict[int, dict[int, list[FirmCadence]]] = defaultdict(lambda: defaultdict(list))
    for row in _assigned_firms(today):
        if row.is_overdue and row.cadre_id is not None:  # always set: the firms have an active cadre
            by_park[row.park_id][row.cadre_id].append(row)
    cadres = _users(cid for park in by_park.values() for cid in park)
    hydrate([r for park in by_park.values() for rows in park.values() for r in rows[:WEEKLY_NAMES]])
    officers = defaultdict(list)
    if by_park:
        for officer in db.session.scalars(
            select(User)
            .where(User.role == "officer", User.is_active_user.is_(True), User.park_id.in_(by_park))
            .order_by(User.id)
        ):
            officers[officer.park_id].append(officer)
    year, week, _ = today.isocalendar()
    created = 0
    for park_id, per_cadre in by_park.items():
        total = sum(len(rows) for rows in per_cadre.values())
        lines = []
        for cadre_id, rows in sorted(per_cadre.items(), key=lambda item: -len(item[1])):
            names = "、".join(r.loaded_firm.name for r in rows[:WEEKLY_NAMES])
            names += "等" if len(rows) > WEEKLY_NAMES else ""
            name = cadres[cadre_id].name if cadre_id in cadres else "（未知）"
            lines.append(f"{name}：{len(rows)}家（{names}）")
        title = f"逾期走访周报（{year}年第{week}周）：{total}家企业逾期"
        body = "按联企干部统计的逾期企业：\n" + "\n".join(lines)
        for officer in officers.get(park_id, []):
            created += bool(
                notify(
                    officer,
                    "visit_weekly",
                    title,
                    body,
                    dedupe_key=f"visit:weekly:{park_id}:{year}-W{week:02d}",
                    endpoint="coverage.index",
                    now=now,
                )
            )
    return {"parks": len(by_park), "created": created}


def _deadline_text(problem: Problem, labels: str, due: date, colour: str, today: date) -> tuple[str, str]:
    firm = problem.enterprise.name
    if colour == "red":
        title = f"{labels}期限已过：{problem.title}"
        body = (
            f"{firm}的问题「{problem.title}」{labels}期限为{due:%Y-%m-%d}，已逾期，请尽快办理；"
            "逾期将按规则提级协调。"
        )
    else:
        when = "今天" if due == today else f"{due:%m月%d日}"
        title = f"{labels}期限{when}到期：{problem.title}"
        body = f"{firm}的问题「{problem.title}」{labels}期限为{due:%Y-%m-%d}，请按时办理。"
    return title, body


def problem_deadline_reminders(today: date, now: Optional[datetime] = None) -> dict[str, int]:
    """Handlers and the firm's cadre: a 137 checkpoint or the final limit is near (yellow) or past (red).

    Near is each deadline's stored warning date, set under the problem's own rules version, so the
    reminders read no rules: a constant number of queries whatever the versions.
    """
    problems = db.session.scalars(
        select(Problem)
        .where(
            Problem.status.in_(CLOCK_STATUSES),
            or_(colour_clause("red", today), colour_clause("yellow", today)),
        )
        .options(joinedload(Problem.enterprise), joinedload(Problem.handler))
        .order_by(Problem.id)
    ).all()
    handlers = handlers_by_department(p.department_id for p in problems)
    cadres = cadres_by_firm(p.enterprise_id for p in problems)
    batch = NotificationBatch(now)
    for p in problems:
        named = [p.handler] if p.handler is not None and p.handler.is_active_user else None
        team = (named or handlers.get(p.department_id, [])) + cadres.get(p.enterprise_id, [])
        people = {u.id: u for u in team}
        by_date: dict[date, list[str]] = defaultdict(list)
        for checkpoint, due in unmet_deadlines(p):
            if due < today or checkpoint_near(p, checkpoint, due, today):
                by_date[due].append(checkpoint)
        for due, checkpoints in sorted(by_date.items()):
            colour = "red" if due < today else "yellow"
            labels = "、".join(CHECKPOINT_LABELS[c] for c in checkpoints)
            title, body = _deadline_text(p, labels, due, colour, today)
            for user in people.values():
                batch.add(
                    user,
                    "problem_deadline",
                    title,
                    body,
                    dedupe_key=f"problem:{p.id}:deadline:{due.isoformat()}:{colour}",
                    problem_id=p.id,
                    enterprise_id=p.enterprise_id,
                )
    return {"problems": len(problems), "created": batch.flush()}


def run_escalations(today: date, now: Optional[datetime] = None) -> dict[str, int]:
    """Escalate overdue problems (四级协调) and make sure the people of each new level are told."""
    done = escalate_overdue(today, now=now)
    for item in done:
        # apply_action already notified them (same dedupe key); this call only repairs a gap.
        notify_escalation(item.problem, item.from_level, item.to_level, now=now)
    return {"escalated": len(done)}


def holiday_calendar_reminder(today: date, now: Optional[datetime] = None) -> dict[str, int]:
    """In December, tell every admin once that next year's holiday calendar is not loaded yet."""
    if today.month != 12 or get_calendar().year_known(today.year + 1):
        return {"created": 0}
    year = today.year + 1
    admins = db.session.scalars(
        select(User).where(User.role == "admin", User.is_active_user.is_(True)).order_by(User.id)
    )
    created = 0
    for admin in admins:
        created += bool(
            notify(
                admin,
                "system",
                f"请录入{year}年法定节假日安排",
                f"{year}年的法定节假日和调休安排尚未录入。国务院办公厅通知发布后，请在“节假日”页面录入并确认，"
                "否则跨年的问题办理期限将按法定节假日和周一至周五推算（不含调休）。",
                dedupe_key=f"calendar:{year}",
                endpoint="admin.calendar",
                now=now,
            )
        )
    return {"created": created}
