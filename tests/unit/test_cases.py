"""典型案例: promotion rules, uniqueness, edits with their audit, 撤下/恢复, the search (words ANDed, LIKE
wildcards literal), scope per role, and what the firm page may read."""

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import AuditLog, TypicalCase
from crm.services import ServiceError
from crm.services.knowledge.case_public import cases_for_firm, cases_like_firms_own
from crm.services.knowledge.case_queries import CaseFilters, case_search, like_pattern, search_terms
from crm.services.knowledge.cases import (
    cited_counts,
    parse_tags,
    promote_problem,
    restore_case,
    update_case,
    withdraw_case,
)
from tests.support.factories import make_department, make_enterprise, make_park, make_user
from tests.support.policies import make_policy
from tests.support.problems import make_problem, problem_world, step


def _data(**overrides):
    data = {
        "title": "出口退税到账慢",
        "category": "finance",
        "summary": "税务局开通预审，资料容缺受理，退税5个工作日到账。",
        "basis": None,
        "policy_id": None,
        "department_id": None,
        "tags": "",
    }
    data.update(overrides)
    return data


@pytest.fixture()
def kw(db):
    w = problem_world()
    w.park_b = make_park(name="乙园区")
    w.officer_b = make_user("officer", w.park_b)
    w.cadre_b = make_user("cadre", w.park_b)
    w.firm_b = make_enterprise(w.park_b, cadre=w.cadre_b, assigned_by=w.officer_b)
    w.closed = make_problem(
        w.firm, w.cadre, "closed", w.dept, w.handler, title="出口退税到账慢", category="finance"
    )
    db.session.commit()
    return w


def _promote(w, problem=None, **overrides) -> TypicalCase:
    overrides.setdefault("department_id", w.dept.id)
    case = promote_problem(w.officer, problem or w.closed, _data(**overrides))
    db.session.commit()
    return case


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_promote_a_closed_problem_publishes_a_case_and_audits_it(kw):
    case = _promote(kw, department_id=str(kw.dept.id), tags="出口退税， 容缺受理、出口退税,预审 ")
    assert (case.status, case.park_id, case.problem_id) == ("published", kw.park.id, kw.closed.id)
    assert case.department_id == kw.dept.id and case.created_by_id == kw.officer.id
    assert case.tags == ["出口退税", "容缺受理", "预审"]  # split on ，、, trimmed, repeats dropped
    audit = db.session.scalars(select(AuditLog).where(AuditLog.entity_type == "typical_case")).all()
    assert [(a.entity_id, a.action, a.actor_id) for a in audit] == [(case.id, "create", kw.officer.id)]


@pytest.mark.parametrize(
    "state, message",
    [("resolved", "只有已销号"), ("in_progress", "只有已销号"), ("withdrawn", "撤单销号")],
)
def test_only_a_problem_closed_after_evaluation_can_be_promoted(kw, state, message):
    problem = make_problem(kw.firm, kw.cadre, state, kw.dept, kw.handler, officer=kw.officer)
    with pytest.raises(ServiceError, match=message):
        promote_problem(kw.officer, problem, _data())
    db.session.rollback()
    assert _count(TypicalCase) == 0


def test_a_forced_close_cannot_be_promoted(kw):
    problem = make_problem(kw.firm, kw.cadre, "in_progress", kw.dept, kw.handler, officer=kw.officer)
    step(problem, "force_close", kw.officer, note="企业已注销，无需继续办理")
    assert problem.status == "closed"
    with pytest.raises(ServiceError, match="强制销号"):
        promote_problem(kw.officer, problem, _data())


def test_a_problem_is_promoted_at_most_once(kw):
    _promote(kw)
    with pytest.raises(ServiceError, match="已设为典型案例"):
        promote_problem(kw.officer, kw.closed, _data(title="另一个标题"))
    db.session.rollback()
    assert _count(TypicalCase) == 1


@pytest.mark.parametrize("who", ["cadre", "handler", "officer_b", "deputy"])
def test_only_the_office_in_scope_promotes(kw, who):
    with pytest.raises(ServiceError, match="权限"):
        promote_problem(getattr(kw, who), kw.closed, _data())
    db.session.rollback()
    assert _count(TypicalCase) == 0
    assert db.session.scalars(select(AuditLog).where(AuditLog.entity_type == "typical_case")).all() == []


