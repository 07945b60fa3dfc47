"""Demo 画像 and 惠企政策: the managed tags, each firm's qualifications and tags from the demo's word list,
this year's policies for the park (some city-wide, most the park's own), and their pairs walked through
送达 → 有意申报 → 已申报 → 已兑现 (or 不符合 / 未获批) on dates between publication and today.
Everything goes through the services, as a park office would enter it.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import select

from crm.extensions import db
from crm.models import Assignment, Enterprise, Park, Policy, Tag, User
from crm.services.enterprises.profile import qualification_code
from crm.services.enterprises.tags import create_tag
from crm.services.policies.conditions import policy_clause
from crm.services.policies.delivery import take_step
from crm.services.policies.library import create_policy

DEMO_TAGS = ["出口企业", "技术改造项目", "新入园", "停产整顿", "订单不足", "招商引资重点项目"]
SEED = 20260316


def demo_tags(admin: User) -> dict[str, Tag]:
    """The managed tag list, as an admin keeps it."""
    return {name: create_tag(admin, name, order) for order, name in enumerate(DEMO_TAGS, start=1)}


def profile_of(words: list[str], tags: dict[str, Tag], rnd: random.Random, today: date) -> dict[str, Any]:
    """A firm's 画像 from the demo's words: qualifications (with a recognition year, mostly) and tag ids."""
    qualifications: dict[str, Optional[int]] = {}
    tag_ids: list[int] = []
    for word in words:
        code = qualification_code(word)
        if code is not None:
            qualifications[code] = rnd.choice((None, *range(today.year - 6, today.year + 1)))
        elif word in tags:
            tag_ids.append(tags[word].id)
    return {"qualifications": qualifications, "tag_ids": tag_ids}


@dataclass(frozen=True)
class DemoPolicy:
    owner: str  # "park": the park office enters it; "city": an admin
    month: int  # published on the 5th of this month of the current year
    days_open: int  # the window closes this many days after today (negative: closed already)
    data: dict[str, Any]


def _policy(owner: str, month: int, days_open: int, title: str, issuer: str, level: str, benefit: str,
            summary: str, **fields: Any) -> DemoPolicy:  # fmt: skip
    data = {"title": title, "issuer": issuer, "level": level, "benefit_kind": benefit, "summary": summary}
    return DemoPolicy(owner, month, days_open, data | fields)


def _policies(year: int, tags: dict[str, Tag]) -> list[DemoPolicy]:
    park_office = "湘潭高新区管委会"
    return [
        _policy(
            "city", 2, 9, f"{year}年高新技术企业认定奖励", "湘潭市科学技术局", "city", "fund",
            f"对{year - 1}年及以后首次认定的高新技术企业给予一次性奖励，最高20万元。"
            "需提交高新技术企业证书、上年度研发费用专项审计报告。",
            doc_no=f"潭科发〔{year}〕8号", max_amount="20", qualifications=["hnte"], qualified_since=year - 1,
            contact="市科技局 高新科 0731-58812345",
        ),
        _policy(
            "city", 3, 40, "专精特新中小企业培育奖励", "湖南省工业和信息化厅", "province", "fund",
            "对新认定的省级专精特新中小企业、国家级专精特新“小巨人”企业分别给予奖励；"
            "由园区经发局统一汇总申报。",
            doc_no=f"湘工信中小〔{year}〕31号", max_amount="50",
            qualifications=["srdi", "srdi_province", "little_giant"], contact="园区经发局 0731-58881201",
        ),
        _policy(
            "park", 4, 6, "规上工业企业稳岗扩岗补贴", park_office, "park", "fund",
            "上年度纳入规上统计的工业企业，按年末参保人数较上年净增部分每人1000元给予补贴，"
            "单户最高30万元。",
            doc_no=f"潭高新管发〔{year}〕12号", max_amount="30", scale_type="above",
            contact="园区人社局 李科长 0731-58881188",
        ),
        _policy(
            "city", 1, 120, "科技型中小企业研发费用加计扣除", "国家税务总局湘潭市税务局", "national", "tax",
            "科技型中小企业研发费用按100%在税前加计扣除；入库登记后在汇算清缴时享受。",
            qualifications=["tech_sme"], contact="12366 纳税服务热线",
        ),
        _policy(
            "park", 5, 25, "小微企业创业担保贷款贴息", "湘潭高新区财政局", "park", "finance",
            "园区小型、微型企业创业担保贷款按实际利息的50%给予贴息，单户最高10万元。",
            max_amount="10", sizes=["small", "micro"], contact="园区金融服务中心 0731-58881166",
        ),
        _policy(
            "park", 6, 14, "技术改造项目设备购置补助", "湘潭高新区经发局", "park", "fund",
            "技术改造项目当年新购生产设备投资额超过500万元的，按设备投资额的8%给予补助。",
            max_amount="100", tag_ids=[tags["技术改造项目"].id], scale_type="above",
            contact="园区经发局 0731-58881201",
        ),
        _policy(
            "city", 7, -5, "出口信用保险保费补贴", "湘潭市商务局", "city", "finance",
            "对投保短期出口信用保险的企业按实际缴纳保费的50%给予补贴。",
            max_amount="15", tag_ids=[tags["出口企业"].id], contact="市商务局 外贸科 0731-58867001",
        ),
        _policy(
            "park", 8, 60, "新入园企业开办补助", park_office, "park", "fund",
            "近两年新注册入园的企业，开办当年给予一次性开办补助5万元。",
            max_amount="5", founded_from=date(year - 2, 1, 1), contact="园区招商服务中心 0731-58881000",
        ),
    ]  # fmt: skip


def _step_day(rnd: random.Random, after: date, today: date, upto: Optional[date] = None) -> date:
    """A working day between after and min(today, upto)."""
    last = min(today, upto) if upto else today
    span = max((last - after).days, 0)
    day = after + timedelta(days=rnd.randint(0, min(span, 20)))
    while day.weekday() >= 5 and day < last:
        day += timedelta(days=1)
    return min(day, last)


def _walk(rnd: random.Random, policy: Policy, firm: Enterprise, cadre: User, today: date) -> int:
    """Take the pair some way along the workflow; returns the steps taken."""
    assert policy.published_on is not None, "demo policies are published"
    roll = rnd.random()
    if roll < 0.35:
        return 0  # 待送达
    day = _step_day(rnd, policy.published_on, today)
    take_step(cadre, policy, firm, "deliver", today, on=day)
    if roll < 0.5:
        return 1
    if roll < 0.58:
        take_step(cadre, policy, firm, "ineligible", today, on=day, reason="经核实上年研发投入占比未达要求")
        return 2
    day = _step_day(rnd, day, today)
    take_step(cadre, policy, firm, "interest", today, on=day)
    opens = policy.apply_from or day
    if roll < 0.7 or (policy.apply_to and policy.apply_to < max(opens, day)):
        return 2
    day = _step_day(rnd, max(opens, day), today, policy.apply_to)
    take_step(cadre, policy, firm, "apply", today, on=day)
    if roll < 0.8:
        return 3
    result = _step_day(rnd, day + timedelta(days=7), today)
    if roll < 0.85:
        take_step(cadre, policy, firm, "reject", today, on=result, reason="申报材料不完整，未通过评审")
        return 4
    cap = int(policy.max_amount or 20)
    amount = Decimal(rnd.randint(max(cap // 4, 1), cap))
    take_step(cadre, policy, firm, "approve", today, on=result, amount=amount)
    return 4


def load_demo_policies(today: date, park: Park, officer: User, admin: User) -> dict[str, int]:
    """This year's policies for the park, and their pairs on the cadres' rounds."""
    rnd = random.Random(SEED)
    tags = {t.name: t for t in db.session.scalars(select(Tag))}
    policies = []
    for spec in _policies(today.year, tags):
        published = min(date(today.year, spec.month, 5), today - timedelta(days=20))
        apply_to = today + timedelta(days=spec.days_open)
        data = spec.data | {
            "valid_from": date(today.year, 1, 1),
            "valid_to": max(date(today.year, 12, 31), apply_to),
            "apply_from": published,
            "apply_to": apply_to,
        }
        actor = officer if spec.owner == "park" else admin
        policies.append(create_policy(actor, data, published, publish=True))
    db.session.flush()
    steps = 0
    for policy in policies:
        rows = db.session.execute(
            select(Enterprise, User)
            .join(Assignment, (Assignment.enterprise_id == Enterprise.id) & Assignment.end_on.is_(None))
            .join(User, User.id == Assignment.cadre_id)
            .where(policy_clause(policy), Enterprise.park_id == park.id)
            .order_by(Enterprise.id)
        ).all()
        for firm, cadre in rows:
            steps += _walk(rnd, policy, firm, cadre, today)
    return {"policies": len(policies), "policy_steps": steps}
