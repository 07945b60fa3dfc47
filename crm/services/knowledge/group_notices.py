"""Who hears about a 共性问题: its lead (the lead department's handlers, or the lead leader) and the
cadres of the member problems' firms. Keys name the group and the step, so nothing repeats."""

from collections.abc import Iterable
from datetime import datetime
from typing import Optional

from crm.extensions import db
from crm.models import CommonIssue, Problem, User
from crm.services.notifications.inbox import notify
from crm.services.problems.notices import cadres_by_firm, handlers_by_department


def lead_people(issue: CommonIssue) -> list[User]:
    """The active people of the 专班's lead: every handler of the lead department, or the leader."""
    if issue.team_kind == "department":
        return handlers_by_department([issue.department_id]).get(issue.department_id, [])
    leader = db.session.get(User, issue.leader_id) if issue.leader_id else None
    return [leader] if leader is not None and leader.is_active_user else []


def notify_lead(issue: CommonIssue, title: str, body: str, key: str, now: Optional[datetime] = None) -> int:
    """Tell the 专班's lead (a link to the 共性问题 list); returns how many notifications were made."""
    made = 0
    for user in lead_people(issue):
        made += bool(
            notify(user, "system", title, body, dedupe_key=key, endpoint="knowledge.groups", now=now)
        )
    return made


def notify_cadres(
    problems: Iterable[Problem], title: str, body: str, key: str, now: Optional[datetime] = None
) -> int:
    """Tell each member problem's cadre about it (one notification per problem, linked to it)."""
    problems = list(problems)
    cadres = cadres_by_firm(p.enterprise_id for p in problems)
    made = 0
    for p in problems:
        for user in cadres.get(p.enterprise_id, []):
            made += bool(
                notify(
                    user,
                    "problem_event",
                    f"{title}：{p.title}",
                    body,
                    dedupe_key=f"{key}:{p.id}",
                    problem_id=p.id,
                    enterprise_id=p.enterprise_id,
                    now=now,
                )
            )
    return made