def test_an_admin_promotes_in_any_park(kw):
    closed_b = make_problem(kw.firm_b, kw.cadre_b, "closed", kw.dept, kw.handler, officer=kw.officer_b)
    case = promote_problem(kw.admin, closed_b, _data())
    assert case.park_id == kw.park_b.id


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("title", "", "案例标题不能为空"),
        ("title", "退税\x00慢", "控制字符"),
        ("title", "长" * 201, "不能超过200字"),
        ("summary", "   ", "解决经过不能为空"),
        ("summary", "经过\x1b[31m", "控制字符"),
        ("summary", "字" * 2001, "不能超过2000字"),
        ("basis", "依" * 501, "不能超过500字"),
        ("category", "nonsense", "问题类别取值无效"),
        ("department_id", "999999", "解决部门不存在"),
        ("department_id", "9" * 40, "选项无效"),
        ("department_id", str(2**31), "选项无效"),  # past PostgreSQL's INTEGER
        ("policy_id", "9" * 5000, "选项无效"),  # past what int() reads
        ("policy_id", "999999", "关联政策不存在"),
        ("policy_id", "abc", "选项无效"),
        ("tags", "、".join(f"标签{i}" for i in range(11)), "最多10个"),
        ("tags", "长" * 21, "超过20字"),
        ("tags", "好\t标签", "控制字符"),
    ],
)
def test_hostile_input_is_refused_and_changes_nothing(kw, field, value, message):
    with pytest.raises(ServiceError, match=message):
        promote_problem(kw.officer, kw.closed, _data(**{field: value}))
    db.session.rollback()
    assert _count(TypicalCase) == 0
    assert db.session.scalars(select(AuditLog).where(AuditLog.entity_type == "typical_case")).all() == []


def test_the_case_may_not_name_its_firm(kw):
    with pytest.raises(ServiceError, match="企业名称"):
        promote_problem(kw.officer, kw.closed, _data(summary=f"{kw.firm.name}的退税已到账"))


def test_department_and_policy_must_serve_the_case_park(kw):
    other_park_dept = make_department("乙园区经发局", park=kw.park_b)
    with pytest.raises(ServiceError, match="解决部门不存在"):
        promote_problem(kw.officer, kw.closed, _data(department_id=other_park_dept.id))
    foreign_policy = make_policy(kw.officer_b, title="乙园区政策")
    with pytest.raises(ServiceError, match="关联政策不存在"):
        promote_problem(kw.officer, kw.closed, _data(policy_id=foreign_policy.id))
    own_policy = make_policy(kw.officer, title="本园区政策")
    case = promote_problem(kw.officer, kw.closed, _data(policy_id=str(own_policy.id)))
    assert case.policy_id == own_policy.id


def test_edit_records_what_changed_and_refuses_a_stale_form(kw):
    case = _promote(kw)
    changes = update_case(
        kw.officer,
        case,
        _data(title="出口退税五日到账", tags="退税", department_id=kw.dept.id, version=case.version),
    )
    db.session.commit()
    assert set(changes) == {"title", "tags"} and case.tags == ["退税"]
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "update"))
    assert entry.changes["title"] == ["出口退税到账慢", "出口退税五日到账"]
    with pytest.raises(ServiceError, match="已被其他人修改"):
        update_case(kw.officer, case, _data(title="过时的表单", version=case.version - 1))
    assert (
        update_case(
            kw.officer,
            case,
            _data(title="出口退税五日到账", tags="退税", department_id=kw.dept.id, version=case.version),
        )
        == {}
    )


