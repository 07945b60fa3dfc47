"""Raising a firm's problem (crm.services.problems.intake.raise_problem): 待交办, validated, audited."""

from datetime import date

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import AuditLog, Problem, Visit
from crm.services import ServiceError
from crm.services.problems.intake import raise_problem
from tests.support.factories import make_enterprise, make_park, make_user


@pytest.fixture()
def park(db):
    return make_park()


@pytest.fixture()
def cadre(park):
    return make_user("cadre", park)


@pytest.fixture()
def firm(park, cadre):
    return make_enterprise(park, "湘潭电机有限公司", cadre=cadre)


def visit_of(firm, cadre):
    visit = Visit(
        enterprise_id=firm.id, cadre_id=cadre.id, visited_on=date(2026, 11, 2), kind="onsite", summary="走访"
    )
    db.session.add(visit)
    db.session.flush()
    return visit


def problem_data(**overrides):
    return {
        "title": "新厂房用电增容迟迟未批",
        "description": "企业三月提交申请，\n至今未答复。",
        "category": "utilities",
        "source": "phone",
    } | overrides


def counts(db):
    return (
        db.session.scalar(select(func.count(Problem.id))),
        db.session.scalar(select(func.count(AuditLog.id))),
    )


def test_raise_problem_outside_a_visit(db, firm, cadre):
    problem = raise_problem(firm, cadre, problem_data(title=" 用电　增容 "))
    assert (problem.status, problem.status_label) == ("new", "待交办")
    assert (problem.title, problem.category, problem.urgency, problem.source) == (
        "用电 增容",
        "utilities",
        "normal",
        "phone",
    )
    assert problem.description == "企业三月提交申请，\n至今未答复。"
    assert (problem.raised_by_id, problem.enterprise_id, problem.visit_id) == (cadre.id, firm.id, None)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity_type == "problem"))
    assert (entry.entity_id, entry.enterprise_id, entry.action) == (problem.id, firm.id, "create")
    assert entry.summary == "反映问题：用电 增容（水电气要素）"


def test_source_defaults_to_visit_when_raised_during_one(db, firm, cadre):
    visit = visit_of(firm, cadre)
    problem = raise_problem(firm, cadre, problem_data(source="", urgency="urgent"), visit=visit)
    assert (problem.source, problem.visit_id, problem.urgency) == ("visit", visit.id, "urgent")


def test_visit_of_another_firm_is_refused(db, park, firm, cadre):
    other = make_enterprise(park, cadre=cadre)
    before = counts(db)
    with pytest.raises(ServiceError, match="走访记录与企业不一致"):
        raise_problem(firm, cadre, problem_data(), visit=visit_of(other, cadre))
    assert counts(db) == before


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"title": ""}, "问题标题不能为空"),
        ({"title": "问" * 201}, "问题标题不能超过200字"),
        ({"description": " \n "}, "问题描述不能为空"),
        ({"category": ""}, "请选择问题类别"),
        ({"category": "weather"}, "问题类别取值无效"),
        ({"urgency": "panic"}, "紧急程度取值无效"),
        ({"source": ""}, "请选择问题来源"),
        ({"source": "rumour"}, "问题来源取值无效"),
    ],
)
def test_bad_problem_is_refused_and_changes_nothing(db, firm, cadre, overrides, message):
    before = counts(db)
    with pytest.raises(ServiceError, match=message):
        raise_problem(firm, cadre, problem_data(**overrides))
    assert counts(db) == before


def test_officer_of_the_park_may_raise(db, park, firm):
    officer = make_user("officer", park)
    assert raise_problem(firm, officer, problem_data()).raised_by_id == officer.id


@pytest.mark.parametrize("role", ["handler", "leader", "other_park_officer", "other_cadre"])
def test_others_may_not_raise(db, park, firm, role):
    actor = {
        "handler": lambda: make_user("handler", park),
        "leader": lambda: make_user("leader", park),
        "other_park_officer": lambda: make_user("officer", make_park()),
        "other_cadre": lambda: make_user("cadre", park),
    }[role]()
    before = counts(db)
    with pytest.raises(ServiceError, match="没有为该企业反映问题的权限"):
        raise_problem(firm, actor, problem_data())
    assert counts(db) == before
