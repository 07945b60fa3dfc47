"""The checks of a 共性问题's members and 专班 (crm.services.knowledge.common_issues): which problems
may join a group, who may lead it, its joint deadline. Each raises a Chinese ServiceError naming what is
wrong; none changes anything."""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, NoReturn, Optional

from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import Department, Problem, User
from crm.models.knowledge import TEAM_KINDS
from crm.models.problem import PROBLEM_CATEGORIES, PROBLEM_STATUSES
from crm.permissions import visible_departments, visible_problems
from crm.services import ServiceError
from crm.services.common.args import MAX_ID
from crm.services.common.validators import clean_text
from crm.services.knowledge.proposals import GROUPABLE
from crm.services.workdays.calendar import get_calendar

MIN_GROUP_FIRMS = 2
MAX_MEMBERS = 200
DEFAULT_DUE_WORKDAYS = 20  # a 专班's default joint deadline: about a working month
MAX_DUE_DAYS = 366
NOTE_MAX = 2000


def fail(message: str) -> NoReturn:
    raise ServiceError(message)


def default_due_on(today: date) -> date:
    """The default joint deadline: DEFAULT_DUE_WORKDAYS working days from today."""
    return get_calendar().add_workdays(today, DEFAULT_DUE_WORKDAYS)


def parse_ids(values: Any, label: str = "问题") -> list[int]:
    """Problem ids from a form (checkboxes or "12, 15 18"), each once, in the order given."""
    if isinstance(values, str):
        values = values.replace("，", ",").replace("、", ",").replace(",", " ").split()
    out: list[int] = []
    for value in values or []:
        text = str(value).strip().lstrip("#")
        if not text:
            continue
        if not text.isascii() or not text.isdigit() or len(text) > 10 or not 0 < int(text) <= MAX_ID:
            fail(f"{label}编号“{text[:20]}”无效，请填写问题编号（数字）")
        if int(text) not in out:
            out.append(int(text))
    if len(out) > MAX_MEMBERS:
        fail(f"一次最多选择{MAX_MEMBERS}个问题")
    return out


def member_name(p: Problem) -> str:
    return f"问题「{p.title}」（#{p.id}）"


def members_to_add(actor: User, ids: list[int], park_id: Optional[int]) -> list[Problem]:
    """The problems by id, each visible to the actor, being worked on, in no group and of one park."""
    if not ids:
        fail("请选择要纳入共性问题的问题")
    rows = db.session.scalars(
        visible_problems(actor)
        .options(joinedload(Problem.common_issue), joinedload(Problem.enterprise))
        .where(Problem.id.in_(ids))
    ).unique()
    found = {p.id: p for p in rows}
    problems = []
    for pid in ids:
        p = found.get(pid)
        if p is None:
            fail(f"问题 #{pid} 不存在或不在您的管理范围内")
        assert p is not None
        if p.common_issue is not None:
            fail(f"{member_name(p)}已属于共性问题「{p.common_issue.title}」，一个问题只能纳入一个共性问题")
        if p.status not in GROUPABLE:
            status = PROBLEM_STATUSES.get(p.status, p.status)
            fail(f"{member_name(p)}当前状态为“{status}”，只能纳入尚未办结的问题")
        if park_id is not None and p.enterprise.park_id != park_id:
            fail(f"{member_name(p)}不属于该共性问题所在园区")
        problems.append(p)
    parks = {p.enterprise.park_id for p in problems}
    if len(parks) > 1:
        fail("所选问题须属于同一园区")
    return problems


def _lead(
    actor: User, park_id: int, data: dict[str, Any]
) -> tuple[str, Optional[Department], Optional[User]]:
    """The 专班's lead: a department visible to the actor serving the park, or an active leader of it."""
    kind = str(data.get("team_kind") or "")
    if kind not in TEAM_KINDS:
        fail("请选择牵头方式：牵头部门或牵头领导")
    if kind == "department":
        dept_id = one_id(data.get("department_id"))
        dept = (
            db.session.scalar(visible_departments(actor).where(Department.id == dept_id)) if dept_id else None
        )
        if dept is None:
            fail("请选择牵头部门")
        assert dept is not None
        if not dept.is_active:
            fail(f"牵头部门“{dept.name}”已停用")
        if dept.park_id not in (None, park_id):
            fail(f"牵头部门“{dept.name}”不服务于该园区")
        return kind, dept, None
    leader_id = one_id(data.get("leader_id"))
    leader = db.session.get(User, leader_id) if leader_id else None
    if leader is None or leader.role != "leader" or leader.park_id not in (None, park_id):
        fail("请选择牵头领导")
    assert leader is not None
    if not leader.is_active_user:
        fail(f"牵头领导“{leader.name}”的账号已停用")
    return kind, None, leader


def one_id(value: Any) -> Optional[int]:
    text = str(value if value is not None else "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10 or not 0 < int(text) <= MAX_ID:
        return None
    return int(text)


def _due(value: Any, today: date) -> date:
    if isinstance(value, date):
        day = value
    else:
        text = str(value or "").strip()
        if not text:
            fail("请填写联合办结期限")
        try:
            day = date.fromisoformat(text)
        except ValueError:
            fail("联合办结期限格式不正确，应为 YYYY-MM-DD")
    if day < today:
        fail("联合办结期限不能早于今天")
    if day > today + timedelta(days=MAX_DUE_DAYS):
        fail("联合办结期限不能超过一年")
    return day


def team_fields(actor: User, park_id: int, data: dict[str, Any], today: date) -> dict[str, Any]:
    """The checked fields of the 专班 (name, lead, deadline)."""
    kind, dept, leader = _lead(actor, park_id, data)
    return {
        "team_name": clean_text(data.get("team_name"), "专班名称", 100, required=True),
        "team_kind": kind,
        "department_id": dept.id if dept else None,
        "leader_id": leader.id if leader else None,
        "due_on": _due(data.get("due_on"), today),
    }


def main_category(problems: Iterable[Problem]) -> str:
    counts: dict[str, int] = {}
    for p in problems:
        counts[p.category] = counts.get(p.category, 0) + 1
    order = list(PROBLEM_CATEGORIES)
    return min(counts, key=lambda c: (-counts[c], order.index(c) if c in order else len(order)))


def firm_count(problems: Iterable[Problem]) -> int:
    return len({p.enterprise_id for p in problems})