def test_withdraw_needs_a_reason_and_restore_brings_it_back(kw):
    case = _promote(kw)
    with pytest.raises(ServiceError, match="撤下原因不能为空"):
        withdraw_case(kw.officer, case, "  ")
    assert case.status == "published"
    withdraw_case(kw.officer, case, "政策已调整")
    assert case.status == "withdrawn"
    with pytest.raises(ServiceError, match="只有已发布"):
        withdraw_case(kw.officer, case, "再撤一次")
    with pytest.raises(ServiceError, match="权限"):
        restore_case(kw.cadre, case)
    restore_case(kw.officer, case)
    assert case.status == "published"
    actions = db.session.scalars(
        select(AuditLog.action)
        .where(AuditLog.entity_type == "typical_case", AuditLog.entity_id == case.id)
        .order_by(AuditLog.id)
    ).all()
    assert actions == ["create", "withdraw", "restore"]
    assert "政策已调整" in db.session.scalar(select(AuditLog.summary).where(AuditLog.action == "withdraw"))


def test_parse_tags():
    assert parse_tags(" a , b，c、a;d\n e ") == ["a", "b", "c", "d", "e"]
    assert parse_tags("") == [] and parse_tags(None) == []
    assert parse_tags("预审 容缺") == ["预审 容缺"]  # a space is part of a tag, not a separator


def test_search_terms_and_like_escaping():
    assert search_terms("招工难 技工") == ["招工难", "技工"]  # 招工 lies within 招工难
    assert search_terms("慢") == ["慢"]  # nothing the tokenizer keeps: searched as typed
    assert like_pattern("50%_\\") == "%50\\%\\_\\\\%"


def _titles(user, **flt) -> list[str]:
    found = case_search(user, CaseFilters(**flt))
    return [c.title for c in db.session.scalars(found.stmt).unique()]


@pytest.fixture()
def library(kw):
    """Three cases in park A, one withdrawn, one in park B."""

    def closed(title, category="finance", firm=None, cadre=None, officer=None):
        return make_problem(
            firm or kw.firm, cadre or kw.cadre, "closed", kw.dept, kw.handler, title=title,
            category=category, officer=officer or kw.officer,
        )  # fmt: skip

    lib = SimpleNamespace()
    lib.tax = _promote(kw, title="出口退税到账慢", basis="出口退税预审+容缺受理", tags="出口退税")
    lib.pct = _promote(
        kw, closed("补贴比例"), title="补贴比例50%", summary="按50%比例补贴，三日内到账。", tags="补贴"
    )
    lib.plain = _promote(
        kw, closed("补贴五百"), title="补贴比例500元", summary="每人补贴500元。", basis="稳岗政策"
    )
    lib.land = _promote(
        kw, closed("用地", "land"), title="新增用地指标落实", category="land", summary="自然资源局调剂指标。",
        tags="用地、容缺受理",
    )  # fmt: skip
    lib.gone = _promote(kw, closed("撤下的"), title="已撤下的退税案例", summary="退税到账。")
    withdraw_case(kw.officer, lib.gone, "做法已过时")
    closed_b = closed("乙园区退税", firm=kw.firm_b, cadre=kw.cadre_b, officer=kw.officer_b)
    lib.foreign = promote_problem(kw.officer_b, closed_b, _data(title="乙园区出口退税"))
    db.session.commit()
    return lib


def test_search_ands_the_words_over_title_summary_basis_and_tags(kw, library):
    assert _titles(kw.officer, q="出口退税") == ["出口退税到账慢"]
    assert _titles(kw.officer, q="补贴 比例") == ["补贴比例500元", "补贴比例50%"]
    assert _titles(kw.officer, q="稳岗 补贴") == ["补贴比例500元"]  # 稳岗 in its basis, 补贴 in its title
    assert _titles(kw.officer, q="退税 用地") == []  # no case has both
    assert _titles(kw.officer, q="容缺受理") == ["新增用地指标落实", "出口退税到账慢"]  # tag / basis
    assert _titles(kw.officer, q="稳岗") == ["补贴比例500元"]  # basis only


def test_like_wildcards_typed_in_the_box_match_themselves(kw, library):
    assert _titles(kw.officer, q="50%") == ["补贴比例50%"]
    assert _titles(kw.officer, q="%") == ["补贴比例50%"]
    assert _titles(kw.officer, q="_") == []


def test_filters_and_tags_offered(kw, library):
    assert _titles(kw.officer, category="land") == ["新增用地指标落实"]
    assert _titles(kw.officer, tag="补贴") == ["补贴比例50%"]
    assert _titles(kw.officer, tag="没有的标签") == []
    assert _titles(kw.officer, department=kw.dept.id, q="用地") == ["新增用地指标落实"]
    assert set(case_search(kw.officer, CaseFilters()).tags) == {"出口退税", "补贴", "用地", "容缺受理"}


