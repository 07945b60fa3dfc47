"""The 典型案例库 pages per role: promoting from a closed problem's page, the list with its search and
filters, a case's page (the original problem only for those who may see it), edit, 撤下 and 恢复, the
export with the list's filters, the firm page's public fields, and constant queries on the list."""

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import AuditLog, TypicalCase
from crm.services.knowledge.cases import promote_problem, withdraw_case
from crm.services.portal.codes import issue_service_code, token_of
from tests.support.factories import make_enterprise
from tests.support.problems import make_problem, step

SECRET_BASIS = "内部掌握：容缺材料三日内补齐"


def text(resp) -> str:
    return resp.get_data(as_text=True)


def _case(w, problem, title, category="finance", **extra):
    data = {
        "title": title,
        "category": category,
        "summary": f"{title}：承办部门预审并容缺受理，五个工作日办结。",
        "basis": SECRET_BASIS,
        "department_id": w.dept.id,
        "tags": extra.pop("tags", "容缺受理"),
    } | extra
    return promote_problem(
        w.officer if problem.enterprise.park_id == w.park_a.id else w.officer_b, problem, data
    )


@pytest.fixture()
def cw(pworld):
    """pworld plus cases: one of {own}'s closed problem (finance), a land case of {other}, one in park B."""
    w = pworld
    w.case = _case(w, w.p_closed, "出口退税到账慢", tags="出口退税、容缺受理")
    land = make_problem(w.other_firm, w.cadre2, "closed", w.dept, w.handler, title="用地", category="land")
    w.land_case = _case(w, land, "新增用地指标落实", "land", tags="用地")
    foreign = make_problem(w.foreign_firm, w.cadre_b, "closed", w.dept, w.handler, officer=w.officer_b)
    w.foreign_case = _case(w, foreign, "乙园区出口退税案例")
    db.session.commit()
    return w


def _cases() -> int:
    return db.session.scalar(select(func.count()).select_from(TypicalCase))


@pytest.mark.parametrize(
    "role, status, sees",
    [
        ("officer", 200, {"出口退税到账慢", "新增用地指标落实"}),
        ("cadre", 200, {"出口退税到账慢", "新增用地指标落实"}),  # the park's knowledge, not only its firms'
        ("handler", 200, {"出口退税到账慢", "新增用地指标落实"}),
        ("officer_b", 200, {"乙园区出口退税案例"}),
        ("leader", 200, {"出口退税到账慢", "新增用地指标落实", "乙园区出口退税案例"}),  # city-wide
    ],
)
def test_the_list_shows_the_cases_in_scope(client, login_as, cw, role, status, sees):
    login_as(getattr(cw, role))
    resp = client.get("/knowledge/cases/")
    body = text(resp)
    assert resp.status_code == status
    for title in {"出口退税到账慢", "新增用地指标落实", "乙园区出口退税案例"}:
        assert (title in body) == (title in sees), (role, title)


def test_detail_scope_per_role(client, login_as, cw):
    url = f"/knowledge/cases/{cw.case.id}"
    login_as(cw.officer_b)
    assert client.get(url).status_code == 404  # another park's case does not exist for them
    for role in ("cadre", "cadre2", "handler", "leader", "officer"):
        login_as(getattr(cw, role))
        assert client.get(url).status_code == 200, role


def test_the_original_problem_shows_only_to_those_who_may_see_it(client, login_as, cw):
    url = f"/knowledge/cases/{cw.case.id}"
    problem_link = f"/problems/{cw.p_closed.id}"
    login_as(cw.cadre)  # the firm's own cadre
    body = text(client.get(url))
    assert problem_link in body and cw.own_firm.name in body
    login_as(cw.cadre2)  # serves another firm of the park: reads the case, not the problem nor the firm
    body = text(client.get(url))
    assert "出口退税到账慢" in body and problem_link not in body and cw.own_firm.name not in body
    assert "已引用 0 次" in body


def test_the_problem_page_offers_promotion_to_the_office_only(client, login_as, pworld):
    w = pworld
    url = f"/problems/{w.p_closed.id}"
    login_as(w.officer)
    assert "设为典型案例" in text(client.get(url))
    for role in ("cadre", "handler", "leader"):
        login_as(getattr(w, role))
        assert "设为典型案例" not in text(client.get(url)), role
    login_as(w.officer)
    assert "设为典型案例" not in text(client.get(f"/problems/{w.p_resolved.id}"))  # not closed yet


