"""The firm–policy pair: 已匹配 → 已送达 → 有意申报 / 不符合 → 已申报 → 已兑现 / 未获批, who may take each
step, the refusals in Chinese (nothing changes), and the timeline and audit every step writes."""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from crm.models import AuditLog, PolicyEvent, PolicyMatch
from crm.models.policy_workflow import STATUSES, STEPS, steps_from
from crm.services import ServiceError
from crm.services.policies.delivery import deliver_on_visit, firm_answer, pair_timeline, take_step
from crm.services.policies.library import withdraw_policy
from tests.support.dates import TODAY
from tests.support.factories import make_enterprise, make_park, make_user
from tests.support.policies import give_profile, make_policy
from tests.support.visits import make_logged_visit


@pytest.fixture()
def d(db):
    park, other = make_park("A", "甲园区"), make_park("B", "乙园区")
    w = SimpleNamespace(park=park)
    w.officer = make_user("officer", park, username="officer_a")
    w.officer_b = make_user("officer", other, username="officer_b")
    w.cadre = make_user("cadre", park, username="cadre_a")
    w.cadre2 = make_user("cadre", park, username="cadre_a2")
    w.leader = make_user("leader", username="leader")
    w.firm = make_enterprise(
        park, "湘潭电机有限公司", cadre=w.cadre, assigned_by=w.officer, scale_type="above"
    )
    w.small = make_enterprise(
        park, "小微企业有限公司", cadre=w.cadre, assigned_by=w.officer, scale_type="below"
    )
    give_profile(w.firm, {"hnte": 2024})
    w.policy = make_policy(
        w.officer,
        title="规上企业稳岗补贴",
        scale_type="above",
        max_amount="20",
        apply_from=date(2026, 10, 1),
        apply_to=date(2026, 11, 30),
        today=date(2026, 10, 1),  # published on the 1st of October
    )
    db.session.commit()
    return w


def pairs(db) -> int:
    return db.session.scalar(select(func.count(PolicyMatch.id)))


def refused(db, message, *args, **kwargs):
    """take_step must refuse with exactly message and leave no trace."""
    before = (pairs(db), db.session.scalar(select(func.count(PolicyEvent.id))))
    with pytest.raises(ServiceError) as exc:
        take_step(*args, **kwargs)
    assert str(exc.value) == message
    db.session.rollback()
    assert (pairs(db), db.session.scalar(select(func.count(PolicyEvent.id)))) == before


def test_the_whole_way_to_paid_writes_the_timeline_and_the_audit(db, d):
    p, f = d.policy, d.firm
    pair = take_step(d.cadre, p, f, "deliver", TODAY, on=date(2026, 10, 30))
    assert (pair.status, pair.delivered_on, pair.delivered_by_id) == (
        "delivered",
        date(2026, 10, 30),
        d.cadre.id,
    )
    take_step(d.cadre, p, f, "interest", TODAY, on=date(2026, 10, 31))
    take_step(d.cadre, p, f, "apply", TODAY, on="2026-10-31")
    pair = take_step(d.officer, p, f, "approve", TODAY, on=TODAY, amount="12.5")
    assert (pair.status, pair.applied_on, pair.decided_on, pair.amount) == (
        "approved",
        date(2026, 10, 31),
        TODAY,
        Decimal("12.50"),
    )
    events = pair_timeline(f)
    assert [(e.action, e.from_status, e.to_status) for e in reversed(events)] == [
        ("deliver", "matched", "delivered"),
        ("interest", "delivered", "interested"),
        ("apply", "interested", "applied"),
        ("approve", "applied", "approved"),
    ]
    assert events[0].amount == Decimal("12.50") and events[0].actor_id == d.officer.id
    audits = db.session.scalars(
        select(AuditLog.summary).where(AuditLog.enterprise_id == f.id, AuditLog.entity_type == "policy_match")
    ).all()
    assert "政策「规上企业稳岗补贴」已兑现，12.5万元" in audits and len(audits) == 4


