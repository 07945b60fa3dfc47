"""Who hears about a problem, and the notifications its workflow steps send as they happen.

apply_action() calls notify_problem_event() after every step: 交办 → the department's handlers (or the
named handler); 提级 → the people of the new level; 督办 → the handler; 批示 → the handler and the
park's officers; 办结 → the firm's cadre, for 回访; 申请延期 and 退回 → the park's officers; the firm's
own 回访评价 → its cadre; 撤单 (申请, the firm's answer, 质检 不属实) → the cadre, the office, the
department. The actor never notifies themselves. Keys carry the event id (escalations: the level), so
nothing repeats.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Optional

from sqlalchemy import or_, select

from crm.extensions import db
from crm.models import Assignment, Problem, ProblemEvent, User
from crm.models.problem import LEVELS
from crm.models.problem_workflow import RECALC_EVENT
from crm.services.notifications.inbox import notify


def _active(stmt):
    return stmt.where(User.is_active_user.is_(True)).order_by(User.id)


def handlers_by_department(department_ids: Iterable[Optional[int]]) -> dict[Optional[int], list[User]]:
    """{department id: its active handlers} in one query; a problem without a department (None) has none."""
    ids = {i for i in department_ids if i}
    out: dict[Optional[int], list[User]] = defaultdict(list)
    if ids:
        for user in db.session.scalars(
            _active(select(User).where(User.role == "handler", User.department_id.in_(ids)))
        ):
            out[user.department_id].append(user)
    return out


def cadres_by_firm(firm_ids: Iterable[int]) -> dict[int, list[User]]:
    """{firm id: its current active cadre(s)} in one query."""
    ids = set(firm_ids)
    out: dict[int, list[User]] = defaultdict(list)
    if ids:
        rows = db.session.execute(
            _active(
                select(Assignment.enterprise_id, User)
                .join(User, User.id == Assignment.cadre_id)
                .where(Assignment.enterprise_id.in_(ids), Assignment.end_on.is_(None))
            )
        )
        for firm_id, user in rows:
            out[firm_id].append(user)
    return out


def officers_by_park(park_ids: Iterable[int]) -> dict[int, list[User]]:
    """{park id: its active officers} in one query."""
    ids = set(park_ids)
    out: dict[int, list[User]] = defaultdict(list)
    if ids:
        for user in db.session.scalars(
            _active(select(User).where(User.role == "officer", User.park_id.in_(ids)))
        ):
            out[user.park_id].append(user)
    return out


def problem_handlers(problem: Problem) -> list[User]:
    """The named handler if active, else every active handler of the problem's department."""
    if problem.handler is not None and problem.handler.is_active_user:
        return [problem.handler]
    return handlers_by_department([problem.department_id]).get(problem.department_id, [])


def level_people(problem: Problem, level: int) -> list[User]:
    """The active users who answer for the problem at this level."""
    firm = problem.enterprise
    if level == 1:
        stmt = (
            select(User)
            .join(Assignment, Assignment.cadre_id == User.id)
            .where(Assignment.enterprise_id == firm.id, Assignment.end_on.is_(None))
        )
    elif level == 2:
        if problem.department_id is None:
            return []
        stmt = select(User).where(
            User.role == "handler", User.is_dept_head.is_(True), User.department_id == problem.department_id
        )
    else:
        rank = (
            User.leader_level == 4 if level == 4 else or_(User.leader_level == 3, User.leader_level.is_(None))
        )
        stmt = select(User).where(
            User.role == "leader", rank, or_(User.park_id.is_(None), User.park_id == firm.park_id)
        )
    return list(db.session.scalars(stmt.where(User.is_active_user.is_(True)).order_by(User.id)))


def admins() -> list[User]:
    """The active system administrators."""
    return list(db.session.scalars(_active(select(User).where(User.role == "admin"))))


def nobody_at_level(problems: Iterable[Problem]) -> set[int]:
    """Ids of the problems whose current level has nobody to receive them (same people as level_people).

    Constant queries whatever the number of problems: one per kind of level present.
    """
    problems = list(problems)
    out: set[int] = set()
    cadres = cadres_by_firm(p.enterprise_id for p in problems if p.level == 1)
    dept_ids = {p.department_id for p in problems if p.level == 2 and p.department_id}
    heads: set[Optional[int]] = set()
    if dept_ids:
        heads = set(
            db.session.scalars(
                _active(
                    select(User.department_id).where(
                        User.role == "handler", User.is_dept_head.is_(True), User.department_id.in_(dept_ids)
                    )
                )
            )
        )
    leaders: list[tuple[Optional[int], Optional[int]]] = []
    if any(p.level >= 3 for p in problems):
        leaders = [
            (park_id, rank)
            for park_id, rank in db.session.execute(
                _active(select(User.park_id, User.leader_level).where(User.role == "leader"))
            )
        ]
    for p in problems:
        if p.level == 1:
            nobody = not cadres.get(p.enterprise_id)
        elif p.level == 2:
            nobody = p.department_id not in heads
        else:
            wanted = (4,) if p.level == 4 else (3, None)
            park_id = p.enterprise.park_id
            nobody = not any(rank in wanted and park in (None, park_id) for park, rank in leaders)
        if nobody:
            out.add(p.id)
    return out


