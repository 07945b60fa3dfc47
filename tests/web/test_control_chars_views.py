"""Control characters through the pages: every form refuses them next to the field, naming it, and saves
nothing; rows that already hold some (stored before input refused them) never break an export or the
monthly report."""

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from crm.models import (
    Department,
    Enterprise,
    GeneratedReport,
    LoginFailure,
    Problem,
    ProblemEvent,
    ProductItem,
    User,
    Visit,
)
from tests.support.dirty import dirty, soil

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MESSAGE = "含有不可见的控制字符，请删除后重新输入"
VISIT = {"visited_on": "2026-11-02", "kind": "onsite", "participants": "王总", "summary": "了解订单"}
PROBLEM = {"title": "用电增容", "category": "utilities", "urgency": "normal", "source": "phone",
           "description": "新厂房需要增容"}  # fmt: skip
USER = {"username": "new1", "name": "新人", "role": "officer", "department_id": "", "leader_level": "",
        "password": "Demo2026!", "confirm": "Demo2026!"}  # fmt: skip


def text(resp) -> str:
    return resp.get_data(as_text=True)


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def firm_form(firm, **changes) -> dict:
    data = {"name": firm.name, "credit_code": firm.credit_code, "park_id": str(firm.park_id), "chain_id": "",
            "scale_type": "", "size": "", "status": "active", "version": str(firm.version)}  # fmt: skip
    return data | changes


def _cases(w):
    """(who, url, data, the field's message, what must not change) per form."""
    firm = w.own_firm
    return {
        "firm name": (w.officer, f"/enterprises/{firm.id}/edit",
                      firm_form(firm, name="湘潭\x01电机有限公司"), "企业名称", Enterprise),
        "firm address on two lines": (w.officer, f"/enterprises/{firm.id}/edit",
                                      firm_form(firm, address="某路\n88号"), "地址", Enterprise),
        "new firm, bidi override": (w.officer, "/enterprises/new",
                                    firm_form(firm, name="新\u202e企业", credit_code=""), "企业名称",
                                    Enterprise),
        "visit summary": (w.cadre, f"/enterprises/{firm.id}/visits/new",
                          VISIT | {"summary": "断电\x1b[31m严重"}, "走访情况", Visit),
        "visit's product": (w.cadre, f"/enterprises/{firm.id}/visits/new",
                            VISIT | {"product-name": "电机\x00"}, "产品名称", Visit),
        "problem title": (w.cadre, f"/enterprises/{firm.id}/problems/new",
                          PROBLEM | {"title": "断电\x01问题"}, "问题标题", Problem),
        "problem description": (w.cadre, f"/enterprises/{firm.id}/problems/new",
                                PROBLEM | {"description": "第一行\n\x7f第二行"}, "问题描述", Problem),
        "list item": (w.cadre, f"/enterprises/{firm.id}/products/new",
                      {"name": "伺服\x85电机", "unit": "台"}, "产品名称", ProductItem),
        "list item with a tab": (w.cadre, f"/enterprises/{firm.id}/products/new",
                                 {"name": "伺服\t电机"}, "产品名称", ProductItem),
        "user's name": (w.admin, "/admin/users/new",
                        USER | {"name": "新\x01人", "park_id": str(w.park_a.id)}, "姓名", User),
        "username": (w.admin, "/admin/users/new",
                     USER | {"username": "new\x001", "park_id": str(w.park_a.id)}, "用户名", User),
    }  # fmt: skip


CASES = [
    "firm name",
    "firm address on two lines",
    "new firm, bidi override",
    "visit summary",
    "visit's product",
    "problem title",
    "problem description",
    "list item",
    "list item with a tab",
    "user's name",
    "username",
]


@pytest.mark.parametrize("case", CASES)
def test_every_form_refuses_control_characters_naming_the_field(client, login_as, world, db, case):
    who, url, data, label, model = _cases(world)[case]
    before = count(db, model), db.session.get(Enterprise, world.own_firm.id).name
    login_as(who)
    resp = client.post(url, data=data)
    assert resp.status_code == 200, resp.status_code  # the form again, with the message by the field
    assert f'<div class="invalid-feedback">{label}{MESSAGE}</div>' in text(resp)
    db.session.expire_all()
    assert (count(db, model), db.session.get(Enterprise, world.own_firm.id).name) == before


