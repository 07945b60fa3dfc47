"""The similar-problems fragment per role, what it must not leak, hostile input, and 现场解答 from the
problem form (and from a visit's problem section)."""

from datetime import date

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Problem, ProblemEvent
from crm.services.knowledge.index import INDEXES
from crm.services.problems.flow import apply_action
from crm.services.problems.intake import raise_problem
from tests.support.factories import make_department, make_enterprise, make_user

URL = "/knowledge/similar"
RAISED, DONE = date(2026, 10, 12), date(2026, 10, 20)


@pytest.fixture(autouse=True)
def _fresh_indexes():
    INDEXES.clear()
    yield
    INDEXES.clear()


def _walk(firm, cadre, officer, handler, dept, title, description, resolution, closed=True):
    data = {"title": title, "description": description, "category": "finance", "source": "visit"}
    p = raise_problem(firm, cadre, data, today=RAISED)
    apply_action(p, "dispatch", officer, {"department_id": dept.id}, today=RAISED)
    apply_action(p, "accept", handler, {}, today=RAISED)
    apply_action(p, "resolve", handler, {"note": resolution}, today=DONE)
    if closed:
        apply_action(p, "evaluate", cadre, {"evaluation": "satisfied"}, today=DONE)
    return p


@pytest.fixture()
def cases(world):
    """Solved 退税 problems: one of the cadre's firm, one of the other cadre's firm, one in park B."""
    w = world
    w.officer_b_user = w.officer_b
    w.handler_b = make_user("handler", w.park_b, username="handler_b", department=w.dept)
    w.own_case = _walk(
        w.own_firm,
        w.cadre,
        w.officer,
        w.handler,
        w.dept,
        "出口退税到账慢",
        "出口退税两个月未到账",
        "开通出口退税绿色通道。",
    )
    w.other_case = _walk(
        w.other_firm,
        w.cadre2,
        w.officer,
        w.handler,
        w.dept,
        "出口退税审核慢",
        "出口退税审核排队时间长",
        "专人预审出口退税资料。",
        closed=False,
    )
    w.foreign_case = _walk(
        w.foreign_firm,
        w.cadre_b,
        w.officer_b,
        w.handler_b,
        w.dept,
        "乙园区出口退税到账慢",
        "出口退税未到账",
        "乙园区的做法保密内容",
    )
    for i, title in enumerate(["招工难", "用电增容", "货车通行", "环评审批", "专利资助", "子女入学"]):
        raise_problem(
            w.own_firm,
            w.cadre,
            {"title": title, "description": f"{title}{i}", "category": "other", "source": "visit"},
        )
    db.session.commit()
    return w


def _get(client, **query):
    return client.get(URL, query_string=query)


@pytest.mark.parametrize("role", ["cadre", "officer", "admin"])
def test_cadre_officer_and_admin_get_the_fragment(client, login_as, cases, role):
    login_as(getattr(cases, role))
    resp = _get(client, title="出口退税到账慢", enterprise_id=cases.own_firm.id)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "出口退税到账慢" in html and "开通出口退税绿色通道" in html and "税务局" in html
    assert "引用此案例现场解答" in html
    assert "乙园区" not in html  # park B's history stays in park B
    assert resp.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("role", ["handler", "leader"])
def test_handler_and_leader_are_refused(client, login_as, cases, role):
    login_as(getattr(cases, role))
    assert _get(client, title="出口退税到账慢").status_code == 403


def test_anonymous_is_sent_to_login(client, cases):
    resp = _get(client, title="出口退税到账慢")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_a_cadre_sees_another_cadres_case_without_link_or_firm(client, login_as, cases):
    login_as(cases.cadre)
    html = _get(client, title="出口退税审核慢", enterprise_id=cases.own_firm.id).get_data(as_text=True)
    assert "出口退税审核慢" in html and "专人预审出口退税资料" in html
    assert cases.other_firm.name not in html
    assert f"/problems/{cases.other_case.id}" not in html
    assert f"/problems/{cases.own_case.id}" in html and cases.own_firm.name in html


