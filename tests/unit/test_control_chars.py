"""Control characters can never break anything: the services refuse them naming the field (one-line
fields line breaks and tabs too) whoever calls them — the pages, the CLI, the import — and rows that
already hold some never stop an export, `flask crm report` or the monthly job."""

import csv
import io
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import current_app
from openpyxl import load_workbook
from sqlalchemy import func, select

from crm.extensions import db as _db
from crm.jobs import JOBS, run_job
from crm.models import (
    Assignment,
    AuditLog,
    Enterprise,
    GeneratedReport,
    LoginFailure,
    Problem,
    ProblemEvent,
    ProductItem,
    User,
    Visit,
)
from crm.reporting.exports.imports import import_error_report
from crm.reporting.exports.xlsx import escape_cell, write_table
from crm.services import ServiceError
from crm.services.assignments.operations import assign_enterprise, handover_caseload
from crm.services.common.validators import clean_multiline, clean_text
from crm.services.enterprises.lists import add_product
from crm.services.enterprises.registry import create_enterprise, update_enterprise
from crm.services.imports.enterprises import import_enterprises
from crm.services.problems.flow import apply_action
from crm.services.problems.intake import raise_problem
from crm.services.users.accounts import create_user, update_user
from crm.services.users.authentication import authenticate
from crm.services.visits.records import log_visit
from crm.timeutil import utcnow
from tests.support.dates import TODAY
from tests.support.dirty import LINE_BREAKS, REFUSED, dirty, soil
from tests.support.factories import make_department, make_enterprise, make_park, make_user, valid_credit_code
from tests.support.problems import make_problem
from tests.support.reports import report_world

MESSAGE = "含有不可见的控制字符，请删除后重新输入"
SAVED = (Enterprise, Assignment, Visit, Problem, ProblemEvent, ProductItem, User, AuditLog)


def saved() -> tuple[int, ...]:
    """Row counts of everything a refused call must leave alone (every write is audited, too)."""
    return tuple(_db.session.scalar(select(func.count()).select_from(model)) for model in SAVED)


# ---- the validators every service uses


@pytest.mark.parametrize("char", REFUSED + LINE_BREAKS)
def test_one_line_text_refuses_every_control_character_naming_the_field(char):
    with pytest.raises(ServiceError) as refused:
        clean_text(f"断电{char}问题", "标题", 200)
    assert str(refused.value) == f"标题{MESSAGE}"


@pytest.mark.parametrize("char", REFUSED)
def test_multi_line_text_refuses_control_characters(char):
    with pytest.raises(ServiceError, match=f"^说明{MESSAGE}$"):
        clean_multiline(f"第一行\n第{char}二行", "说明", 500)


def test_multi_line_text_keeps_tabs_line_breaks_and_what_was_typed():
    assert clean_multiline("第一行：（二期），\r\n第二\t行\u2028第三行", "说明", 500) == (
        "第一行：（二期），\n第二\t行\n第三行"
    )
    # Whitespace around the text is trimmed as it always was, not refused.
    assert clean_text(" 断电问题\t\r\n", "标题", 200) == "断电问题"


# ---- the services, whoever calls them


@pytest.fixture()
def w(db):
    park = make_park("A", "甲园区")
    w = SimpleNamespace(park=park, dept=make_department("税务局"), admin=make_user("admin", username="admin"))
    w.officer = make_user("officer", park, username="officer_a")
    w.cadre, w.cadre2 = make_user("cadre", park), make_user("cadre", park)
    w.firm = make_enterprise(park, "湘潭电机有限公司", cadre=w.cadre, assigned_by=w.officer)
    w.problem = make_problem(w.firm, w.cadre)
    db.session.commit()
    return w


