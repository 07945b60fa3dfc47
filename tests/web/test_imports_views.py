"""Import pages: upload → preview → commit, error report, token ownership, permissions."""

import io
import re
from pathlib import Path

import pytest
from flask import current_app
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from crm.models import Assignment, AuditLog, Enterprise
from tests.support.factories import valid_credit_code

HEADER = ["企业名称", "统一社会信用代码", "所属园区", "联系干部"]
TOKEN_URL = re.compile(r"/imports/([0-9a-f]{32})$")


def xlsx_bytes(rows):
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, content, filename="firms.xlsx"):
    return client.post(
        "/imports/", data={"file": (io.BytesIO(content), filename)}, content_type="multipart/form-data"
    )


def upload_token(client, rows):
    resp = upload(client, xlsx_bytes(rows))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    match = TOKEN_URL.search(resp.headers["Location"])
    assert match, resp.headers["Location"]
    return match.group(1)


def counts(db):
    db.session.expire_all()
    models = (Enterprise, Assignment, AuditLog)
    return tuple(db.session.scalar(select(func.count(model.id))) for model in models)


def test_upload_preview_commit_flow(db, login_as, world):
    client = login_as(world.officer)
    page = client.get("/imports/").get_data(as_text=True)
    assert 'type="file"' in page and 'name="file"' in page and 'accept=".xlsx,.csv"' in page
    assert "上传并预览" in page and "下载导入模板" in page
    assert "选择 Excel 或 CSV 文件" in page and "未选择文件" in page  # a Chinese picker, not "Choose File"
    codes = [valid_credit_code(), valid_credit_code()]
    token = upload_token(
        client,
        [
            HEADER,
            ["新导入企业有限公司", codes[0], "甲园区", "cadre_a"],
            ["湘潭高新电机有限公司", world.own_firm.credit_code, "", ""],
            ["湘潭另一家企业有限公司（更名）", world.other_firm.credit_code, "甲园区", ""],
        ],
    )
    stored = list((Path(current_app.config["UPLOAD_FOLDER"]) / "imports").glob(f"{token}.*"))
    assert sorted(p.suffix for p in stored) == [".json", ".xlsx"]

    preview = client.get(f"/imports/{token}")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "确认导入" in html and "下载错误报告" not in html
    assert "新导入企业有限公司" in html and "无变化" in html
    assert counts(db)[0] == 4  # previewing writes nothing

    resp = client.post(f"/imports/{token}/commit")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/enterprises/")
    listing = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "导入完成" in listing and "新增 1 家" in listing and "更新 1 家" in listing
    assert counts(db)[:2] == (5, 4)
    firm = db.session.scalar(select(Enterprise).where(Enterprise.credit_code == codes[0]))
    assert firm.park_id == world.park_a.id and firm.cadre.username == "cadre_a"
    assert (
        db.session.get(Enterprise, world.other_firm.id).name == "湘潭另一家企业有限公司（更名）"
    )  # kept as typed
    assert not any(p.exists() for p in stored)
    assert client.get(f"/imports/{token}").status_code == 404