def notify_escalation(
    problem: Problem, from_level: int, to_level: int, note: str = "", now: Optional[datetime] = None
) -> int:
    """Tell the people of the new level (one notification per problem and level, however it came).

    A level with nobody to receive it (a department without an active 部门负责人, no leader of that
    rank) is not silent: the park's officers and the admins are told instead, with a note saying so.
    """
    level_name = LEVELS.get(to_level, to_level)
    title = f"问题提级至{level_name}协调：{problem.title}"
    body = note or f"{problem.enterprise.name}的问题由{LEVELS.get(from_level, from_level)}升至本级协调。"
    people = level_people(problem, to_level)
    if not people:
        park_id = problem.enterprise.park_id
        people = officers_by_park([park_id]).get(park_id, []) + admins()
        title = f"提级无人接收（{level_name}）：{problem.title}"
        who = (
            f"承办部门（{problem.department.name}）没有部门负责人"
            if to_level == 2 and problem.department
            else "本级没有可接收的人员"
        )
        body = f"{body}\n本级无人接收：{who}，请协调处理或在用户管理中设置接收人。"
    made = 0
    seen: set[int] = set()
    for user in people:
        if user.id in seen:
            continue
        seen.add(user.id)
        made += bool(
            notify(
                user,
                "escalation",
                title,
                body,
                dedupe_key=f"problem:{problem.id}:level:{to_level}",
                problem_id=problem.id,
                enterprise_id=problem.enterprise_id,
                now=now,
            )
        )
    return made


def _recipients(
    problem: Problem, action: str, event_department: Optional[int] = None
) -> tuple[list[User], str]:
    """(users, title) for a workflow step; ([], "") when nobody needs to hear about it."""
    firm = problem.enterprise
    cadres = cadres_by_firm([firm.id]).get(firm.id, [])
    officers = officers_by_park([firm.park_id]).get(firm.park_id, [])
    t = problem.title
    if action in ("dispatch", "redispatch"):
        return problem_handlers(problem), f"新交办问题：{t}（{firm.name}）"
    if action == "supervise":
        return problem_handlers(problem), f"督办：{t}"
    if action == "instruct":
        return problem_handlers(problem) + officers, f"领导批示：{t}"
    if action == "resolve":
        return cadres, f"问题已办结，请回访企业：{t}"
    if action == "request_extension":
        return officers, f"延期申请待审批：{t}"
    if action == "return":
        return officers, f"问题被退回，请重新交办：{t}"
    if action in ("approve_extension", "refuse_extension"):
        verdict = "同意" if action == "approve_extension" else "不同意"
        return problem_handlers(problem), f"延期申请{verdict}：{t}"
    if action == "evaluate" and problem.status == "in_progress":
        # The firm's own 不满意 on its page: its cadre hears too (nobody of the government side acted).
        extra = cadres if problem.evaluation_by == "firm" else []
        return problem_handlers(problem) + extra, f"企业不满意，问题重办：{t}"
    if action == "evaluate" and problem.evaluation_by == "firm":
        return cadres, f"企业已在服务页评价（{problem.evaluation_label}）：{t}"
    # 撤单: the request waits for the firm; its answer and the 质检 verdict go to those concerned.
    if action == "request_withdrawal":
        return cadres + officers, f"撤单申请待企业确认：{t}"
    if action in ("withdraw_firm", "withdraw_phone"):
        return problem_handlers(problem) + cadres + officers, f"问题已撤单，待撤单质检：{t}"
    if action == "withdraw_declined":
        return problem_handlers(problem) + cadres, f"企业不同意撤单，请继续办理：{t}"
    if action == "withdraw_review" and problem.status == "new":
        dept = handlers_by_department([event_department]).get(event_department, [])
        return officers + dept, f"撤单质检不属实，问题重新交办：{t}"
    if action == "force_close":
        return problem_handlers(problem) + cadres, f"问题已强制销号：{t}"
    if action == RECALC_EVENT:  # deadlines recomputed when a year's holidays were confirmed
        return problem_handlers(problem), f"问题期限已调整：{t}"
    return [], ""


def _body(event: ProblemEvent, problem: Problem) -> str:
    parts = [f"企业：{problem.enterprise.name}"]
    data = event.data or {}
    if data.get("department"):
        parts.append(f"承办部门：{data['department']}")
    if data.get("due_on"):
        parts.append(f"办结期限：{data['due_on']}")
    if data.get("days"):
        parts.append(f"延期：{data['days']}个工作日")
    if event.actor is not None:
        parts.append(f"操作人：{event.actor.name}")
    elif data.get("by") == "firm":
        parts.append("操作人：企业（通过企业服务码）")
    if event.note:
        parts.append(event.note)
    return "\n".join(parts)


def notify_problem_event(event: ProblemEvent) -> int:
    """Notify the people a workflow step concerns (never its actor); returns how many were created."""
    problem = db.session.get(Problem, event.problem_id)
    if problem is None:
        return 0
    if event.action == "escalate":
        data = event.data or {}
        from_level, to_level = data.get("from_level", 1), data.get("to_level", problem.level)
        return notify_escalation(problem, from_level, to_level, event.note or "", event.at)
    users, title = _recipients(problem, event.action, event.department_id)
    seen: set[int] = set()
    made = 0
    for user in users:
        if user.id in seen or user.id == event.actor_id:
            continue
        seen.add(user.id)
        made += bool(
            notify(
                user,
                "problem_event",
                title,
                _body(event, problem),
                dedupe_key=f"event:{event.id}",
                problem_id=problem.id,
                enterprise_id=problem.enterprise_id,
                now=event.at,
            )
        )
    return made
