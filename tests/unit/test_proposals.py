"""共性问题 proposals: which open problems the system proposes to group, at the window's and the
thresholds' exact boundaries, each problem in at most one proposal, in one query."""

from datetime import timedelta

import pytest

from crm.extensions import db
from crm.services.knowledge import proposals
from crm.services.knowledge.common_issues import confirm_common_issue
from crm.services.knowledge.proposals import (
    MIN_FIRMS,
    TEXT_THRESHOLD,
    WINDOW_DAYS,
    jaccard,
    propose_common_issues,
    window_start,
    words_of,
)
from tests.support.dates import TODAY
from tests.support.factories import make_chain, make_department, make_enterprise, make_park, make_user
from tests.support.problems import make_problem

TITLES = ("标准厂房用地指标不足", "厂房扩建缺少用地", "新增用地指标申请", "园区厂房用地紧张")


@pytest.fixture()
def w(db):
    park = make_park()
    officer = make_user("officer", park)
    cadre = make_user("cadre", park)
    chain = make_chain("装备制造")
    firms = [make_enterprise(park, cadre=cadre, chain=chain, assigned_by=officer) for _ in range(5)]
    loose = [make_enterprise(park, cadre=cadre, assigned_by=officer) for _ in range(4)]  # no chain
    db.session.flush()
    return type(
        "W",
        (),
        {
            "park": park,
            "officer": officer,
            "cadre": cadre,
            "chain": chain,
            "firms": firms,
            "loose": loose,
            "dept": make_department(park=park),
        },
    )


def _raise(w, firm, title, category="land", days_ago=3, state="new", description=None):
    p = make_problem(
        firm,
        w.cadre,
        state,
        w.dept,
        officer=w.officer,
        title=title,
        category=category,
        raised_on=TODAY - timedelta(days=days_ago),
    )
    if description is not None:
        p.description = description
    db.session.flush()
    return p


def _proposed(w) -> list[list[int]]:
    return [sorted(prop.problem_ids) for prop in propose_common_issues(w.park.id, TODAY)]


def test_three_firms_of_a_chain_with_one_category_are_proposed_two_are_not(w):
    a = _raise(w, w.firms[0], "标准厂房用地指标不足")
    b = _raise(w, w.firms[1], "融资难", category="finance")  # another category: not counted
    c = _raise(w, w.firms[2], "扩建用地审批慢")
    assert _proposed(w) == []  # two firms with 用地
    d = _raise(w, w.firms[3], "仓库用地不够")
    (prop,) = propose_common_issues(w.park.id, TODAY)
    assert sorted(prop.problem_ids) == sorted([a.id, c.id, d.id]) and b.id not in prop.problem_ids
    assert (prop.firms, prop.category, prop.chain_id) == (MIN_FIRMS, "land", w.chain.id)
    assert "装备制造" in prop.reason and prop.suggested_team == "用地保障专班"


def test_the_same_firm_twice_counts_once(w):
    _raise(w, w.firms[0], "用地指标不足")
    _raise(w, w.firms[0], "厂房用地审批")
    _raise(w, w.firms[1], "仓库用地不够")
    assert _proposed(w) == []
    _raise(w, w.firms[2], "新增用地")
    (prop,) = propose_common_issues(w.park.id, TODAY)
    assert len(prop.problems) == 4 and prop.firms == 3


def test_the_window_includes_day_thirty_and_excludes_day_thirty_one(w):
    assert window_start(TODAY) == TODAY - timedelta(days=WINDOW_DAYS)
    _raise(w, w.firms[0], "用地指标不足", days_ago=0)
    _raise(w, w.firms[1], "厂房用地审批", days_ago=10)
    old = _raise(w, w.firms[2], "仓库用地不够", days_ago=WINDOW_DAYS + 1)
    assert _proposed(w) == []
    edge = _raise(w, w.firms[3], "新增用地", days_ago=WINDOW_DAYS)
    (ids,) = _proposed(w)
    assert edge.id in ids and old.id not in ids


