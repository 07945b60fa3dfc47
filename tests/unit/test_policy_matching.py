"""Matching: each condition kind, its boundaries, combinations, and the three readings of the conditions
(the Python explanation, one policy's SQL, policies × firms in SQL) giving the same firms."""

import random
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from crm.models import Enterprise, Policy
from crm.services.policies.conditions import explain, meets, pair_clause, policy_clause
from crm.services.policies.matching import firm_policy_rows, pending_by_firm, policy_counts
from tests.support.dates import TODAY
from tests.support.factories import make_chain, make_enterprise, make_park, make_user
from tests.support.policies import give_profile, make_policy, make_tag


@pytest.fixture()
def m(db):
    """Two parks, two chains, two tags and firms that differ in one thing each."""
    park_a, park_b = make_park("A", "甲园区"), make_park("B", "乙园区")
    motor, food = make_chain("装备制造"), make_chain("轻工食品")
    export, reform = make_tag("出口企业"), make_tag("技术改造项目")
    w = SimpleNamespace(park_a=park_a, park_b=park_b, motor=motor, food=food, export=export, reform=reform)
    w.admin = make_user("admin", username="admin")
    w.officer = make_user("officer", park_a, username="officer_a")

    def firm(name, park=park_a, **fields):
        return make_enterprise(park, name, **fields)

    w.big = firm("大型规上企业", chain=motor, size="large", scale_type="above", founded_on=date(2010, 5, 1))
    w.medium = firm(
        "中型规上企业", chain=motor, size="medium", scale_type="above", founded_on=date(2021, 1, 1)
    )
    w.small = firm("小型规下企业", chain=food, size="small", scale_type="below", founded_on=date(2023, 6, 30))
    w.micro = firm("微型企业", size="micro", founded_on=date(2025, 3, 1))  # no chain, no 规上/规下
    w.bare = firm("未填画像企业")  # nothing known but its park
    w.other_park = firm("乙园区规上企业", park=park_b, chain=motor, size="medium", scale_type="above")
    w.closed = firm("注销企业", chain=motor, size="large", scale_type="above", status="closed")
    give_profile(w.big, {"hnte": 2019, "little_giant": 2024}, (export,))
    give_profile(w.medium, {"hnte": 2024}, (export, reform))
    give_profile(w.small, {"tech_sme": None, "srdi": 2025}, (reform,))
    give_profile(w.other_park, {"hnte": 2024}, (export,))
    give_profile(w.closed, {"hnte": 2024}, (export,))
    w.firms = [w.big, w.medium, w.small, w.micro, w.bare, w.other_park, w.closed]
    return w


def by_policy_sql(db, policy):
    return {f.name for f in db.session.scalars(select(Enterprise).where(policy_clause(policy)))}


def by_pair_sql(db, policy):
    stmt = select(Enterprise).join(Policy, Policy.id == policy.id).where(pair_clause())
    return {f.name for f in db.session.scalars(stmt)}


def by_python(policy, firms):
    return {f.name for f in firms if meets(policy, f)}


def matched(db, m, policy):
    """The firms the policy matches, after checking that all three readings agree."""
    db.session.expire_all()
    policy = db.session.get(Policy, policy.id)
    firms = [db.session.get(Enterprise, f.id) for f in m.firms]
    sql, pair, python = by_policy_sql(db, policy), by_pair_sql(db, policy), by_python(policy, firms)
    assert sql == pair == python, (sql, pair, python)
    return sql


ACTIVE_A = {"大型规上企业", "中型规上企业", "小型规下企业", "微型企业", "未填画像企业"}


def test_no_condition_matches_every_active_firm_and_never_a_closed_one(db, m):
    city = make_policy(m.admin)
    assert matched(db, m, city) == ACTIVE_A | {"乙园区规上企业"}
    own = make_policy(m.officer)  # a park's own policy: its park only, whatever else it says
    assert matched(db, m, own) == ACTIVE_A
    assert [p.name for p in own.parks] == ["甲园区"]