PROBLEM = {"title": "用电增容", "description": "新厂房需要增容", "category": "utilities", "source": "phone"}
VISIT = {"visited_on": TODAY, "kind": "onsite", "summary": "了解订单"}
# case -> (the call, the field named in the refusal)
SERVICE_CASES = {
    "new firm": (lambda w: create_enterprise(
        {"name": "新\x01企业", "credit_code": valid_credit_code(), "park_id": w.park.id}, w.officer),
        "企业名称"),
    "firm phone with a tab": (lambda w: update_enterprise(
        w.firm, {"contact_phone": "138\t0000"}, w.officer), "联系电话"),
    "firm note": (lambda w: update_enterprise(w.firm, {"note": "第一行\n\x1b第二行"}, w.officer), "备注"),
    "list item": (lambda w: add_product(w.firm, w.cadre, {"name": "伺服\x7f电机"}, TODAY), "产品名称"),
    "problem title": (lambda w: raise_problem(
        w.firm, w.cadre, PROBLEM | {"title": "断电\x01问题"}, today=TODAY), "问题标题"),
    "problem description": (lambda w: raise_problem(
        w.firm, w.cadre, PROBLEM | {"description": "断电\u202e问题"}, today=TODAY), "问题描述"),
    "workflow note": (lambda w: apply_action(
        w.problem, "dispatch", w.officer, {"department_id": w.dept.id, "note": "请\x0b尽快"}, today=TODAY),
        "说明"),
    "visit summary": (lambda w: log_visit(
        w.firm, w.cadre, VISIT | {"summary": "断电\x00严重"}, TODAY), "走访情况"),
    "visit participants on two lines": (lambda w: log_visit(
        w.firm, w.cadre, VISIT | {"participants": "王总\n李总"}, TODAY), "参与人员"),
    "visit's product": (lambda w: log_visit(
        w.firm, w.cadre, VISIT, TODAY, product={"name": "电机\x1b"}), "产品名称"),
    "new user's name": (lambda w: create_user("new1", "张\x01三", "admin", "Passw0rd1"), "姓名"),
    "new username": (lambda w: create_user("new\u20661", "张三", "admin", "Passw0rd1"), "用户名"),
    "user's phone": (lambda w: update_user(
        w.cadre, w.admin, w.cadre.name, "cadre", w.park, phone="138\x850000"), "电话"),
    "assignment reason": (lambda w: assign_enterprise(
        w.firm, w.cadre2, w.officer, TODAY, "岗位\x01调整"), "原因"),
    "handover note": (lambda w: handover_caseload(
        w.cadre, w.cadre2, w.officer, TODAY, "other", "交接\x00说明"), "交接说明"),
}  # fmt: skip


@pytest.mark.parametrize("case", SERVICE_CASES)
def test_services_refuse_control_characters_naming_the_field_and_save_nothing(w, db, case):
    call, label = SERVICE_CASES[case]
    before = saved()
    with pytest.raises(ServiceError) as refused:
        call(w)
    assert f"{label}{MESSAGE}" in str(refused.value).split("；")
    db.session.rollback()
    assert saved() == before


def test_a_login_name_with_control_characters_is_a_plain_failure_logged_without_them(w, db):
    user, error = authenticate("admin\x00", "Passw0rd!", utcnow(), client_ip="10.0.0.1")
    assert (user, error) == (None, "用户名或密码错误")
    db.session.commit()
    assert db.session.scalars(select(LoginFailure.username)).all() == ["admin"]


def test_cli_create_user_refuses_control_characters(runner, db):
    args = ["crm", "create-user", "--username", "zhang", "--role", "admin", "--password", "Liaison2026"]
    result = runner.invoke(args=args + ["--name", "张\x1b三"])
    assert result.exit_code == 1 and f"姓名{MESSAGE}" in result.output, result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


# ---- the import


def _csv(path, rows):
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))
    return path