def test_only_problems_still_being_worked_on_and_in_no_group(w):
    for i, state in enumerate(("resolved", "closed")):
        _raise(w, w.firms[i], f"用地问题{i}", state=state)
    p2 = _raise(w, w.firms[2], "用地问题2", state="returned")
    p3 = _raise(w, w.firms[3], "用地问题3", state="in_progress")
    assert _proposed(w) == []  # 已办结 and 已销号 are not counted
    p4 = _raise(w, w.firms[4], "用地问题4", state="dispatched")
    assert _proposed(w) == [sorted([p2.id, p3.id, p4.id])]
    other = _raise(w, w.loose[0], "用地问题5")
    confirm_common_issue(
        w.officer,
        [p2.id, other.id],
        {
            "title": "用地",
            "team_name": "用地专班",
            "team_kind": "department",
            "department_id": w.dept.id,
            "due_on": "2026-11-30",
        },
        TODAY,
    )
    assert _proposed(w) == []  # p2 is in an open group now: two firms left


def test_another_parks_problems_are_not_mixed_in(w):
    _raise(w, w.firms[0], "用地指标不足")
    _raise(w, w.firms[1], "厂房用地审批")
    other_park = make_park()
    foreign_cadre = make_user("cadre", other_park)
    foreign = make_enterprise(other_park, cadre=foreign_cadre, chain=w.chain)
    make_problem(foreign, foreign_cadre, "new", title="仓库用地不够", category="land", raised_on=TODAY)
    assert _proposed(w) == [] and propose_common_issues(None, TODAY) == []


def test_text_similarity_groups_at_the_threshold_not_below(w, monkeypatch):
    texts = (
        "用地指标不足，标准厂房无法扩建",
        "新建厂房缺少用地指标",
        "标准厂房用地指标紧张，扩产项目无法落地",
    )
    problems = [
        _raise(w, firm, text, category=cat, description=text)
        for firm, text, cat in zip(w.loose, texts, ("land", "approval", "other"), strict=False)
    ]
    words = [words_of(p) for p in problems]
    weakest_link = min(jaccard(words[0], words[1]), jaccard(words[0], words[2]))
    assert weakest_link >= TEXT_THRESHOLD  # with the real threshold these three are one cause
    (prop,) = propose_common_issues(w.park.id, TODAY)
    assert sorted(prop.problem_ids) == sorted(p.id for p in problems) and prop.reason == "问题描述相近"
    # Single linkage: each joins when alike to any member. Just above the weakest link it drops out.
    links = {(i, j): jaccard(words[i], words[j]) for i in range(3) for j in range(i + 1, 3)}
    strongest_of_weakest = max(min(v for k, v in links.items() if m in k) for m in range(3))
    monkeypatch.setattr(proposals, "TEXT_THRESHOLD", strongest_of_weakest + 0.001)
    assert _proposed(w) == []
    monkeypatch.setattr(proposals, "TEXT_THRESHOLD", strongest_of_weakest)
    assert len(_proposed(w)) == 1


def test_unrelated_texts_are_not_grouped(w):
    for firm, text in zip(w.loose, ("变压器容量不足需增容", "普工招聘困难", "出口退税进度慢"), strict=False):
        _raise(w, firm, text, category="other", description=text)
    assert _proposed(w) == []


def test_a_problem_appears_in_one_proposal_only_the_largest_first(w):
    chain_group = [_raise(w, f, t) for f, t in zip(w.firms[:4], TITLES, strict=False)]
    # Three chain-less firms with the same words as the first chain problem: a text group overlapping it.
    text = "标准厂房用地指标不足"
    for firm in w.loose[:3]:
        _raise(w, firm, text, category="other", description=text)
    chain_group[0].description = text
    db.session.flush()
    props = propose_common_issues(w.park.id, TODAY)
    seen = [pid for prop in props for pid in prop.problem_ids]
    assert len(seen) == len(set(seen))
    assert props == sorted(props, key=lambda p: -p.firms)
    assert all(prop.firms >= MIN_FIRMS for prop in props)


def test_proposals_cost_one_query_whatever_the_number(w, count_queries):
    park_id = w.park.id
    for i in range(3):
        _raise(w, w.firms[i], TITLES[i])
    db.session.commit()
    db.session.expire_all()
    with count_queries() as few:
        propose_common_issues(park_id, TODAY)
    for i in range(3, 5):
        _raise(w, w.firms[i], TITLES[i - 2])
    for firm in w.loose:
        _raise(w, firm, "普工招聘困难", category="labour", description="普工招聘困难")
    db.session.commit()
    db.session.expire_all()
    with count_queries() as many:
        assert len(propose_common_issues(park_id, TODAY)) == 2
    assert few.count == many.count == 1, many.statements