def test_promote_from_the_problem_page(client, login_as, pworld):
    w = pworld
    login_as(w.officer)
    form = text(client.get(f"/knowledge/cases/promote/{w.p_closed.id}"))
    assert 'value="已销号的问题"' in form and "已协调解决" in form  # prefilled: title and the resolution
    resp = client.post(
        f"/knowledge/cases/promote/{w.p_closed.id}",
        data={
            "title": "用电增容五日办结",
            "category": "utilities",
            "summary": "供电公司现场勘查后当周完成增容。",
            "basis": "",
            "policy_id": "",
            "department_id": str(w.dept.id),
            "tags": "用电、增容",
        },
    )
    case = db.session.scalar(select(TypicalCase))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/knowledge/cases/{case.id}")
    assert (case.title, case.tags, case.created_by_id) == ("用电增容五日办结", ["用电", "增容"], w.officer.id)
    login_as(w.cadre)  # everyone who sees the problem sees that it is a case now
    body = text(client.get(f"/problems/{w.p_closed.id}"))
    assert "已入典型案例库" in body and f"/knowledge/cases/{case.id}" in body
    login_as(w.officer)  # a second promotion leads to the case, and adds nothing
    resp = client.post(
        f"/knowledge/cases/promote/{w.p_closed.id}", data={"title": "再来一次", "summary": "x"}
    )
    assert resp.status_code == 302 and _cases() == 1


def test_promotion_refusals(client, login_as, pworld):
    w = pworld
    login_as(w.cadre)
    assert client.get(f"/knowledge/cases/promote/{w.p_closed.id}").status_code == 403
    login_as(w.officer_b)
    assert client.get(f"/knowledge/cases/promote/{w.p_closed.id}").status_code == 404
    login_as(w.officer)
    resp = client.get(f"/knowledge/cases/promote/{w.p_resolved.id}", follow_redirects=True)
    assert "只有已销号的问题才能设为典型案例" in text(resp)
    resp = client.post(
        f"/knowledge/cases/promote/{w.p_closed.id}",
        data={"title": "标题\x07", "category": "finance", "summary": "经过", "department_id": "99999999999"},
    )
    assert resp.status_code == 200 and "控制字符" in text(resp)
    resp = client.post(
        f"/knowledge/cases/promote/{w.p_closed.id}",
        data={"title": "标题", "category": "finance", "summary": "经过", "department_id": "99999999999"},
    )
    assert resp.status_code == 200 and "解决部门" in text(resp)
    assert _cases() == 0


def test_edit_withdraw_and_restore(client, login_as, cw):
    url = f"/knowledge/cases/{cw.case.id}"
    login_as(cw.cadre)
    assert client.post(f"{url}/withdraw", data={"reason": "不适用"}).status_code == 403
    assert client.get(f"{url}/edit").status_code == 403
    login_as(cw.officer)
    data = {
        "title": "出口退税五日到账",
        "category": "finance",
        "summary": "税务局预审，容缺受理。",
        "basis": "",
        "policy_id": "",
        "department_id": str(cw.dept.id),
        "tags": "出口退税",
        "version": str(cw.case.version),
    }
    assert client.post(f"{url}/edit", data=data).status_code == 302
    db.session.refresh(cw.case)
    assert cw.case.title == "出口退税五日到账"
    assert client.post(f"{url}/edit", data=data | {"title": "过时"}).status_code == 302  # stale version
    db.session.refresh(cw.case)
    assert cw.case.title == "出口退税五日到账"
    client.post(f"{url}/withdraw", data={"reason": ""})
    db.session.refresh(cw.case)
    assert cw.case.status == "published"  # a reason is required
    client.post(f"{url}/withdraw", data={"reason": "政策调整"})
    db.session.refresh(cw.case)
    assert cw.case.status == "withdrawn"
    assert "政策调整" in text(client.get(url))  # in the office's change history
    login_as(cw.cadre)
    assert client.get(url).status_code == 404
    assert "出口退税五日到账" not in text(client.get("/knowledge/cases/"))
    login_as(cw.officer)
    assert client.post(f"{url}/restore").status_code == 302
    db.session.refresh(cw.case)
    assert cw.case.status == "published"
    actions = db.session.scalars(
        select(AuditLog.action).where(
            AuditLog.entity_type == "typical_case", AuditLog.entity_id == cw.case.id
        )
    ).all()
    assert sorted(actions) == ["create", "restore", "update", "withdraw"]


def test_search_and_filters_on_the_list(client, login_as, cw):
    login_as(cw.officer)
    body = text(client.get("/knowledge/cases/?q=出口退税 容缺"))
    assert "出口退税到账慢" in body and "新增用地指标落实" not in body
    body = text(client.get("/knowledge/cases/?category=land"))
    assert "出口退税到账慢" not in body and "新增用地指标落实" in body
    body = text(client.get("/knowledge/cases/?tag=用地"))
    assert "出口退税到账慢" not in body and "新增用地指标落实" in body
    body = text(client.get("/knowledge/cases/?q=%25&department=abc&category=%00&page=-1"))
    assert "没有符合条件的案例" in body  # junk filters read as absent; % is literal