def test_park_condition(db, m):
    assert matched(db, m, make_policy(m.admin, park_ids=[m.park_b.id])) == {"乙园区规上企业"}
    both = make_policy(m.admin, park_ids=[m.park_a.id, m.park_b.id])
    assert matched(db, m, both) == ACTIVE_A | {"乙园区规上企业"}


def test_chain_condition_needs_the_firm_to_have_one_of_them(db, m):
    motor = make_policy(m.officer, chain_ids=[m.motor.id])
    assert matched(db, m, motor) == {"大型规上企业", "中型规上企业"}
    either = make_policy(m.officer, chain_ids=[m.motor.id, m.food.id])
    assert matched(db, m, either) == {
        "大型规上企业",
        "中型规上企业",
        "小型规下企业",
    }  # not the firms without one


def test_size_condition(db, m):
    assert matched(db, m, make_policy(m.officer, sizes=["small", "micro"])) == {"小型规下企业", "微型企业"}


def test_scale_condition_and_an_unknown_scale(db, m):
    assert matched(db, m, make_policy(m.officer, scale_type="above")) == {"大型规上企业", "中型规上企业"}
    assert matched(db, m, make_policy(m.officer, scale_type="below")) == {"小型规下企业"}


def test_qualification_condition_any_of_and_the_recognition_year_boundary(db, m):
    hnte = make_policy(m.officer, qualifications=["hnte"])
    assert matched(db, m, hnte) == {"大型规上企业", "中型规上企业"}
    # Recognised in 2024 or later: 2024 itself counts, 2019 does not.
    recent = make_policy(m.officer, qualifications=["hnte"], qualified_since=2024)
    assert matched(db, m, recent) == {"中型规上企业"}
    # Any of the listed ones; an unknown year never meets a year bound.
    srdi_or_sme = make_policy(m.officer, qualifications=["srdi", "tech_sme"], qualified_since=2025)
    assert matched(db, m, srdi_or_sme) == {"小型规下企业"}  # by its 2025 专精特新, not its undated 科小
    sme_since = make_policy(m.officer, qualifications=["tech_sme"], qualified_since=2020)
    assert matched(db, m, sme_since) == set()


def test_tag_condition(db, m):
    assert matched(db, m, make_policy(m.officer, tag_ids=[m.reform.id])) == {"中型规上企业", "小型规下企业"}
    either = make_policy(m.officer, tag_ids=[m.reform.id, m.export.id])
    assert matched(db, m, either) == {"大型规上企业", "中型规上企业", "小型规下企业"}


def test_founded_window_is_inclusive_at_both_ends(db, m):
    since = make_policy(m.officer, founded_from=date(2021, 1, 1))
    assert matched(db, m, since) == {"中型规上企业", "小型规下企业", "微型企业"}  # 2021-01-01 itself counts
    day_after = make_policy(m.officer, founded_from=date(2021, 1, 2))
    assert matched(db, m, day_after) == {"小型规下企业", "微型企业"}
    until = make_policy(m.officer, founded_to=date(2023, 6, 30))
    assert matched(db, m, until) == {"大型规上企业", "中型规上企业", "小型规下企业"}
    window = make_policy(m.officer, founded_from=date(2021, 1, 1), founded_to=date(2023, 6, 29))
    assert matched(db, m, window) == {"中型规上企业"}  # the unknown founding date never matches


def test_conditions_combine_as_and_across_kinds(db, m):
    policy = make_policy(
        m.admin,
        park_ids=[m.park_a.id, m.park_b.id],
        chain_ids=[m.motor.id],
        sizes=["medium", "large"],
        scale_type="above",
        qualifications=["hnte"],
        qualified_since=2024,
        tag_ids=[m.export.id],
    )
    assert matched(db, m, policy) == {"中型规上企业", "乙园区规上企业"}
    assert matched(db, m, make_policy(m.officer, scale_type="below", chain_ids=[m.motor.id])) == set()