def test_bad_file_offers_error_report_and_commit_changes_nothing(db, login_as, world):
    client = login_as(world.officer)
    token = upload_token(
        client,
        [
            HEADER,
            ["好企业有限公司", valid_credit_code(), "甲园区", ""],
            ["越界企业有限公司", valid_credit_code(), "乙园区", ""],
        ],
    )
    html = client.get(f"/imports/{token}").get_data(as_text=True)
    assert "下载错误报告" in html and "确认导入" not in html
    assert "第3行【所属园区】只能导入本园区（甲园区）的企业" in html

    resp = client.get(f"/imports/{token}/errors.xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(resp.data)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][-1] == "错误信息"
    assert rows[1][-1] is None and "只能导入本园区" in rows[2][-1]

    before = counts(db)
    resp = client.post(f"/imports/{token}/commit")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/imports/{token}")
    assert counts(db) == before
    assert "未导入任何数据" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_token_belongs_to_the_uploader(db, login_as, world):
    client = login_as(world.officer)
    token = upload_token(client, [HEADER, ["某企业有限公司", valid_credit_code(), "甲园区", ""]])
    for intruder in (world.officer_b, world.admin):
        client = login_as(intruder)
        assert client.get(f"/imports/{token}").status_code == 404
        assert client.get(f"/imports/{token}/errors.xlsx").status_code == 404
        assert client.post(f"/imports/{token}/commit").status_code == 404
    assert counts(db)[0] == 4
    login_as(world.officer)
    assert client.get("/imports/../etc/passwd").status_code == 404
    assert client.get("/imports/" + "0" * 32).status_code == 404


@pytest.mark.parametrize(
    "filename, content, message",
    [
        ("firms.txt", b"hello", "只支持 .xlsx 或 .csv 文件"),
        ("firms.xls", b"\xd0\xcf\x11\xe0", "只支持 .xlsx 或 .csv 文件"),
        ("empty.csv", b"", "上传的文件是空的"),
        ("broken.xlsx", b"not a zip at all", "无法读取该文件"),
        ("header.csv", "企业名称,统一社会信用代码\r\n".encode("gbk"), "没有可导入的数据行"),
    ],
)
def test_bad_uploads_get_a_chinese_message(db, login_as, world, filename, content, message):
    client = login_as(world.officer)
    resp = upload(client, content, filename)
    assert resp.status_code == 200
    assert message in resp.get_data(as_text=True)
    assert not list((Path(current_app.config["UPLOAD_FOLDER"]) / "imports").glob("*.csv"))


def test_upload_without_a_file(db, login_as, world):
    resp = login_as(world.officer).post("/imports/", data={}, content_type="multipart/form-data")
    assert resp.status_code == 200 and "请选择要上传的文件" in resp.get_data(as_text=True)


def test_csv_upload_in_gbk_previews(db, login_as, world):
    client = login_as(world.admin)
    content = f"企业名称,信用代码,园区\r\n国标编码企业有限公司,{valid_credit_code()},乙园区\r\n".encode("gbk")
    resp = upload(client, content, "台账.CSV")
    assert resp.status_code == 302
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "国标编码企业有限公司" in html and "确认导入" in html


def test_template_download(db, login_as, world):
    resp = login_as(world.officer).get("/imports/template.xlsx")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames == ["企业信息", "填写说明"]
    assert wb["企业信息"]["A1"].value == "企业名称"


TOKEN_ROUTES = [
    ("GET", "/imports/"),
    ("POST", "/imports/"),
    ("GET", "/imports/template.xlsx"),
    ("GET", "/imports/{token}"),
    ("POST", "/imports/{token}/commit"),
    ("GET", "/imports/{token}/errors.xlsx"),
]


@pytest.mark.parametrize("role", ["cadre", "handler", "leader"])
@pytest.mark.parametrize("method, template", TOKEN_ROUTES)
def test_import_pages_are_forbidden_to_other_roles(db, login_as, world, role, method, template):
    token = "a" * 32
    resp = login_as(getattr(world, role)).open(template.format(token=token), method=method)
    assert resp.status_code == 403


@pytest.mark.parametrize("method, template", TOKEN_ROUTES)
def test_import_pages_need_login(client, world, method, template):
    resp = client.open(template.format(token="a" * 32), method=method)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_menu_shows_import_to_officers_only(db, login_as, world):
    assert 'href="/imports/"' in login_as(world.officer).get("/").get_data(as_text=True)
    assert 'href="/imports/"' not in login_as(world.cadre).get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["admin", "officer", "officer_b"])
def test_import_pages_open_to_officers_and_admins(db, login_as, world, role):
    client = login_as(getattr(world, role))
    assert client.get("/imports/").status_code == 200
    assert client.get("/imports/template.xlsx").status_code == 200
    unknown = "0" * 32
    assert client.get(f"/imports/{unknown}").status_code == 404
    assert client.post(f"/imports/{unknown}/commit").status_code == 404
    assert client.get(f"/imports/{unknown}/errors.xlsx").status_code == 404