def test_an_out_of_park_firm_id_leaks_nothing(client, login_as, cases):
    login_as(cases.officer)  # park A's officer asks with park B's firm
    html = _get(client, title="出口退税到账慢", enterprise_id=cases.foreign_firm.id).get_data(as_text=True)
    assert "乙园区" not in html and "保密" not in html and "出口退税" not in html
    assert "暂无相似问题" in html


@pytest.mark.parametrize(
    "query",
    [
        {"title": "出口退税到账慢", "enterprise_id": "abc"},
        {"title": "出口退税到账慢", "enterprise_id": "9" * 50},
        {"title": "出口退税到账慢", "enterprise_id": "9" * 18},  # past PostgreSQL's INTEGER
        {"title": "出口退税到账慢", "enterprise_id": str(2**31)},
        {"title": "出口退税到账慢", "enterprise_id": "-3"},
        {"title": "\x00\x1b出口退税\u202e到账慢", "description": "\x07" * 100},
        {"title": "退税" * 50_000, "description": "到账" * 100_000},
        {"title": "", "description": ""},
    ],
)
def test_hostile_input_never_fails(client, login_as, cases, query):
    login_as(cases.cadre)
    resp = _get(client, **query)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    if query["title"]:
        assert "暂无相似问题" in html or "data-similar-hit" in html
    else:
        assert html.strip() == ""  # nothing typed: nothing said


def test_the_fragment_reads_a_constant_number_of_statements(client, login_as, cases, count_queries):
    login_as(cases.cadre)
    _get(client, title="出口退税到账慢", enterprise_id=cases.own_firm.id)  # builds the index
    with count_queries() as q:
        _get(client, title="出口退税", enterprise_id=cases.own_firm.id)
    few = q.count
    for i in range(6):
        _walk(
            cases.own_firm,
            cases.cadre,
            cases.officer,
            cases.handler,
            cases.dept,
            f"出口退税{i}",
            "退税",
            "已办",
        )
    db.session.commit()
    _get(client, title="出口退税到账慢", enterprise_id=cases.own_firm.id)
    with count_queries() as q:
        _get(client, title="出口退税", enterprise_id=cases.own_firm.id)
    assert q.count == few


def test_the_problem_form_shows_the_panel(client, login_as, cases):
    login_as(cases.cadre)
    html = client.get(f"/enterprises/{cases.own_firm.id}/problems/new").get_data(as_text=True)
    assert "data-similar" in html and "js/similar.js" in html and 'name="answered_from"' in html
    login_as(cases.officer)
    assert "data-similar-panel" in client.get(f"/enterprises/{cases.own_firm.id}/problems/new").get_data(
        as_text=True
    )


def _post_problem(client, firm, **extra):
    data = {
        "title": "出口退税到账慢",
        "description": "上季度出口退税仍未到账",
        "category": "finance",
        "urgency": "normal",
        "source": "visit",
    }
    return client.post(f"/enterprises/{firm.id}/problems/new", data=data | extra)


def test_saving_with_a_case_answers_the_problem_on_the_spot(client, login_as, cases):
    login_as(cases.cadre)
    resp = _post_problem(
        client, cases.own_firm, answered_from=cases.own_case.id, answer_note="照绿色通道办理"
    )
    assert resp.status_code == 302
    p = db.session.scalar(select(Problem).order_by(Problem.id.desc()).limit(1))
    assert p.status == "resolved" and p.on_spot and p.answered_from_id == cases.own_case.id
    assert p.resolution == "照绿色通道办理"
    event = db.session.scalar(
        select(ProblemEvent).where(ProblemEvent.problem_id == p.id, ProblemEvent.action == "solve_on_spot")
    )
    assert event.data == {"answered_from": cases.own_case.id}
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已办结" in page and "现场解答引用" in page and "《出口退税到账慢》" in page


