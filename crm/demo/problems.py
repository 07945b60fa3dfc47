"""Demo problems in every state, walked through the real workflow (raise_problem + apply_action).

Each script raises a problem some working days before today and takes its steps on working-day
offsets from that day, so deadlines, colours, escalations and the monthly report all look like a
real park's: some waiting for dispatch, some signed and on track, some yellow, some red and
escalated, one returned, one with a pending extension, one redone after 不满意, many closed.

The rules have two versions, as after an admin's change: the defaults, then (RULES_CHANGED working
days ago) a longer limit for technology problems. Problems dispatched before the change keep the first.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Optional

from sqlalchemy import select

from crm.extensions import db
from crm.models import Department, Enterprise, User
from crm.services.problems.escalation import escalate_overdue
from crm.services.problems.flow import apply_action
from crm.services.problems.intake import raise_problem
from crm.services.problems.rules import ensure_rule_set
from crm.services.problems.rules_admin import update_problem_rules
from crm.services.workdays.calendar import WorkCalendar, get_calendar

# Who takes each step: the park office, the department's handler, the firm's cadre or a leader.
ACTORS = {
    "dispatch": "officer", "approve_extension": "officer", "refuse_extension": "officer",
    "force_close": "officer", "supervise": "officer", "escalate": "officer",
    "accept": "handler", "return": "handler", "feedback": "handler", "progress": "handler",
    "request_extension": "handler", "resolve": "handler",
    "evaluate": "cadre", "solve_on_spot": "cadre", "instruct": "leader",
}  # fmt: skip


@dataclass
class Script:
    title: str
    description: str
    category: str
    raised: int  # working days before today
    department: Optional[str] = None  # the handler (by username) whose department gets it
    steps: tuple = ()  # (working days after raising, action, data)
    urgency: str = "normal"
    source: str = "visit"


# The admin's change of the rules: technology problems get 15 working days (the others keep theirs).
RULES_CHANGED = 5  # working days before today
RULES_FORM = {
    "limit_normal": 10, "limit_urgent": 3, "sign_days": 1, "feedback_days": 3, "progress_days": 7,
    "warn_share": 30, "return_days": 1, "extension_notice_days": 1, "max_extension_days": 10,
    "escalate_2": 1, "escalate_3": 3, "escalate_4": 5, "cat_technology_normal": 15,
    "note": "技术攻关类问题需对接高校院所，一般问题办结时限调整为15个工作日",
}  # fmt: skip

FB = {"note": "已电话联系企业，了解具体诉求，正在协调。"}
PG = {"note": "已形成办理方案，报分管负责同志审定。"}
OK = {"evaluation": "satisfied", "note": "企业对办理结果表示满意。"}

SCRIPTS = [
    Script(
        "二期厂房建设用地指标尚未落实", "企业二期扩产项目已备案，需新增用地约30亩，指标尚未落实。", "land", 1
    ),
    Script(
        "生产线扩产急需增容800千伏安",
        "新上两条自动化生产线，现有变压器容量不足，需增容800千伏安。",
        "utilities",
        0,
        urgency="urgent",
    ),
    Script(
        "园区道路限行影响货车进出",
        "12345热线转来：园区东路限高限行，重型货车无法进出厂区。",
        "logistics",
        1,
        source="hotline",
    ),
    Script(
        "研发费用加计扣除政策申报咨询",
        "企业首次申报研发费用加计扣除，对归集口径不清楚。",
        "policy",
        0,
        "handler1",
        ((0, "dispatch", {}),),
    ),
    Script(
        "稳岗补贴申领材料多次被退回",
        "企业申领稳岗补贴，材料三次被退回，未说明具体原因。",
        "labour",
        4,
        "handler2",
        ((0, "dispatch", {}),),
    ),
    Script(
        "招聘数控操作工困难",
        "企业急需数控操作工20名，本地招聘难，希望对接职业院校。",
        "labour",
        2,
        "handler2",
        ((0, "dispatch", {}), (1, "accept", {}), (1, "feedback", FB)),
    ),
    Script(
        "天然气供应压力不足影响窑炉运行",
        "冬季用气高峰期管网压力不足，窑炉温度不稳，影响产品良率。",
        "utilities",
        8,
        "handler4",
        ((0, "dispatch", {}), (1, "accept", {}), (2, "feedback", FB), (5, "progress", PG)),
    ),
    Script(
        "技改补贴资金未到位",
        "企业2025年技改项目已验收，省级技改补贴资金至今未拨付。",
        "policy",
        13,
        "handler4",
        (
            (0, "dispatch", {}),
            (1, "accept", {}),
            (3, "feedback", FB),
            (6, "progress", PG),
            (11, "supervise", {"note": "请经发局加快与财政部门对接，本周内反馈资金拨付时间。"}),
            (12, "instruct", {"note": "请经发局会同财政局专题研究，确保本月内资金到位。"}),
        ),
    ),
    Script(
        "厂房消防验收整改方案审批",
        "厂房消防验收提出整改意见，整改方案需园区建设部门审批。",
        "approval",
        7,
        "handler4",
        (
            (0, "dispatch", {}),
            (1, "accept", {}),
            (2, "feedback", FB),
            (5, "progress", PG),
            (
                7,
                "request_extension",
                {"days": 5, "note": "整改方案需请消防技术服务机构复核，申请延期5个工作日。"},
            ),
        ),
    ),
    Script(
        "电力线路改造后仍频繁跳闸",
        "线路改造完成后车间仍频繁跳闸，影响连续生产。",
        "utilities",
        12,
        "handler3",
        (
            (0, "dispatch", {}),
            (1, "accept", {}),
            (4, "resolve", {"note": "已更换老化开关柜，完成线路测试。"}),
            (6, "evaluate", {"evaluation": "unsatisfied", "note": "更换后一周内仍跳闸两次，企业不满意。"}),
            (8, "progress", {"note": "已安排电能质量监测，排查谐波原因。"}),
        ),
    ),
    Script(
        "商标被仿冒需协调维权",
        "企业注册商标在电商平台被仿冒，希望协调有关部门查处。",
        "market",
        1,
        "handler1",
        ((0, "dispatch", {}), (1, "return", {"note": "不属于税务部门职责，建议改派市场监督管理局。"})),
    ),
    Script(
        "增值税留抵退税办理进度",
        "企业申请增值税留抵退税，希望加快审核进度。",
        "finance",
        6,
        "handler1",
        (
            (0, "dispatch", {}),
            (1, "accept", {}),
            (1, "feedback", FB),
            (3, "resolve", {"note": "留抵退税已审核通过，退税款已到账。"}),
        ),
    ),
    Script(
        "咨询高新技术企业认定条件",
        "企业拟申报高新技术企业，咨询认定条件和申报时间。",
        "policy",
        2,
        None,
        ((0, "solve_on_spot", {"note": "现场讲解认定条件，发放申报指南，企业已明确申报安排。"}),),
    ),
    Script(
        "环评批复办理",
        "新建涂装线需办理环评批复，企业对流程不熟悉。",
        "approval",
        30,
        "handler4",
        (
            (0, "dispatch", {}),
            (1, "accept", {}),
            (2, "feedback", FB),
            (5, "progress", PG),
            (8, "resolve", {"note": "已协助企业完成环评报告编制并取得批复。"}),
            (9, "evaluate", OK),
        ),
    ),
    Script(
        "员工子女入学协调",
        "企业引进技术骨干3名，子女需在园区周边学校入学。",
        "other",
        26,
        "handler2",
        (
            (0, "dispatch", {}),
            (1, "accept", {}),
            (2, "feedback", FB),
            (6, "resolve", {"note": "已协调园区学校接收入学。"}),
            (7, "evaluate", {"evaluation": "basic", "note": "已入学，但学校距离较远。"}),
        ),
    ),
    Script(
        "供电线路迁改",
        "厂区扩建需迁改一段10千伏线路。",
        "utilities",
        24,
        "handler3",
        (
            (0, "dispatch", {}),
            (1, "accept", {}),
            (2, "feedback", FB),
            (6, "request_extension", {"days": 5, "note": "迁改需停电作业，须与周边企业协调停电窗口。"}),
            (6, "approve_extension", {}),
            (8, "progress", PG),
            (13, "resolve", {"note": "线路迁改完成并恢复送电。"}),
            (14, "evaluate", OK),
        ),
    ),
    Script(
        "流动资金贷款续贷困难",
        "企业一笔1500万元流动资金贷款到期，续贷审批受阻。",
        "finance",
        38,
        "handler4",
        (
            (0, "dispatch", {}),
            (1, "accept", {}),
            (2, "feedback", FB),
            (4, "progress", PG),
            (7, "resolve", {"note": "协调园区合作银行完成续贷。"}),
            (8, "evaluate", OK),
        ),
        "urgent",
    ),
    Script(
        "扩产用地需求撤回",
        "企业反映扩产用地需求，后因市场变化暂缓扩产。",
        "land",
        20,
        "handler4",
        (
            (0, "dispatch", {}),
            (1, "accept", {}),
            (3, "force_close", {"note": "企业书面说明暂缓扩产，撤回用地需求，经核实予以销号。"}),
        ),
    ),
    Script(
        "出口退税办理提速",
        "企业出口订单增加，希望加快出口退税办理。",
        "finance",
        21,
        "handler1",
        (
            (0, "dispatch", {}),
            (1, "accept", {}),
            (1, "feedback", FB),
            (4, "resolve", {"note": "已开通出口退税绿色通道。"}),
            (5, "evaluate", OK),
        ),
    ),
    Script(
        "需要高校联合攻关电机能效",
        "企业希望与高校合作开展高效电机研发，提升能效等级。",
        "technology",
        3,
        "handler4",
        ((0, "dispatch", {}), (1, "accept", {}), (2, "feedback", FB)),
    ),
    Script(
        "希望对接本地整机企业配套",
        "企业零部件产能富余，希望对接本地整机企业形成配套。",
        "market",
        17,
        "handler4",
        (
            (0, "dispatch", {}),
            (1, "accept", {}),
            (2, "feedback", FB),
            (5, "progress", PG),
            (9, "resolve", {"note": "已组织供需对接会，与两家整机企业达成意向。"}),
            (10, "evaluate", OK),
        ),
    ),
]


def _back(cal: WorkCalendar, today: date, n: int) -> date:
    """The working day n working days before today (today itself for n == 0, if a working day)."""
    day = today
    while not cal.is_workday(day):
        day -= timedelta(days=1)
    while n > 0:
        day -= timedelta(days=1)
        n -= cal.is_workday(day)
    return day


def load_demo_problems(today: date) -> int:
    """Raise and walk the scripted problems on the demo park's assigned firms; returns how many."""
    cal = get_calendar()
    users = {u.username: u for u in db.session.scalars(select(User))}
    firms = [
        f for f in db.session.scalars(select(Enterprise).order_by(Enterprise.id)) if f.status == "active"
    ]
    firms = [f for f in firms if f.cadre is not None]
    officer, leader = users["officer"], users["leader"]
    # Version 1 (the defaults) before the oldest script, version 2 by the admin some days ago.
    ensure_rule_set(_stamp(_back(cal, today, max(s.raised for s in SCRIPTS) + 1), 0))
    update_problem_rules(users["admin"], RULES_FORM, now=_stamp(_back(cal, today, RULES_CHANGED), 0))
    for i, script in enumerate(SCRIPTS):
        firm = firms[(i * 7) % len(firms)]
        raised_on = _back(cal, today, script.raised)
        raiser = officer if script.source == "hotline" else firm.cadre
        assert raiser is not None, "only firms with a liaison get problems"
        problem = raise_problem(
            firm,
            raiser,
            {"title": script.title, "description": script.description, "category": script.category,
             "urgency": script.urgency, "source": script.source},
            today=raised_on,
            now=_stamp(raised_on, 0),  # dated when it was raised, like the demo's visits
        )  # fmt: skip
        handler = users.get(script.department) if script.department else None
        for step, (offset, action, data) in enumerate(script.steps, start=1):
            on = min(cal.add_workdays(raised_on, offset), today)
            who = ACTORS[action]
            actor = {"officer": officer, "leader": leader, "cadre": firm.cadre, "handler": handler}[who]
            payload = dict(data)
            if action == "dispatch":
                payload["department_id"] = _department_id(handler)
            apply_action(problem, action, actor, payload, today=on, now=_stamp(on, step))
    escalate_overdue(today)  # the overdue ones climb the four levels as the scheduler would have done
    db.session.flush()
    return len(SCRIPTS)


def _stamp(day: date, step: int) -> datetime:
    """A naive UTC time in office hours of that day (from 09:00 Beijing time); a later step always comes
    later, 7 minutes apart (up to 60 steps a day), so a timeline never shows an answer before its question."""
    return datetime.combine(day, time(1)) + timedelta(minutes=7 * min(step, 60))


def _department_id(handler: Optional[User]) -> int:
    dept = db.session.get(Department, handler.department_id) if handler else None
    if dept is None:
        raise ValueError("demo script names a handler without a department")
    return dept.id
