"""The import page under hostile and awkward files: every bomb is refused at upload with a Chinese
message within seconds and without memory growth, and no upload stays behind; hidden rows are shown,
skipped by default and imported when the officer keeps them; abandoned uploads are cleaned up."""

import io
import os
import re
import time

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

import crm.services.imports.uploads as uploads_module
from crm.models import Enterprise
from tests.support import spreadsheets as build
from tests.support.factories import valid_credit_code
from tests.support.spreadsheets import measured
from tests.web.test_imports_views import HEADER, TOKEN_URL, upload, xlsx_bytes

SECONDS, MEGABYTES = 5, 300


@pytest.fixture()
def folder(app, tmp_path, monkeypatch):
    """The uploads folder of this test alone, so that "nothing stays behind" can be checked exactly."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    return tmp_path / "uploads" / "imports"


def stored(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def firm_rows(count):
    return [[f"第{i}号企业有限公司", valid_credit_code(), "甲园区", ""] for i in range(count)]


def firms(db):
    db.session.expire_all()
    return db.session.scalar(select(func.count(Enterprise.id)))


ROWS = [HEADER, ["湘潭电机有限公司", "91430300MA4T8K2X1X", "甲园区", ""]]


def lying_sheet_size():
    return build.lying_sizes(build.package(build.sheet_xml(ROWS)), "xl/worksheets/sheet1.xml")


BOMBS = [
    ("shared-strings-1GB", build.shared_strings_bomb, "超过单个部件 64MB 的上限"),
    ("one-cell-1GB", build.huge_cell_bomb, "超过单个部件 64MB 的上限"),
    ("ratio", lambda: build.ratio_bomb(ROWS), "压缩比异常"),
    ("5000-members", lambda: build.many_members_bomb(ROWS), "部件过多"),
    ("far-corner", lambda: build.far_corner_bomb(ROWS), "第1048576行 XFD列有内容，超过 100 列的上限"),
    ("lying-sizes", lying_sheet_size, "文件内容已损坏"),
]


@pytest.mark.parametrize("make, message", [b[1:] for b in BOMBS], ids=[b[0] for b in BOMBS])
def test_bombs_are_refused_at_upload_and_leave_nothing(db, login_as, world, folder, make, message):
    client = login_as(world.officer)
    content = make()
    with measured() as spent:
        resp = upload(client, content)
    assert resp.status_code == 200 and message in resp.get_data(as_text=True)
    assert spent.seconds < SECONDS, spent
    assert spent.python_mb < MEGABYTES and spent.rss_growth_mb < MEGABYTES, spent
    assert stored(folder) == []


def test_a_dimension_claiming_the_whole_sheet_previews_its_real_rows_at_once(db, login_as, world, folder):
    client = login_as(world.officer)
    with measured() as spent:
        resp = upload(client, build.dimension_bomb(ROWS))
        html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "湘潭电机有限公司" in html and "共 1 行" in html
    assert spent.seconds < SECONDS and spent.rss_growth_mb < MEGABYTES, spent


def test_a_file_too_big_for_the_page_is_queued_for_the_background(
    app, db, login_as, world, folder, monkeypatch
):
    monkeypatch.setitem(app.config, "IMPORT_WEB_MAX_ROWS", 5)
    resp = upload(login_as(world.officer), xlsx_bytes([HEADER, *firm_rows(6)]))
    assert resp.status_code == 302 and re.search(r"/imports/tasks/\d+$", resp.headers["Location"])
    assert len(stored(folder)) == 2  # the file and its owner record, kept for the imports job


def test_a_file_over_the_import_cap_is_refused_at_upload(app, db, login_as, world, folder, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_WEB_MAX_ROWS", 5)
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 7)
    resp = upload(login_as(world.officer), xlsx_bytes([HEADER, *firm_rows(8)]))
    html = resp.get_data(as_text=True)
    assert "超过单次导入上限 7 行" in html and "请拆分成多个文件" in html
    assert stored(folder) == []


def test_a_crash_while_checking_leaves_no_file_behind(db, login_as, world, folder, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("reader crashed")

    monkeypatch.setattr(uploads_module, "read_import_file", broken)
    with pytest.raises(RuntimeError):
        upload(login_as(world.officer), xlsx_bytes(ROWS))
    assert stored(folder) == []


def test_a_preview_refused_later_discards_the_upload(app, db, login_as, world, folder, monkeypatch):
    client = login_as(world.officer)
    resp = upload(client, xlsx_bytes([HEADER, *firm_rows(3)]))
    token = TOKEN_URL.search(resp.headers["Location"]).group(1)
    monkeypatch.setitem(app.config, "IMPORT_WEB_MAX_ROWS", 2)  # the limit was lowered meanwhile
    resp = client.get(f"/imports/{token}", follow_redirects=True)
    assert "超过单次导入上限 2 行" in resp.get_data(as_text=True)
    assert stored(folder) == [] and client.get(f"/imports/{token}").status_code == 404


def test_abandoned_uploads_are_removed_after_a_day(db, login_as, world, folder):
    client = login_as(world.officer)
    old = TOKEN_URL.search(upload(client, xlsx_bytes(ROWS)).headers["Location"]).group(1)
    recent = TOKEN_URL.search(upload(client, xlsx_bytes(ROWS)).headers["Location"]).group(1)
    day_and_a_bit = time.time() - 25 * 3600
    for path in folder.glob(f"{old}.*"):
        os.utime(path, (day_and_a_bit, day_and_a_bit))
    upload(client, xlsx_bytes(ROWS))
    names = stored(folder)
    assert not any(name.startswith(old) for name in names)
    assert sum(name.startswith(recent) for name in names) == 2 and len(names) == 4


def hidden_workbook():
    wb = Workbook()
    rows = [HEADER, *firm_rows(4)]
    for row in rows:
        wb.active.append(row)
    wb.active.row_dimensions[3].hidden = True
    wb.active.row_dimensions[5].hidden = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), rows


def test_hidden_rows_are_shown_and_skipped_by_default(db, login_as, world, folder):
    client = login_as(world.officer)
    content, rows = hidden_workbook()
    token = TOKEN_URL.search(upload(client, content).headers["Location"]).group(1)
    html = client.get(f"/imports/{token}").get_data(as_text=True)
    assert "文件中有 2 行在 Excel 中被隐藏（第3、5行），默认跳过，不导入" in html
    assert html.count(">隐藏行</span>") == 2 and rows[2][0] in html  # listed, marked
    assert 'name="hidden" value="1"' in html and "导入隐藏行" in html and "checked" not in html
    assert 'name="keep_hidden"' not in html and "共 2 行" in html
    before = firms(db)
    resp = client.post(f"/imports/{token}/commit", follow_redirects=True)
    assert "新增 2 家" in resp.get_data(as_text=True) and "跳过隐藏行 2 行" in resp.get_data(as_text=True)
    assert firms(db) == before + 2


def test_hidden_rows_are_imported_when_the_officer_keeps_them(db, login_as, world, folder):
    client = login_as(world.officer)
    content, _rows = hidden_workbook()
    token = TOKEN_URL.search(upload(client, content).headers["Location"]).group(1)
    html = client.get(f"/imports/{token}?hidden=1").get_data(as_text=True)
    assert re.search(r'id="keep-hidden"\s+checked', html) and "按您的选择一并导入" in html
    assert '<input type="hidden" name="keep_hidden" value="1">' in html and "共 4 行" in html
    before = firms(db)
    resp = client.post(f"/imports/{token}/commit", data={"keep_hidden": "1"}, follow_redirects=True)
    assert "新增 4 家" in resp.get_data(as_text=True)
    assert firms(db) == before + 4 and stored(folder) == []
