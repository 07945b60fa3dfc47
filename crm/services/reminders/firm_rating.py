"""The reminder to call a firm that has not rated its resolved problem.

A problem resolved (办结) N working days ago (the park's rating_reminder_days, default 5) and still
waiting for its 回访评价 reminds the firm's cadre (or, without one, the park's officers) to call the firm
and record its evaluation (代录) — unless the firm rates it first on its service page. Once per
resolution: the key problem:<id>:rating:<resolved date> is never created twice, a 重办 resolves again.
"""

from datetime import date, datetime
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import Problem
from crm.services.notifications.batch import NotificationBatch
from crm.services.portal.settings import DEFAULT_RULES, rules_by_park
from crm.services.problems.notices import cadres_by_firm, officers_by_park
from crm.services.workdays.calendar import WorkCalendar, get_calendar


def rating_reminders(today: date, now: Optional[datetime] = None, cal: Optional[WorkCalendar] = None) -> dict:
    """Remind cadres of resolved problems the firm has not rated N working days after 办结."""
    cal = cal or get_calendar()
    problems = db.session.scalars(
        select(Problem)
        .where(Problem.status == "resolved", Problem.resolved_on.is_not(None), Problem.resolved_on < today)
        .options(joinedload(Problem.enterprise))
        .order_by(Problem.id)
    ).all()
    rules = rules_by_park()
    due = [
        p
        for p in problems
        if p.resolved_on is not None
        and cal.add_workdays(
            p.resolved_on, rules.get(p.enterprise.park_id, DEFAULT_RULES).rating_reminder_days
        )
        <= today
    ]
    cadres = cadres_by_firm(p.enterprise_id for p in due)
    officers = officers_by_park({p.enterprise.park_id for p in due if not cadres.get(p.enterprise_id)})
    batch = NotificationBatch(now)
    for p in due:
        assert p.resolved_on is not None
        firm = p.enterprise
        days = cal.workdays_between(p.resolved_on, today)
        title = f"请回访企业：「{p.title}」办结{days}个工作日，企业尚未评价"
        body = (
            f"{firm.name}的问题「{p.title}」于{p.resolved_on:%Y-%m-%d}办结，企业尚未在服务页评价。"
            "请电话或上门回访，在问题页面代录企业的评价（满意、基本满意或不满意）。"
        )
        if p.contact_phone:
            body += f"\n企业联系人：{p.contact_name or ''} {p.contact_phone}"
        for user in cadres.get(p.enterprise_id) or officers.get(firm.park_id, []):
            batch.add(
                user,
                "problem_event",
                title,
                body,
                dedupe_key=f"problem:{p.id}:rating:{p.resolved_on.isoformat()}",
                problem_id=p.id,
                enterprise_id=firm.id,
            )
    return {"problems": len(due), "created": batch.flush()}
