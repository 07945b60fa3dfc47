"""The demo park's 典型案例库: three problems solved some weeks ago, walked through the real workflow to
销号 (dispatch, sign, feedback, resolve, the firm's evaluation), then promoted by the park office with a
summary written for firms: 出口退税到账慢 (税务局, 预审 + 容缺受理), a 用地 case (园区经发局, idle land let
first and sold later) and a 用工 case (人社局, a job fair and a vocational school, with the park's
稳岗扩岗补贴 from the policy library). A cadre has since answered another firm on the spot from the first
case (现场解答), so its page reads 已引用 1 次."""

from dataclasses import dataclass
from datetime import date
from typing import Any, Optional

from sqlalchemy import select

from crm.demo.problems import _back, _stamp
from crm.extensions import db
from crm.models import Department, Enterprise, Policy, Problem, User
from crm.services.knowledge.cases import promote_problem
from crm.services.problems.answered import raise_answered_problem
from crm.services.problems.flow import apply_action
from crm.services.problems.intake import raise_problem
from crm.services.workdays.calendar import get_calendar


@dataclass(frozen=True)
class DemoCase:
    handler: str  # the handler (by username) whose department solved it
    category: str
    problem: tuple[str, str]  # the problem as the cadre raised it: title, description
    raised: int  # working days before today
    resolution: str
    title: str  # the case as the office wrote it for firms
    summary: str
    basis: str
    tags: str
    policy: Optional[str] = None  # a policy of the library, by title


CASES = [
    DemoCase(
        "handler1",
        "finance",
        ("出口退税到账慢，资金周转紧张", "企业出口订单增加，出口退税申报后一个多月仍未到账，流动资金紧张。"),
        48,
        "已对企业出口退税申报开展预审，单证备案资料容缺受理、限期补齐，本批退税款5个工作日内到账。",
        "出口退税到账慢：预审加容缺受理，5个工作日到账",
        "企业出口退税申报后长时间未到账。税务局在正式申报前先帮企业预审单证，发现的问题一次性告知；"
        "非关键的备案资料先容缺受理、限期补齐，不再退回重报。本批退税款5个工作日内到账。"
        "遇到类似情况，可请联系干部提出预审申请。",
        "出口退税“预审+容缺”办理：申报前预审单证，非关键资料容缺受理、限期补齐",
        "出口退税、容缺受理、预审、资金周转",
    ),
    DemoCase(
        "handler4",
        "land",
        ("技改扩建缺配套用地", "企业技改扩建项目已备案，需配套仓储用地约12亩，周边暂无可用地块。"),
        40,
        "园区经发局会同自然资源部门盘活园区闲置地块12亩，以先租后让方式供地，企业当月开工。",
        "技改扩建缺用地：盘活闲置地块，先租后让当月开工",
        "企业扩建急需配套用地，新增指标一时难以落实。园区摸排闲置和低效用地，找到一块12亩的闲置地块，"
        "按“先租后让”方式先租给企业使用，项目达产后再办理出让，企业当月即开工建设。",
        "园区低效用地盘活办法：闲置地块可先租后让",
        "用地、闲置土地、先租后让",
    ),
    DemoCase(
        "handler2",
        "labour",
        ("旺季招工难，缺普工50名", "订单旺季生产线缺普工50名，企业自行招聘两周仅到岗8人。"),
        36,
        "人社局组织专场招聘会并对接职业院校顶岗实习，两周内到岗46人；指导企业申领稳岗扩岗补贴。",
        "旺季招工难：专场招聘加校企合作，两周到岗46人",
        "企业旺季缺普工，自行招聘效果不好。人社局为企业组织专场招聘会，同时对接职业院校安排顶岗实习，"
        "两周内到岗46人；并指导企业按规定申领稳岗扩岗补贴。",
        "园区专场招聘服务；规上工业企业稳岗扩岗补贴",
        "用工、专场招聘、校企合作",
        "规上工业企业稳岗扩岗补贴",
    ),
]
STEPS = ((0, "dispatch"), (1, "accept"), (2, "feedback"), (6, "resolve"), (8, "evaluate"))
FIRST_FIRM = 3  # leaves the first firms' problems to the other demo modules