def test_scope_per_role(kw, library):
    park_a = {"出口退税到账慢", "补贴比例50%", "补贴比例500元", "新增用地指标落实"}
    assert set(_titles(kw.cadre)) == park_a  # the park's knowledge, whatever firms the cadre serves
    assert set(_titles(kw.handler)) == park_a
    assert set(_titles(kw.officer_b)) == {"乙园区出口退税"}
    assert set(_titles(kw.admin)) == park_a | {"乙园区出口退税"}
    assert set(_titles(kw.officer, status="withdrawn")) == {"已撤下的退税案例"}
    assert set(_titles(kw.officer, status="all")) == park_a | {"已撤下的退税案例"}
    assert _titles(kw.cadre, status="withdrawn") == []  # only the office sees withdrawn cases
    assert set(_titles(kw.cadre, status="all")) == park_a


def test_cited_counts_problems_answered_from_the_case(kw, library):
    for _ in range(2):  # 现场解答: the cadre gives the case's answer on the spot
        p = make_problem(kw.firm, kw.cadre, "new", title="也是退税")
        step(p, "solve_on_spot", kw.cadre, note="按典型案例办理预审", answered_from=library.tax.problem_id)
    assert cited_counts([library.tax.problem_id, library.land.problem_id]) == {
        library.tax.problem_id: 2,
        library.land.problem_id: 0,
    }


def test_firm_page_reads_published_cases_of_its_park_and_categories(kw, library):
    firm = make_enterprise(kw.park, cadre=kw.cadre, assigned_by=kw.officer)
    grouped = cases_for_firm(firm, ["finance"])
    assert list(grouped) == ["finance"]
    titles = [c.title for c in grouped["finance"]]
    assert set(titles) == {"出口退税到账慢", "补贴比例50%", "补贴比例500元"}  # no withdrawn, no park B
    public = grouped["finance"][0]
    assert set(vars(public)) == {"category", "title", "summary", "department", "policy"}
    assert public.department == kw.dept.name
    assert cases_for_firm(firm, []) == {}
    assert list(cases_for_firm(firm)) == ["finance", "land"]
    # The firm a case came from is not shown its own problem's case.
    assert cases_for_firm(kw.firm, ["finance"]) == {}  # all park A's finance cases are kw.firm's own
    assert cases_for_firm(kw.firm_b) == {}  # park B's only case is its own
    neighbour_b = make_enterprise(kw.park_b, cadre=kw.cadre_b, assigned_by=kw.officer_b)
    assert [c.title for c in cases_for_firm(neighbour_b)["finance"]] == ["乙园区出口退税"]


def test_firm_home_takes_cases_of_the_categories_of_its_own_problems(kw, library):
    firm = make_enterprise(kw.park, cadre=kw.cadre, assigned_by=kw.officer)
    assert cases_like_firms_own(firm) == []  # no problems yet
    make_problem(firm, kw.cadre, "new", title="想扩建", category="land")
    assert [c.title for c in cases_like_firms_own(firm)] == ["新增用地指标落实"]
    make_problem(firm, kw.cadre, "new", title="退税", category="finance")
    picked = cases_like_firms_own(firm, limit=3)
    assert len(picked) == 3 and {c.category for c in picked} == {"land", "finance"}


def test_the_demo_park_has_published_cases_of_closed_problems(runner, db):
    result = runner.invoke(args=["crm", "demo"])
    assert result.exit_code == 0, result.output
    cases = db.session.scalars(select(TypicalCase)).all()
    assert {c.category for c in cases} >= {"finance", "land", "labour"}
    for case in cases:
        assert case.status == "published" and case.problem.status == "closed"
        assert case.problem.withdrawn_on is None and not case.problem.forced_close_reason
        assert case.problem.enterprise.name not in case.summary
    assert any(c.policy_id for c in cases) and all(c.department_id for c in cases)
    counts = cited_counts([c.problem_id for c in cases])
    assert any(counts[c.problem_id] for c in cases if c.category == "finance")  # one 现场解答 quotes it