def test_explain_says_why_each_condition_holds_or_not(db, m):
    policy = make_policy(m.officer, scale_type="above", qualifications=["hnte"], qualified_since=2024)
    checks = {c.label: c for c in explain(policy, m.big)}
    assert (checks["园区"].wanted, checks["园区"].actual, checks["园区"].ok) == ("甲园区", "甲园区", True)
    assert (checks["规模类型"].actual, checks["规模类型"].ok) == ("规上", True)
    qual = checks["资质"]
    assert qual.wanted == "高新技术企业（2024年及以后认定）"
    assert qual.actual == "高新技术企业（2019年）、国家级专精特新“小巨人”企业（2024年）"
    assert qual.ok is False
    bare = {c.label: c for c in explain(policy, m.bare)}
    assert (bare["规模类型"].actual, bare["资质"].actual) == ("未填写", "无")


def test_three_readings_agree_on_a_random_grid(db, m):
    """Random policies over every kind, each checked against every firm three ways."""
    rnd = random.Random(16)
    for _ in range(25):
        fields = {}
        if rnd.random() < 0.4:
            fields["park_ids"] = rnd.sample([m.park_a.id, m.park_b.id], rnd.randint(1, 2))
        if rnd.random() < 0.4:
            fields["chain_ids"] = rnd.sample([m.motor.id, m.food.id], rnd.randint(1, 2))
        if rnd.random() < 0.4:
            fields["sizes"] = rnd.sample(["large", "medium", "small", "micro"], rnd.randint(1, 3))
        if rnd.random() < 0.3:
            fields["scale_type"] = rnd.choice(["above", "below"])
        if rnd.random() < 0.5:
            fields["qualifications"] = rnd.sample(
                ["hnte", "srdi", "tech_sme", "little_giant"], rnd.randint(1, 2)
            )
            if rnd.random() < 0.5:
                fields["qualified_since"] = rnd.choice([2019, 2024, 2025])
        if rnd.random() < 0.4:
            fields["tag_ids"] = rnd.sample([m.export.id, m.reform.id], rnd.randint(1, 2))
        if rnd.random() < 0.3:
            fields["founded_from"] = rnd.choice([date(2010, 5, 1), date(2021, 1, 1), date(2023, 7, 1)])
        actor = (
            m.admin if "park_ids" in fields else rnd.choice([m.admin, m.officer])
        )  # officers: own park only
        matched(db, m, make_policy(actor, **fields))


def test_a_firm_sees_current_policies_it_meets_and_pending_ones_per_firm(db, m):
    hnte = make_policy(m.officer, title="高企奖励", qualifications=["hnte"], apply_to=date(2026, 11, 10))
    make_policy(m.officer, title="草稿政策", publish=False)
    expired = {"valid_to": date(2026, 10, 31), "apply_to": date(2026, 10, 31)}
    make_policy(m.officer, title="已过期政策", today=date(2026, 10, 1), **expired)  # published in October
    make_policy(m.officer, title="科小补助", qualifications=["tech_sme"])
    closed_window = make_policy(m.officer, title="窗口已关", apply_to=date(2026, 11, 1))
    rows = firm_policy_rows(m.medium, TODAY, m.officer)
    assert [r.policy.title for r in rows] == ["高企奖励", "窗口已关"]  # open windows first
    assert all(r.matches and r.status == "matched" for r in rows)
    pending = pending_by_firm([m.medium.id, m.small.id, m.other_park.id], TODAY)
    assert {k: [p.title for p in v] for k, v in pending.items()} == {
        m.medium.id: ["高企奖励"],  # 窗口已关 is no longer worth delivering
        m.small.id: ["科小补助"],
    }
    counts = policy_counts([hnte, closed_window], TODAY, m.officer)
    assert (counts[hnte.id].matched, counts[hnte.id].pending) == (2, 2)
    assert (counts[closed_window.id].matched, counts[closed_window.id].pending) == (5, 0)
