"""The demo park's history for similar past problems: several 出口退税 problems solved by 税务局 some months
ago (walked through the real workflow to 销号), so typing 「出口退税到账慢」 on the problem form shows them
with their resolutions, and one recent problem a cadre answered on the spot from one of them (现场解答)."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from crm.demo.problems import _back, _stamp
from crm.extensions import db
from crm.models import Enterprise, Problem, User
from crm.services.problems.answered import raise_answered_problem
from crm.services.problems.flow import apply_action
from crm.services.problems.intake import raise_problem
from crm.services.workdays.calendar import get_calendar


@dataclass(frozen=True)
class Solved:
    title: str
    description: str
    raised: int  # working days before today
    resolution: str
    handler: str = "handler1"  # 税务局
    category: str = "finance"


HISTORY = [
    Solved(
        "出口退税到账慢",
        "企业上季度出口退税已申报一个半月仍未到账，外贸订单回款周期长，资金周转紧张。",
        75,
        "税务局核查发现企业一份报关单信息不符，指导企业更正后重新申报，开通出口退税绿色通道，7个工作日内退税款到账。",
    ),
    Solved(
        "出口退税申报后迟迟未到账",
        "企业出口退税申报已审核通过，但退库迟迟没有到账，影响原材料采购。",
        62,
        "税务局协调国库加快退库办理，同时为企业办理出口退税分类管理升级，后续退税审核时间缩短至3个工作日。",
    ),
    Solved(
        "出口退税单证不齐影响退税进度",
        "企业新开展出口业务，对出口退税备案单证要求不熟悉，申报多次被退回，退税到账慢。",
        55,
        "税务局安排专管员上门辅导出口退税备案单证，一次性告知需补资料，企业当周完成申报，退税款10日内到账。",
    ),
    Solved(
        "扩产项目用地报批进度慢",
        "企业扩产项目用地报批材料已提交一个月，进度不明。",
        58,
        "园区经发局会同自然资源部门加快组卷报批，用地批复已下达。",
        "handler4",
        "land",
    ),
]
STEPS = ((0, "dispatch"), (1, "accept"), (2, "feedback"), (5, "resolve"), (7, "evaluate"))
FIRST_FIRM = 11  # spread over firms the other demo modules use less


def load_demo_similar(today: date) -> dict[str, int]:
    """Add the solved 出口退税 history and one 现场解答 quoting it; returns how many problems were added."""
    cal = get_calendar()
    users = {u.username: u for u in db.session.scalars(select(User))}
    firms = [
        f
        for f in db.session.scalars(select(Enterprise).order_by(Enterprise.id))
        if f.status == "active" and f.cadre is not None
    ]
    officer = users["officer"]
    solved: list[Problem] = []
    for i, spec in enumerate(HISTORY):
        firm = firms[(FIRST_FIRM + i * 5) % len(firms)]
        cadre, handler = firm.cadre, users[spec.handler]
        assert cadre is not None and handler.department_id is not None
        raised_on = _back(cal, today, spec.raised)
        data = {"title": spec.title, "description": spec.description, "category": spec.category}
        problem = raise_problem(
            firm, cadre, data | {"source": "visit"}, today=raised_on, now=_stamp(raised_on, 0)
        )
        for n, (offset, action) in enumerate(STEPS, start=1):
            on = min(cal.add_workdays(raised_on, offset), today)
            actor = officer if action == "dispatch" else cadre if action == "evaluate" else handler
            payloads: dict[str, dict[str, Any]] = {
                "dispatch": {"department_id": handler.department_id},
                "feedback": {"note": "已联系企业了解退税申报情况，正在核查。"},
                "resolve": {"note": spec.resolution},
                "evaluate": {"evaluation": "satisfied", "note": "企业对办理结果满意。"},
            }
            payload = payloads.get(action, {})
            apply_action(problem, action, actor, payload, today=on, now=_stamp(on, n))
        solved.append(problem)
    # A cadre met the same trouble last week and gave the firm the earlier answer on the spot.
    firm = firms[(FIRST_FIRM + 2) % len(firms)]
    assert firm.cadre is not None
    answered_on = _back(cal, today, 4)
    raise_answered_problem(
        firm,
        firm.cadre,
        {
            "title": "出口退税到账慢，影响资金周转",
            "description": "企业首次出口，退税申报后两周未到账，担心资料有问题。",
            "category": "finance",
            "source": "visit",
        },
        solved[2].id,
        "参照此前做法，现场告知出口退税备案单证要求，并联系税务局专管员预约上门辅导。",
        today=answered_on,
        now=_stamp(answered_on, 0),
    )
    db.session.flush()
    return {"similar_history": len(solved) + 1}
