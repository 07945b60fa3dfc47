"""The demo park's 共性问题: three 装备制造 firms short of standard-factory land, confirmed by the office as
one 共性问题 and handed to a 用地保障专班 led by 自然资源和规划局 (with its first progress reports), and
recent open problems the system proposes to group: 招工难 at three firms of one chain, and freight
trucks kept off the park's east road, told in nearly the same words by firms of different chains."""

from dataclasses import dataclass
from datetime import date
from typing import Optional

from sqlalchemy import select

from crm.demo.problems import _back, _stamp
from crm.extensions import db
from crm.models import Department, Enterprise, IndustryChain, Problem, User
from crm.services.knowledge.common_issues import confirm_common_issue, report_progress
from crm.services.knowledge.group_rules import default_due_on
from crm.services.problems.flow import apply_action
from crm.services.problems.intake import raise_problem
from crm.services.workdays.calendar import get_calendar

LAND_DEPARTMENT = "自然资源和规划局"


@dataclass(frozen=True)
class Trouble:
    title: str
    description: str
    category: str
    raised: int  # working days before today
    dispatch: bool = False  # handed to the lead department before the group was confirmed


LAND = [
    Trouble(
        "标准厂房用地指标不足",
        "企业新接整机订单需扩产，园区标准厂房已满租，新建厂房缺少用地指标。",
        "land",
        9,
        True,
    ),
    Trouble(
        "扩产项目缺少标准厂房用地",
        "二期扩产设备已订货，标准厂房用地指标未落实，项目无法开工。",
        "land",
        8,
        True,
    ),
    Trouble(
        "新建厂房用地指标紧张", "企业计划新建两栋标准厂房，园区工业用地指标紧张，报批排队时间长。", "land", 7
    ),
]
LABOUR = [
    Trouble("普工招聘困难，产线缺员", "旺季订单增加，普工缺口约40人，多次招聘会效果不好。", "labour", 4),
    Trouble("技术工人招不到", "数控、焊接技术工人缺口大，影响交货期。", "labour", 3),
    Trouble("一线员工流失率高", "一线员工流失较多，新招员工留不住，希望协调职业培训和住宿。", "labour", 2),
]
TRUCKS = [
    Trouble(
        "园区东路货车限行影响运输",
        "园区东路限高限行，重型货车无法进出厂区，原材料运输受影响。",
        "logistics",
        3,
    ),
    Trouble(
        "东路限行货车进不了厂区",
        "园区东路限行后重型货车无法进出厂区，只能中途转运，运输成本上升。",
        "logistics",
        2,
    ),
    Trouble(
        "货车限行导致原材料运输困难", "东路限高限行，重型货车进出厂区困难，原材料运输受影响。", "other", 1
    ),
]


def _firms(chain: Optional[IndustryChain], count: int, skip: set[int]) -> list[Enterprise]:
    """Active firms with a liaison (of one chain, if given), not used by this module yet, one each."""
    stmt = select(Enterprise).where(Enterprise.status == "active").order_by(Enterprise.id.desc())
    if chain is not None:
        stmt = stmt.where(Enterprise.chain_id == chain.id)
    out: list[Enterprise] = []
    seen_chains: set[Optional[int]] = set()
    for firm in db.session.scalars(stmt):
        if firm.cadre is None or firm.id in skip:
            continue
        if chain is None and firm.chain_id in seen_chains:  # different chains: only the words link them
            continue
        out.append(firm)
        seen_chains.add(firm.chain_id)
        if len(out) == count:
            break
    skip.update(f.id for f in out)
    return out


def _raise(firm: Enterprise, trouble: Trouble, today: date, hour: int) -> Problem:
    cal = get_calendar()
    raised_on = _back(cal, today, trouble.raised)
    assert firm.cadre is not None
    data = {"title": trouble.title, "description": trouble.description, "category": trouble.category}
    return raise_problem(
        firm, firm.cadre, data | {"source": "visit"}, today=raised_on, now=_stamp(raised_on, hour)
    )


def load_demo_groups(today: date) -> dict[str, int]:
    """Add the confirmed 用地 group with its 专班 and the problems the proposals group; returns counts."""
    cal = get_calendar()
    users = {u.username: u for u in db.session.scalars(select(User))}
    officer = users["officer"]
    chains = {c.name: c for c in db.session.scalars(select(IndustryChain))}
    land = db.session.scalar(select(Department).where(Department.name == LAND_DEPARTMENT))
    assert land is not None, "the reference data holds 自然资源和规划局"
    used: set[int] = set()
    members = []
    for i, (firm, trouble) in enumerate(zip(_firms(chains["装备制造"], 3, used), LAND, strict=True)):
        problem = _raise(firm, trouble, today, i)
        if trouble.dispatch:
            on = cal.add_workdays(_back(cal, today, trouble.raised), 1)
            apply_action(
                problem, "dispatch", officer, {"department_id": land.id}, today=on, now=_stamp(on, 1)
            )
        members.append(problem)
    confirmed = _back(cal, today, 5)
    issue = confirm_common_issue(
        officer,
        [p.id for p in members],
        {
            "title": "装备制造企业标准厂房用地指标不足",
            "description": "三家装备制造企业扩产均受限于标准厂房用地指标，需统筹园区用地指标和闲置厂房。",
            "team_name": "用地保障专班",
            "team_kind": "department",
            "department_id": land.id,
            "due_on": default_due_on(confirmed).isoformat(),
        },
        confirmed,
        now=_stamp(confirmed, 3),
    )
    first = cal.add_workdays(confirmed, 1)
    report_progress(
        officer, issue, "专班召开第一次会议，梳理三家企业用地需求合计约85亩。", first, _stamp(first, 2)
    )
    second = _back(cal, today, 1)
    report_progress(
        officer,
        issue,
        "自然资源和规划局已排查园区闲置厂房两处，拟以先租后让方式调剂，指标报批材料同步组卷。",
        second,
        _stamp(second, 2),
    )
    # Open problems the proposals group: 招工难 in one chain, 货车限行 told alike across chains.
    proposed = 0
    for i, (firm, trouble) in enumerate(zip(_firms(chains["电力电子"], 3, used), LABOUR, strict=True)):
        _raise(firm, trouble, today, 4 + i)
        proposed += 1
    for i, (firm, trouble) in enumerate(zip(_firms(None, 3, used), TRUCKS, strict=True)):
        _raise(firm, trouble, today, 7 + i)
        proposed += 1
    db.session.flush()
    return {"common_issues": 1, "common_issue_members": len(members), "proposal_problems": proposed}
