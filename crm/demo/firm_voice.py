"""The demo park's 企业之声: every active firm has a service code; a few firms have submitted 诉求 themselves
(one waiting for dispatch, one being handled, one rated by the firm, one resolved and waiting for a
rating), one withdrawal was confirmed by its firm and waits for the 撤单质检, one confirmed by phone last
month was found 不属实 and dispatched again, and last month's 回访抽查 sample has its first calls.

The demo firm (DEMO_FIRM_INDEX among the firms with a liaison) has a problem waiting for its rating and a
撤单申请 waiting for its answer, so its service link shows everything the firm can do.
"""

from datetime import date
from typing import Any, Optional

from sqlalchemy import select

from crm.demo.problems import _back, _stamp
from crm.extensions import db
from crm.models import Department, Enterprise, Park, Problem, ServiceCode, User
from crm.services.portal.callbacks import draw_callbacks, previous_month, record_callback
from crm.services.portal.codes import issue_service_code, token_of
from crm.services.portal.firm_steps import answer_withdrawal, rate_problem
from crm.services.portal.submissions import submit_problem
from crm.services.problems.flow import apply_action
from crm.services.problems.intake import raise_problem
from crm.services.workdays.calendar import get_calendar

DEMO_FIRM_INDEX = 0
CONTACTS = ["王经理", "刘会计", "陈主任", "赵总", "周部长", "孙厂长"]


class _Voices:
    def __init__(self, today: date):
        self.today, self.cal = today, get_calendar()
        self.users = {u.username: u for u in db.session.scalars(select(User))}
        firms = db.session.scalars(
            select(Enterprise).where(Enterprise.status == "active").order_by(Enterprise.id)
        )
        self.firms = [f for f in firms if f.cadre is not None]
        self.codes: dict[int, ServiceCode] = {}
        self.step_no = 0

    def day(self, n: int) -> date:
        return _back(self.cal, self.today, n)

    def stamp(self, n: int):
        self.step_no += 1
        # The counter only grows, so steps taken on one day keep their order (raise before dispatch).
        return _stamp(self.day(n), self.step_no)

    def submit(self, firm: Enterprise, n: int, category: str, title: str, description: str) -> Problem:
        data = {
            "category": category,
            "title": title,
            "description": description,
            "contact_name": CONTACTS[firm.id % len(CONTACTS)],
            "contact_phone": firm.contact_phone or "0731-58881234",
        }
        return submit_problem(self.codes[firm.id], data, (), None, self.day(n), self.stamp(n))

    def raised_by_cadre(
        self, firm: Enterprise, n: int, category: str, title: str, description: str
    ) -> Problem:
        assert firm.cadre is not None
        data = {"title": title, "description": description, "category": category, "source": "visit"}
        return raise_problem(firm, firm.cadre, data, today=self.day(n), now=self.stamp(n))

    def act(self, p: Problem, action: str, who: str, n: int, **data: Any) -> None:
        actor: Optional[User] = p.enterprise.cadre if who == "cadre" else self.users[who]
        if action == "dispatch":
            handler = self.users[data.pop("to")]
            dept = db.session.get(Department, handler.department_id)
            assert dept is not None, "demo handlers belong to a department"
            data["department_id"] = dept.id
        apply_action(p, action, actor, data, today=self.day(n), now=self.stamp(n))

    def walk(
        self, p: Problem, to: str, dispatched: int, accepted: int, resolved: Optional[int] = None
    ) -> None:
        self.act(p, "dispatch", "officer", dispatched, to=to)
        self.act(p, "accept", to, accepted)
        if resolved is not None:
            self.act(p, "resolve", to, resolved, note="已按企业诉求办理完毕，并电话告知企业。")