def test_multi_line_fields_keep_tabs_line_breaks_and_chinese_punctuation(client, login_as, world, db):
    login_as(world.cadre)
    summary = "第一行：订单（二期），增长\r\n第二行\t缩进"
    resp = client.post(f"/enterprises/{world.own_firm.id}/visits/new", data=VISIT | {"summary": summary})
    assert resp.status_code == 302
    visit = db.session.scalar(select(Visit).order_by(Visit.id.desc()))
    assert visit.summary == "第一行：订单（二期），增长\n第二行\t缩进"


def test_login_refuses_a_username_with_control_characters(client, world, db):
    resp = client.post("/login", data={"username": "admin\x00", "password": "whatever1"})
    assert resp.status_code == 200 and f"用户名{MESSAGE}" in text(resp)
    assert count(db, LoginFailure) == 0  # nothing tried, nothing stored (PostgreSQL cannot store NUL)


def test_a_workflow_note_with_control_characters_is_flashed_and_changes_nothing(client, login_as, pworld, db):
    w = pworld
    login_as(w.officer)
    events = count(db, ProblemEvent)
    resp = client.post(
        f"/problems/{w.p_new.id}/dispatch",
        data={"department_id": w.dept.id, "note": "请\x01尽快", "version": str(w.p_new.version)},
        follow_redirects=True,
    )
    assert f"说明{MESSAGE}" in text(resp)
    db.session.expire_all()
    assert db.session.get(Problem, w.p_new.id).status == "new" and count(db, ProblemEvent) == events


@pytest.fixture()
def soiled(pworld, db):
    """pworld with control characters in what the exports and the report show, written round the
    services as rows stored before input refused them."""
    w = pworld
    soil(w.own_firm, name=dirty("湘潭高新电机有限公司"), address=dirty("某路88号"), note=dirty("备注"))
    soil(w.cadre, name=dirty("联企干部"))
    soil(w.p_red, title=dirty("用电增容"), description=dirty("描述"))
    soil(w.p_green, title=dirty("环评审批"), resolution=dirty("办理情况"))
    soil(w.p_red.events[-1], note=dirty("逾期未签收"))
    soil(w.visit, summary=dirty("走访情况"), participants=dirty("王总"))
    soil(db.session.get(Department, w.dept.id), name=dirty("税务局"))
    db.session.commit()
    return w


def _rows(resp) -> list[list]:
    assert resp.status_code == 200 and resp.mimetype == XLSX
    wb = load_workbook(BytesIO(resp.data))
    return [list(row) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)]


def _cells(rows: list[list]) -> str:
    return "|".join(str(value) for row in rows for value in row if value is not None)


@pytest.mark.parametrize("role", ["admin", "leader", "officer", "cadre", "handler"])
def test_problem_export_survives_stored_control_characters_for_every_role(client, login_as, soiled, role):
    login_as(getattr(soiled, role))
    cells = _cells(_rows(client.get("/problems/export.xlsx")))
    assert "\x01" not in cells and "\x1b" not in cells and "\x0b" not in cells
    assert "用电增容[0m" in cells  # what the characters were in is kept


@pytest.mark.parametrize("url", ["/visits/export.xlsx", "/enterprises/export.xlsx"])
def test_visit_and_firm_exports_survive_stored_control_characters(client, login_as, soiled, url):
    login_as(soiled.officer)
    cells = _cells(_rows(client.get(url)))
    assert "湘潭高新电机有限公司[0m" in cells and "\x01" not in cells and "\x00" not in cells


def test_report_generated_on_the_page_survives_stored_control_characters(client, login_as, soiled, db):
    login_as(soiled.officer)
    resp = client.post("/reports/generate", data={"month": "2026-10", "park": str(soiled.park_a.id)})
    assert resp.status_code == 302 and "/reports/?new=" in resp.headers["Location"]
    report = db.session.scalar(select(GeneratedReport).order_by(GeneratedReport.id.desc()))
    cells = _cells(_rows(client.get(f"/reports/{report.id}/download")))
    assert "用电增容[0m" in cells and "\x01" not in cells