@pytest.mark.parametrize(
    "steps, code, kwargs, message",
    [
        ([], "approve", {"amount": "5"}, "只有“已申报”的政策才能登记兑现（当前为“已匹配”）"),
        ([], "apply", {}, "企业表示有意申报后才能登记已申报（当前为“已匹配”）"),
        (["deliver"], "deliver", {}, "该政策已是“已送达”，不能重复操作"),
        (["deliver"], "ineligible", {}, "原因不能为空"),
        (
            ["deliver", "interest"],
            "apply",
            {"on": "2026-09-30"},
            "申报日期不能早于申报开始日期（2026-10-01）",
        ),
        (["deliver", "interest"], "apply", {"on": "2026-11-03"}, "申报日期不能晚于今天"),
        (
            ["deliver", "interest"],
            "apply",
            {"on": "2026-10-31"},
            "申报日期不能早于上一步的日期（2026-11-02）",
        ),
        (["deliver", "interest", "apply"], "approve", {}, "兑现金额（万元）不能为空"),
        (["deliver", "interest", "apply"], "approve", {"amount": "0"}, "兑现金额应大于0"),
        (
            ["deliver", "interest", "apply"],
            "approve",
            {"amount": "20.01"},
            "兑现金额不能超过该政策的最高支持金额 20 万元",
        ),
        (["deliver", "interest", "apply"], "approve", {"amount": "abc"}, "兑现金额（万元）应为数字"),
        (
            ["deliver", "interest", "apply"],
            "approve",
            {"amount": "5", "on": "2026-10-01"},
            "兑现日期不能早于申报日期（2026-11-02）",
        ),
        (["deliver", "ineligible"], "interest", {}, "该政策当前为“不符合”，不能“有意申报”"),
        (["deliver", "interest", "apply", "approve"], "reject", {}, "该政策当前为“已兑现”，不能“未获批”"),
        ([], "undeliver", {"reason": "误勾选"}, "该政策当前为“已匹配”，不能“撤销送达”"),
        ([], "fly", {}, "未知的操作"),
    ],
)
def test_refusals_in_chinese_change_nothing(db, d, steps, code, kwargs, message):
    extra = {"ineligible": {"reason": "研发投入不达标"}, "approve": {"amount": "5"}}
    for step in steps:
        take_step(d.cadre, d.policy, d.firm, step, TODAY, **extra.get(step, {}))
    db.session.commit()
    refused(db, message, d.cadre, d.policy, d.firm, code, TODAY, **kwargs)


def test_who_may_act(db, d):
    p, f = d.policy, d.firm
    refused(db, "没有对该企业进行“送达”的权限", d.cadre2, p, f, "deliver", TODAY)  # not the firm's cadre
    refused(db, "没有对该企业进行“送达”的权限", d.officer_b, p, f, "deliver", TODAY)  # another park
    refused(db, "没有对该企业进行“送达”的权限", d.leader, p, f, "deliver", TODAY)  # leaders read only
    refused(db, "企业不能在服务码页面进行“送达”", None, p, f, "deliver", TODAY, by_firm=True)
    refused(db, "小微企业有限公司不符合该政策的条件，不能“送达”", d.cadre, p, d.small, "deliver", TODAY)
    take_step(d.officer, p, f, "deliver", TODAY)  # the park's office may


def test_a_policy_out_of_force_cannot_be_delivered(db, d):
    withdraw_policy(d.officer, d.policy, "文件废止")
    refused(db, "该政策未发布或已不在有效期内，不能“送达”", d.cadre, d.policy, d.firm, "deliver", TODAY)


def test_undo_a_delivery_and_the_firm_answering_on_its_own_page(db, d):
    take_step(d.cadre, d.policy, d.firm, "deliver", TODAY)
    pair = take_step(d.cadre, d.policy, d.firm, "undeliver", TODAY, reason="误勾选")
    assert (pair.status, pair.delivered_on, pair.reason) == ("matched", None, "误勾选")
    pair = firm_answer(d.firm, d.policy, "decline", TODAY, reason="暂无扩产计划")
    assert (pair.status, pair.reason) == ("declined", "暂无扩产计划")
    pair = firm_answer(d.firm, d.policy, "interest", TODAY)  # it changed its mind
    assert pair.status == "interested"
    event = pair_timeline(d.firm)[0]
    assert (event.by_firm, event.actor_id) == (True, None)
    with pytest.raises(ServiceError, match="企业只能选择“有意申报”或“不需要”"):
        firm_answer(d.firm, d.policy, "approve", TODAY)
    with pytest.raises(ServiceError, match="不符合该政策的条件"):
        firm_answer(d.small, d.policy, "interest", TODAY)


def test_delivering_the_ticked_policies_of_a_visit(db, d):
    other = make_policy(d.officer, title="高企奖励", qualifications=["hnte"], today=date(2026, 10, 1))
    visit = make_logged_visit(d.firm, d.cadre, visited_on=date(2026, 10, 30))
    assert deliver_on_visit(d.cadre, d.firm, visit, [str(d.policy.id), other.id, d.policy.id], TODAY) == 2
    rows = db.session.scalars(select(PolicyMatch).order_by(PolicyMatch.policy_id)).all()
    assert [(r.status, r.delivered_on, r.visit_id) for r in rows] == [
        ("delivered", date(2026, 10, 30), visit.id)
    ] * 2
    with pytest.raises(ServiceError, match="送达的政策不存在"):
        deliver_on_visit(d.cadre, d.firm, visit, [999999], TODAY)
    with pytest.raises(ServiceError, match="送达的政策无效"):
        deliver_on_visit(d.cadre, d.firm, visit, ["x"], TODAY)


def test_the_declaration_is_consistent():
    for step in STEPS.values():
        assert step.to_state in STATUSES and set(step.from_states) <= set(STATUSES)
        assert step.to_state not in step.from_states
    assert [s.code for s in steps_from("matched", "firm")] == ["interest", "decline"]
    assert [s.code for s in steps_from("applied", "cadre")] == ["approve", "reject"]