def load_demo_firm_voice(today: date) -> dict[str, int]:
    """Service codes for every active firm, then the scripted voices of a few firms (see the docstring)."""
    v = _Voices(today)
    officer = v.users["officer"]
    firms = db.session.scalars(
        select(Enterprise).where(Enterprise.status != "closed").order_by(Enterprise.id)
    )
    for firm in firms:
        v.codes[firm.id] = issue_service_code(firm, officer, now=_stamp(v.day(40), 0))
    demo, f1, f2, f3, f4, f5 = (v.firms[(DEMO_FIRM_INDEX + 5 * i) % len(v.firms)] for i in range(6))

    # The demo firm: rated by itself, one waiting for its rating, one 撤单申请 waiting for its answer.
    rated = v.submit(
        demo, 12, "utilities", "厂区变压器容量不足", "新增两条产线后变压器经常过载跳闸，需增容。"
    )
    v.walk(rated, "handler3", 12, 11, 8)
    rate_problem(
        v.codes[demo.id],
        rated,
        {"evaluation": "satisfied", "note": "供电公司上门很快，谢谢！"},
        today=v.day(7),
        now=v.stamp(7),
    )
    waiting = v.submit(
        demo, 6, "labour", "稳岗补贴申领进度", "三月份提交的稳岗补贴申请，至今未到账，请帮忙查询。"
    )
    v.walk(waiting, "handler2", 5, 5, 1)
    asked = v.submit(
        demo, 4, "logistics", "开通员工通勤公交", "园区北片没有公交站，员工上下班不便，希望增设线路。"
    )
    v.walk(asked, "handler4", 4, 3)
    v.act(
        asked, "request_withdrawal", "handler4", 1, note="已纳入全区公交线网优化统一研究，建议本件先行撤单。"
    )

    # Other firms: a fresh 诉求 for the board, one resolved and not rated (the cadre is reminded to call).
    v.submit(f1, 0, "finance", "出口退税到账慢", "上季度出口退税已申报两个月仍未到账，资金周转紧张。")
    unrated = v.submit(f2, 9, "utilities", "污水管网接驳", "新建车间污水需接入园区管网，请协调排水公司。")
    v.walk(unrated, "handler3", 9, 8, 7)
    proxy = v.raised_by_cadre(f4, 8, "approval", "环评批复加快", "技改项目环评报告已提交，希望加快批复。")
    v.walk(proxy, "handler4", 8, 7, 3)
    v.act(
        proxy,
        "evaluate",
        "cadre",
        2,
        evaluation="basic",
        channel="phone",
        note="企业表示基本满意，希望后续加快。",
    )

    # 撤单: one the firm agreed to on its page (waiting for the 质检) …
    agreed = v.submit(f3, 8, "labour", "技术工人招聘难", "数控操作工缺口20人，希望人社局组织专场招聘。")
    v.walk(agreed, "handler2", 8, 7)
    v.act(agreed, "request_withdrawal", "handler2", 5, note="企业已通过劳务公司招满，申请撤单。")
    answer_withdrawal(
        v.codes[f3.id],
        agreed,
        {"answer": "agree", "note": "已招满，同意撤单。"},
        today=v.day(4),
        now=v.stamp(4),
    )
    # … and one confirmed by phone last month, found 不属实 and dispatched again.
    false = v.raised_by_cadre(f5, 30, "policy", "技改补贴兑现", "去年技改项目补贴至今未兑现。")
    v.walk(false, "handler1", 30, 29)
    v.act(false, "request_withdrawal", "handler1", 27, note="补贴需等待市级资金下达，建议撤单后重新申报。")
    v.act(false, "confirm_withdrawal", "officer", 26, note="电话联系企业财务，对方表示同意。")
    v.act(
        false,
        "review_withdrawal",
        "officer2",
        20,
        verdict="false",
        note="质检回访企业负责人，称并未同意撤单，补贴仍需兑现。",
    )
    v.walk(false, "handler1", 20, 19)

    # Last month's 回访抽查 sample, with its first calls.
    park = db.session.scalar(select(Park).where(Park.id == demo.park_id))
    assert park is not None
    draw = draw_callbacks(park, previous_month(today), today)
    reached = {
        "status": "reached",
        "confirmed": "yes",
        "satisfaction": "satisfied",
        "note": "企业确认问题已解决。",
    }
    for check, data in zip(draw.checks, (reached, {"status": "unreachable"}), strict=False):
        record_callback(check, officer, data | {"version": check.version}, today)
    db.session.flush()
    return {"codes": len(v.codes), "firm_problems": 6, "callbacks": len(draw.checks)}


def demo_service_link(base_url: str) -> Optional[tuple[str, str]]:
    """(the demo firm's name, its service link) for the demo's printout, if the demo is loaded."""
    firms = db.session.scalars(
        select(Enterprise).where(Enterprise.status == "active").order_by(Enterprise.id)
    )
    with_cadre = [f for f in firms if f.cadre is not None]
    if not with_cadre:
        return None
    firm = with_cadre[DEMO_FIRM_INDEX % len(with_cadre)]
    code = db.session.scalar(
        select(ServiceCode).where(ServiceCode.enterprise_id == firm.id, ServiceCode.revoked_at.is_(None))
    )
    token = token_of(code) if code is not None else None
    return (firm.name, f"{base_url.rstrip('/')}/s/{token}") if token else None