def test_export_follows_the_filters_and_escapes_formulas(client, login_as, cw):
    login_as(cw.cadre)
    assert client.get("/knowledge/cases/export.xlsx").status_code == 403
    extra = make_problem(cw.own_firm, cw.cadre, "closed", cw.dept, cw.handler, title="另一个")
    _case(cw, extra, "=HYPERLINK(1)退税")
    db.session.commit()
    login_as(cw.officer)
    resp = client.get("/knowledge/cases/export.xlsx?category=finance")
    assert resp.status_code == 200
    ws = load_workbook(BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("编号", "案例标题", "问题类别", "解决部门")
    titles = {r[1] for r in rows[1:]}
    assert titles == {"出口退税到账慢", "'=HYPERLINK(1)退税"}  # no land case, no park-B case
    assert all(r[5] == SECRET_BASIS for r in rows[1:])  # the basis is for staff: it is in the export


def test_list_runs_a_constant_number_of_queries(client, login_as, cw, count_queries):
    login_as(cw.officer)

    def measure():
        with count_queries() as q:
            assert client.get("/knowledge/cases/?tag=容缺受理").status_code == 200
        return q.count

    before = measure()
    for i in range(6):
        p = make_problem(cw.other_firm, cw.cadre2, "closed", cw.dept, cw.handler, title=f"问题{i}")
        _case(cw, p, f"案例{i}", tags=f"容缺受理、标签{i}")
        quoting = make_problem(cw.own_firm, cw.cadre, "new", title=f"引用{i}")
        step(quoting, "solve_on_spot", cw.cadre, note="按典型案例办理", answered_from=cw.p_closed.id)
    db.session.commit()
    assert measure() == before
    assert "已引用 6 次" in text(client.get(f"/knowledge/cases/{cw.case.id}"))


@pytest.fixture()
def portal(cw):
    cw.neighbour = make_enterprise(cw.park_a, "邻居企业有限公司", cadre=cw.cadre, assigned_by=cw.officer)
    cw.token = token_of(issue_service_code(cw.neighbour, cw.officer))
    db.session.commit()
    return cw


def test_the_submit_page_shows_public_fields_of_the_parks_cases(client, portal):
    w = portal
    body = text(client.get(f"/s/{w.token}/new"))
    assert 'data-case-category="finance"' in body and 'data-case-category="land"' in body
    assert "出口退税到账慢" in body and "新增用地指标落实" in body and f"由{w.dept.name}解决" in body
    for secret in (SECRET_BASIS, w.own_firm.name, w.other_firm.name, w.handler.name, "乙园区出口退税案例"):
        assert secret not in body, secret
    assert "portal_cases.js" in body


def test_the_home_page_shows_cases_of_the_firms_own_categories(client, portal):
    w = portal
    assert "类似问题的解决案例" not in text(client.get(f"/s/{w.token}"))  # no problems of its own yet
    make_problem(w.neighbour, w.cadre, "new", title="想扩建厂房", category="land")
    db.session.commit()
    body = text(client.get(f"/s/{w.token}"))
    assert "类似问题的解决案例" in body and "新增用地指标落实" in body and "出口退税到账慢" not in body
    assert SECRET_BASIS not in body
    withdraw_case(w.officer, w.land_case, "不再适用")
    db.session.commit()
    assert "新增用地指标落实" not in text(client.get(f"/s/{w.token}"))


def test_the_firm_pages_run_a_constant_number_of_queries(client, portal, count_queries):
    w = portal
    make_problem(w.neighbour, w.cadre, "new", title="想扩建厂房", category="land")
    db.session.commit()

    def measure():
        counts = []
        for url in (f"/s/{w.token}", f"/s/{w.token}/new"):
            with count_queries() as q:
                assert client.get(url).status_code == 200
            counts.append(q.count)
        return counts

    before = measure()
    for i, category in enumerate(["land", "labour", "finance", "land", "market", "labour"]):
        p = make_problem(
            w.other_firm, w.cadre2, "closed", w.dept, w.handler, title=f"问题{i}", category=category
        )
        _case(w, p, f"案例{i}", category)
    db.session.commit()
    after = measure()
    assert after == before
    assert "案例5" in text(client.get(f"/s/{w.token}/new"))


def test_the_firm_page_shows_the_start_of_a_long_summary(client, portal):
    w = portal
    w.land_case.summary = "先租后让" * 100  # 400 characters
    db.session.commit()
    body = text(client.get(f"/s/{w.token}/new"))
    assert ("先租后让" * 49 + "先租后…") in body and "先租后让" * 51 not in body