def _walk(spec: DemoCase, firm: Enterprise, users: dict[str, User], today: date) -> Problem:
    """Raise the problem on the firm's cadre's visit and take it to 已销号 on working-day offsets."""
    cal = get_calendar()
    raised_on = _back(cal, today, spec.raised)
    title, description = spec.problem
    assert firm.cadre is not None, "only firms with a liaison get problems"
    data = {"title": title, "description": description, "category": spec.category, "source": "visit"}
    problem = raise_problem(firm, firm.cadre, data, today=raised_on, now=_stamp(raised_on, 0))
    handler = users[spec.handler]
    dept = db.session.get(Department, handler.department_id)
    assert dept is not None, "demo handlers belong to a department"
    notes: dict[str, tuple[str, dict[str, Any]]] = {
        "dispatch": ("officer", {"department_id": dept.id}),
        "accept": ("handler", {}),
        "feedback": ("handler", {"note": "已电话联系企业，了解具体诉求，正在协调。"}),
        "resolve": ("handler", {"note": spec.resolution}),
        "evaluate": ("cadre", {"evaluation": "satisfied", "note": "企业对办理结果表示满意。"}),
    }
    for step, (offset, action) in enumerate(STEPS, start=1):
        on = min(cal.add_workdays(raised_on, offset), today)
        who, payload = notes[action]
        actor = {"officer": users["officer"], "handler": handler, "cadre": firm.cadre}[who]
        apply_action(problem, action, actor, dict(payload), today=on, now=_stamp(on, step))
    return problem


def load_demo_cases(today: date) -> dict[str, int]:
    """Walk the three problems to 已销号 and promote them to the park's 典型案例库."""
    users = {u.username: u for u in db.session.scalars(select(User))}
    firms = db.session.scalars(
        select(Enterprise).where(Enterprise.status == "active").order_by(Enterprise.id)
    )
    firms_with_cadre = [f for f in firms if f.cadre is not None]
    policies = {p.title: p.id for p in db.session.scalars(select(Policy).where(Policy.status == "published"))}
    for i, spec in enumerate(CASES):
        firm = firms_with_cadre[(FIRST_FIRM + i * 11) % len(firms_with_cadre)]
        problem = _walk(spec, firm, users, today)
        assert problem.status == "closed", "a demo case comes from a problem closed after its evaluation"
        data = {
            "title": spec.title,
            "category": spec.category,
            "summary": spec.summary,
            "basis": spec.basis,
            "department_id": problem.department_id,
            "policy_id": policies.get(spec.policy) if spec.policy else None,
            "tags": spec.tags,
        }
        case = promote_problem(users["officer"], problem, data)
        if i == 0:
            _quote(case.problem_id, firms_with_cadre[(FIRST_FIRM + 5) % len(firms_with_cadre)], today)
    db.session.flush()
    return {"typical_cases": len(CASES)}


def _quote(source_id: int, firm: Enterprise, today: date) -> None:
    """A cadre answers another firm's 出口退税 trouble on the spot from the case (已引用 1 次)."""
    assert firm.cadre is not None, "only firms with a liaison get problems"
    day = _back(get_calendar(), today, 10)
    data = {
        "title": "出口退税申报后一直没到账",
        "description": "企业第二次办理出口退税，申报三周仍未到账，询问能否加快。",
        "category": "finance",
        "source": "visit",
    }
    note = "按典型案例做法，现场告知可申请出口退税预审和容缺受理，已帮企业预约税务局专管员。"
    raise_answered_problem(firm, firm.cadre, data, source_id, note, today=day, now=_stamp(day, 0))
