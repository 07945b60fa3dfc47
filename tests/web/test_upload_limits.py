"""Upload size and type limits on every route that takes a file: a body over MAX_CONTENT_LENGTH gets the
Chinese 413 page, a file of the wrong type (by name or by content) or over the per-file limit gets a
Chinese refusal; in every case nothing is stored (no row, no file on disk)."""

import inspect
from io import BytesIO

import pytest
from sqlalchemy import func, select

from crm.models import Attachment, Problem, ProblemEvent, Visit
from tests.support.uploads import DOCX, JPEG, OLE2, PDF, PNG, XLSX, image_bytes, zip_bytes

VISIT = {"visited_on": "2026-11-02", "kind": "onsite", "participants": "王总", "summary": "走访了解订单情况"}
PROBLEM = {"title": "附件测试", "category": "other", "source": "visit", "description": "x"}
ACCEPT = {"note": "签收", "version": "{w.p_yellow.version}"}

# (endpoint, who, url, form fields, file field): every route of the app that accepts an upload. Fields
# are formatted with the world like the URL (the version an edit form carries).
ROUTES = [
    ("visits.create", "cadre", "/enterprises/{w.own_firm.id}/visits/new", VISIT, "files"),
    ("visits.edit", "cadre", "/visits/{w.visit.id}/edit", VISIT | {"version": "{w.visit.version}"}, "files"),
    ("lists.problem_new", "cadre", "/enterprises/{w.own_firm.id}/problems/new", PROBLEM, "files"),
    ("problems.act", "handler", "/problems/{w.p_yellow.id}/accept", ACCEPT, "files"),
    ("imports.index", "officer", "/imports/", {}, "file"),
]
IDS = [r[0] for r in ROUTES]
# Routes checked apart: the field app's sync answers JSON (tests/web/test_field_views.py); the firm's
# public page takes photos and PDFs only, without an account (the tests at the end of this file); a
# policy's official text and the policy import (tests/web/test_policy_views.py, and the 413 below).
JSON_ROUTES = {"field.sync", "firm_portal.submit", "policies.create", "policies.edit", "policies.import_file"}
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100 + b"This program cannot be run in DOS mode"
HTML_PDF = b"<html><p> %PDF-1.4</p><script>alert(1)</script></html>\n%%EOF"  # the PDF header at offset 10
MISMATCH = "文件「{}」的内容与扩展名不符，未保存"