@pytest.mark.parametrize("which", ["foreign", "open", "junk"])
def test_a_refused_case_saves_nothing(client, login_as, cases, which):
    open_problem = raise_problem(
        cases.own_firm,
        cases.cadre,
        {"title": "未办结", "description": "x", "category": "other", "source": "visit"},
    )
    db.session.commit()
    source = {"foreign": cases.foreign_case.id, "open": open_problem.id, "junk": "1 or 1=1"}[which]
    before = db.session.scalar(select(func.count(Problem.id)))
    login_as(cases.cadre)
    resp = _post_problem(client, cases.own_firm, answered_from=source, answer_note="照此办理")
    assert resp.status_code == 200  # the form again, with the reason
    assert db.session.scalar(select(func.count(Problem.id))) == before
    html = resp.get_data(as_text=True)
    assert "引用的案例" in html or "只能引用已办结" in html


def test_a_plain_problem_is_raised_as_before(client, login_as, cases):
    login_as(cases.cadre)
    resp = _post_problem(client, cases.own_firm, answered_from="", answer_note="")
    assert resp.status_code == 302
    p = db.session.scalar(select(Problem).order_by(Problem.id.desc()).limit(1))
    assert p.status == "new" and p.answered_from_id is None


def test_a_visit_can_answer_its_problem_from_a_case(client, login_as, cases):
    login_as(cases.cadre)
    html = client.get(f"/enterprises/{cases.own_firm.id}/visits/new").get_data(as_text=True)
    assert "data-similar" in html and 'name="problem-answered_from"' in html
    resp = client.post(
        f"/enterprises/{cases.own_firm.id}/visits/new",
        data={
            "visited_on": "2026-11-02",
            "kind": "phone",
            "summary": "电话了解出口退税进展",
            "client_id": "3f1c7f4e-1b7a-4c55-9a57-0d1a1d1a1d1a",
            "problem-title": "出口退税到账慢",
            "problem-description": "出口退税未到账",
            "problem-category": "finance",
            "problem-urgency": "normal",
            "problem-answered_from": str(cases.own_case.id),
            "problem-answer_note": "照绿色通道办理",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    p = db.session.scalar(select(Problem).order_by(Problem.id.desc()).limit(1))
    assert p.visit_id is not None and p.status == "resolved" and p.answered_from_id == cases.own_case.id


def test_another_park_firm_never_reaches_the_form(client, login_as, cases):
    other = make_enterprise(cases.park_b, "乙园区第二家企业有限公司")
    make_department("乙园区部门", cases.park_b)
    db.session.commit()
    login_as(cases.cadre)
    assert (
        _get(client, title="出口退税", enterprise_id=other.id)
        .get_data(as_text=True)
        .count("data-similar-hit")
        == 0
    )


def test_the_problem_page_offers_the_parks_solved_similar_problems_for_a_spot_answer(client, login_as, cases):
    w = cases
    new = raise_problem(
        w.own_firm,
        w.cadre,
        {
            "title": "出口退税到账慢",
            "description": "退税申报后迟迟未到账",
            "category": "finance",
            "source": "visit",
        },
    )
    db.session.commit()
    login_as(w.cadre)
    page = client.get(f"/problems/{new.id}").get_data(as_text=True)
    form = page[page.index('data-action="solve_on_spot"') :]
    form = form[: form.index("</form>")]
    assert f'<option value="{w.own_case.id}">' in form and f'<option value="{w.other_case.id}">' in form
    assert (
        f'value="{w.foreign_case.id}"' not in form and "乙园区" not in form
    )  # another park's answers stay there
    assert f'value="{new.id}"' not in form  # not itself
    version = new.version
    response = client.post(
        f"/problems/{new.id}/solve_on_spot",
        data={"note": "按此前做法开通绿色通道", "answered_from": str(w.own_case.id), "version": version},
    )
    assert response.status_code == 302
    db.session.refresh(new)
    assert new.status == "resolved" and new.answered_from_id == w.own_case.id
    # Naming another park's problem is refused and changes nothing.
    other = raise_problem(
        w.own_firm,
        w.cadre,
        {"title": "出口退税", "description": "退税", "category": "finance", "source": "visit"},
    )
    db.session.commit()
    client.post(
        f"/problems/{other.id}/solve_on_spot",
        data={"note": "照搬", "answered_from": str(w.foreign_case.id), "version": other.version},
    )
    db.session.refresh(other)
    assert other.status == "new" and other.answered_from_id is None