def test_import_refuses_cells_with_control_characters_by_row_and_column(w, db, tmp_path):
    codes = [valid_credit_code() for _ in range(4)]
    path = _csv(tmp_path / "firms.csv", [
        ["企业名称", "统一社会信用代码", "所属园区", "联系干部", "地址", "备注"],
        ["断电\x01企业有限公司", codes[0], "甲园区", "", "", ""],
        ["好企业有限公司", codes[1], "甲园区", "", "某路\n88号", ""],
        ["另一企业有限公司", codes[2], "甲园区", "张\x00三", "", "第一行\n第二行"],
        ["备注多行有限公司", codes[3], "甲园区", "", "", "第一行\r\n第二行"],
    ])  # fmt: skip
    before = saved()
    result = import_enterprises(path, w.officer, TODAY)
    assert not result.ok and not result.applied
    assert result.errors == [
        f"第2行【企业名称】{MESSAGE}",
        f"第3行【地址】{MESSAGE}",
        f"第4行【联系干部】{MESSAGE}",
    ]
    assert saved() == before

    # The error workbook still opens: the cells come back without what an .xlsx cannot hold.
    sheet = load_workbook(import_error_report(path, w.officer)).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[1][0] == "断电企业有限公司" and rows[1][-1] == f"第2行【企业名称】{MESSAGE}"
    assert rows[3][3] == "张三"

    # A multi-line note is no control character.
    rows = [
        ["企业名称", "统一社会信用代码", "所属园区", "备注"],
        ["多行有限公司", codes[3], "甲园区", "一\r\n二"],
    ]
    path = _csv(tmp_path / "ok.csv", rows)
    assert import_enterprises(path, w.officer, TODAY).ok


# ---- what old rows hold never stops a workbook


@pytest.mark.parametrize("char", REFUSED + LINE_BREAKS)
def test_list_exports_write_any_stored_text(char):
    rows = [[f"断电{char}问题"], [f"{char}=1+1"], [f"备注{char}"]]
    sheet = load_workbook(write_table("问题清单", ["标题"], rows)).active
    values = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert values[0].startswith("断电") and values[0].endswith("问题")
    assert values[1].endswith("=1+1") and values[1] != "=1+1"  # still never a formula
    assert escape_cell("\x01\x00=cmd") == "'=cmd"


@pytest.fixture()
def soiled_month(app, db, tmp_path, monkeypatch):
    """The report's crafted October, with control characters written round the services into what the
    workbook shows (firm, cadre, department and chain names, titles, notes), as old rows would hold."""
    monkeypatch.setitem(app.config, "REPORTS_FOLDER", str(tmp_path / "reports"))
    m = report_world()
    soil(m.f1, name=dirty("甲一电机有限公司"))
    soil(m.c1, name=dirty("张一"))
    soil(m.dept1, name=dirty("税务局"))
    soil(m.chain1, name=dirty("装备制造"))
    soil(m.p1, title=dirty("出口退税慢"))
    for event in db.session.scalars(select(ProblemEvent).where(ProblemEvent.note.is_not(None))):
        soil(event, note=dirty(event.note))
    db.session.commit()
    return m


def _cells(path) -> str:
    wb = load_workbook(path)
    return "|".join(
        str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v
    )


def test_monthly_job_writes_every_report_despite_stored_control_characters(app, soiled_month, db):
    run = run_job(app, JOBS["month_close"], today=date(2026, 11, 4))  # October's close day
    assert run.status == "ok" and run.counts["reports"] == 3, run.error
    files = sorted(Path(current_app.config["REPORTS_FOLDER"]).rglob("*.xlsx"))
    assert len(files) == db.session.scalar(select(func.count(GeneratedReport.id))) == 3
    for path in files:
        cells = _cells(path)
        assert "\x01" not in cells and "\x1b" not in cells
    assert any("出口退税慢[0m" in _cells(path) for path in files)


def test_cli_report_writes_the_workbook_despite_stored_control_characters(runner, soiled_month, tmp_path):
    out = tmp_path / "月报.xlsx"
    result = runner.invoke(args=["crm", "report", "--month", "2026-10", "--park", "A", "--out", str(out)])
    assert result.exit_code == 0, result.output
    cells = _cells(out)
    assert "出口退税慢[0m" in cells and "甲一电机有限公司[0m" in cells and "\x01" not in cells