def _stored(db, folder) -> tuple:
    """Everything an upload could leave behind: rows and files."""
    db.session.expire_all()
    counts = tuple(
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Attachment, Visit, Problem, ProblemEvent)
    )
    files = sorted(str(p) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
    return counts, files


@pytest.fixture()
def uploads(app, pworld, tmp_path, monkeypatch):
    folder = tmp_path / "limits"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


def _fields(fields: dict, w) -> dict:
    return {name: value.format(w=w) for name, value in fields.items()}


def _post(client, login_as, w, route, filename, content):
    _endpoint, who, url, fields, field = route
    login_as(getattr(w, who))
    data = _fields(fields, w) | {field: [(BytesIO(content), filename)]}
    return client.post(url.format(w=w), data=data, content_type="multipart/form-data")


def test_limits_are_configured(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024
    assert app.config["ATTACHMENT_MAX_BYTES"] < app.config["MAX_CONTENT_LENGTH"]  # reachable per file


def test_every_upload_route_is_listed_here(app):
    """A view that reads uploaded files but is missing from ROUTES fails here (then add its row)."""
    markers = ("uploads(", "file.data", "request.files", "files=")
    takes_files = set()
    for endpoint, view in app.view_functions.items():
        try:
            source = inspect.getsource(inspect.unwrap(view))
        except (OSError, TypeError):  # static file views and the like
            continue
        if any(m in source for m in markers):
            takes_files.add(endpoint)
    assert takes_files == set(IDS) | JSON_ROUTES


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_a_body_over_the_limit_gets_the_chinese_413_page(client, login_as, pworld, db, uploads, route):
    before = _stored(db, uploads)
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (20 * 1024 * 1024)
    resp = _post(client, login_as, pworld, route, "大照片.png", big)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 413
    assert "上传的文件过大：每次提交合计不能超过20MB" in page and "联企通" in page
    assert _stored(db, uploads) == before


@pytest.mark.parametrize("route", ROUTES[:4], ids=IDS[:4])
@pytest.mark.parametrize(
    "filename, content, message",
    [
        ("病毒.exe", b"MZ\x90\x00" * 8, "文件 病毒.exe 类型不支持（仅限图片、PDF、Word、Excel）"),
        ("页面.html", b"<script>alert(1)</script>", "文件 页面.html 类型不支持"),
        ("图.svg", b"<svg onload=alert(1)>", "文件 图.svg 类型不支持"),
        ("照片.jpg", b"<html><script>alert(1)</script></html>", MISMATCH.format("照片.jpg")),
        ("材料.pdf", b"MZ\x90\x00" * 8, MISMATCH.format("材料.pdf")),
        # Spoofs: the extension of an allowed type on content of another kind.
        ("纪要.docx", EXE, MISMATCH.format("纪要.docx")),
        ("台账.xls", EXE, MISMATCH.format("台账.xls")),
        ("说明.pdf", HTML_PDF, MISMATCH.format("说明.pdf")),
        ("台账.xlsx", zip_bytes({"xl/workbook.xml": b"<workbook/>"}), MISMATCH.format("台账.xlsx")),
        ("现场.png", b"plain text pretending to be a photo\n", MISMATCH.format("现场.png")),
    ],
)
def test_attachments_of_the_wrong_type_are_refused(
    client, login_as, pworld, db, uploads, route, filename, content, message
):
    before = _stored(db, uploads)
    resp = _post(client, login_as, pworld, route, filename, content)
    page = client.get(resp.headers["Location"]).get_data(as_text=True) if resp.status_code == 302 else ""
    page += resp.get_data(as_text=True)
    assert message in page
    assert _stored(db, uploads) == before


@pytest.mark.parametrize("route", ROUTES[:4], ids=IDS[:4])
def test_real_files_of_every_allowed_type_are_stored(client, login_as, pworld, db, uploads, route):
    files = {
        "现场.png": PNG,
        "现场.jpg": JPEG,
        "动图.gif": image_bytes("GIF"),
        "截图.webp": image_bytes("WEBP"),
        "材料.pdf": PDF,
        "纪要.docx": DOCX,
        "台账.xlsx": XLSX,
        "旧纪要.doc": OLE2,
        "旧台账.xls": OLE2,
    }
    (attachments_before, *_), files_before = _stored(db, uploads)
    _endpoint, who, url, fields, field = route
    login_as(getattr(pworld, who))
    data = _fields(fields, pworld) | {field: [(BytesIO(content), name) for name, content in files.items()]}
    resp = client.post(url.format(w=pworld), data=data, content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    (attachments_after, *_), files_after = _stored(db, uploads)
    assert attachments_after - attachments_before == len(files) == len(files_after) - len(files_before)


@pytest.mark.parametrize("route", ROUTES[:4], ids=IDS[:4])
def test_an_attachment_over_the_per_file_limit_is_refused(app, client, login_as, pworld, db, uploads, route):
    app.config["ATTACHMENT_MAX_BYTES"], saved = 1024, app.config["ATTACHMENT_MAX_BYTES"]
    try:
        before = _stored(db, uploads)
        resp = _post(client, login_as, pworld, route, "现场.pdf", b"%PDF-1.4\n" + b"0" * 2048)
        page = client.get(resp.headers["Location"]).get_data(as_text=True) if resp.status_code == 302 else ""
        assert "文件 现场.pdf 超过1KB" in page + resp.get_data(as_text=True)
        assert _stored(db, uploads) == before
    finally:
        app.config["ATTACHMENT_MAX_BYTES"] = saved


@pytest.mark.parametrize(
    "filename, content, message",
    [
        ("企业.exe", b"MZ\x90\x00", "只支持 .xlsx 或 .csv 文件"),
        ("企业.xls", b"\xd0\xcf\x11\xe0", "只支持 .xlsx 或 .csv 文件"),
        ("企业.html", b"<script>alert(1)</script>", "只支持 .xlsx 或 .csv 文件"),
        ("企业.xlsx", b"<html>not a workbook</html>", "无法读取该文件"),
    ],
)
def test_imports_of_the_wrong_type_are_refused(
    client, login_as, pworld, db, uploads, filename, content, message
):
    before = _stored(db, uploads)
    resp = _post(client, login_as, pworld, ROUTES[4], filename, content)
    assert resp.status_code == 200 and message in resp.get_data(as_text=True)
    assert _stored(db, uploads) == before


# ---- the firm's public page (no account): photos and PDFs only, the same content checks


FIRM_SUBMISSION = {
    "category": "utilities",
    "title": "厂区停电频繁",
    "description": "上周停电三次",
    "contact_name": "王经理",
    "contact_phone": "13807321234",
}


@pytest.fixture()
def firm_url(pworld, db):
    from crm.services.portal.codes import issue_service_code, token_of

    code = issue_service_code(pworld.own_firm, pworld.officer)
    db.session.commit()
    return f"/s/{token_of(code)}/new"


def _submit(client, url, files):
    data = FIRM_SUBMISSION | {"files": [(BytesIO(content), name) for name, content in files]}
    return client.post(url, data=data, content_type="multipart/form-data")


def test_the_firm_page_answers_an_oversize_body_with_the_chinese_413(client, db, uploads, firm_url):
    before = _stored(db, uploads)
    resp = _submit(client, firm_url, [("大照片.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (20 * 1024 * 1024))])
    assert resp.status_code == 413 and "上传的文件过大" in resp.get_data(as_text=True)
    assert _stored(db, uploads) == before


@pytest.mark.parametrize(
    "filename, content, message",
    [
        ("病毒.exe", b"MZ\x90\x00" * 8, "文件 病毒.exe 类型不支持：只能上传照片或PDF"),
        ("图.svg", b"<svg onload=alert(1)>", "文件 图.svg 类型不支持"),
        ("纪要.docx", DOCX, "文件 纪要.docx 类型不支持"),
        ("照片.jpg", b"<html><script>alert(1)</script></html>", MISMATCH.format("照片.jpg")),
        ("说明.pdf", HTML_PDF, MISMATCH.format("说明.pdf")),
        ("现场.png", EXE, MISMATCH.format("现场.png")),
    ],
)
def test_the_firm_page_refuses_files_of_the_wrong_type(
    client, db, uploads, firm_url, filename, content, message
):
    before = _stored(db, uploads)
    resp = _submit(client, firm_url, [(filename, content)])
    assert message in resp.get_data(as_text=True)
    assert _stored(db, uploads) == before


def test_the_firm_page_stores_real_photos_and_pdfs(client, db, uploads, firm_url):
    (attachments_before, *_), _files = _stored(db, uploads)
    resp = _submit(
        client, firm_url, [("现场.jpg", JPEG), ("截图.webp", image_bytes("WEBP")), ("材料.pdf", PDF)]
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    (attachments_after, *_), _files = _stored(db, uploads)
    assert attachments_after - attachments_before == 3


def test_the_policy_pages_answer_an_oversize_body_with_the_chinese_413(client, login_as, pworld, db, uploads):
    login_as(pworld.officer)
    big = b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024)
    for url, field in (("/policies/new", "file"), ("/policies/import", "file")):
        resp = client.post(
            url, data={field: [(BytesIO(big), "政策.pdf")]}, content_type="multipart/form-data"
        )
        assert resp.status_code == 413 and "上传的文件过大" in resp.get_data(as_text=True), url
