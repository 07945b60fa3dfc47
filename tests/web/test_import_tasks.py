"""A file above the import page's row cap is queued and imported by the `imports` job: the page
creates nothing, the job imports every row all-or-nothing, the task page shows the stage and counts
to its creator (and admins) only, a bad row refuses the whole file with an error workbook, and a
second run of the job imports nothing twice."""

import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from crm.jobs import JOBS, run_import_tasks, run_job
from crm.models import Enterprise, ImportTask
from tests.support.dates import TODAY
from tests.support.factories import valid_credit_code
from tests.web.test_imports_views import HEADER, upload

ROWS = 1_500
TASK_URL = re.compile(r"/imports/tasks/(\d+)$")


@pytest.fixture()
def folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    return tmp_path / "uploads" / "imports"


def big_file(rows: int = ROWS, bad_row: int | None = None) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("企业信息")
    ws.append(HEADER)
    for i in range(rows):
        code = "不是信用代码" if i == bad_row else valid_credit_code(100_000 + i)
        ws.append([f"后台导入第{i}号企业有限公司", code, "甲园区", ""])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def firms(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Enterprise.id)))


def queue(client, content: bytes) -> int:
    resp = upload(client, content, filename="大文件.xlsx")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    match = TASK_URL.search(resp.headers["Location"])
    assert match, resp.headers["Location"]
    return int(match.group(1))


def task_of(db, task_id: int) -> ImportTask:
    db.session.expire_all()
    return db.session.get_one(ImportTask, task_id)


def test_a_large_file_is_queued_then_imported_in_the_background(db, login_as, world, folder):
    client = login_as(world.officer)
    before = firms(db)
    task_id = queue(client, big_file())
    assert firms(db) == before  # nothing imported by the page
    page = client.get(f"/imports/tasks/{task_id}").get_data(as_text=True)
    assert "排队中" in page and 'http-equiv="refresh"' in page and "共 1500 行" in page
    assert "大文件.xlsx" in client.get("/imports/").get_data(as_text=True)  # the officer's recent tasks

    assert run_import_tasks(TODAY) == {"imported": 1}
    assert firms(db) == before + ROWS
    task = task_of(db, task_id)
    assert (task.status, task.rows_checked, task.created, task.updated) == ("done", ROWS, ROWS, 0)
    assert task.finished_at is not None
    page = client.get(f"/imports/tasks/{task_id}").get_data(as_text=True)
    assert "完成" in page and "新增 1500 家" in page and 'http-equiv="refresh"' not in page
    assert not list(folder.glob(f"{task.token}.*"))  # the upload is gone once imported


def test_the_job_run_twice_imports_once(app, db, login_as, world, folder):
    client = login_as(world.officer)
    before = firms(db)
    task_id = queue(client, big_file(1_200))
    first = run_job(app, JOBS["imports"], today=TODAY)
    second = run_job(app, JOBS["imports"], today=TODAY)
    assert (first.status, first.counts) == ("ok", {"imported": 1})
    assert (second.status, second.counts) == ("ok", {})
    assert firms(db) == before + 1_200 and task_of(db, task_id).status == "done"


def test_a_bad_row_refuses_the_whole_file_with_an_error_workbook(db, login_as, world, folder):
    client = login_as(world.officer)
    before = firms(db)
    task_id = queue(client, big_file(bad_row=700))
    assert run_import_tasks(TODAY) == {"refused": 1}
    assert firms(db) == before
    task = task_of(db, task_id)
    assert task.status == "refused" and "第702行" in (task.error or "")
    page = client.get(f"/imports/tasks/{task_id}").get_data(as_text=True)
    assert "有错误，未导入" in page and f"/imports/tasks/{task_id}/errors.xlsx" in page
    resp = client.get(f"/imports/tasks/{task_id}/errors.xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(resp.data), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == ROWS + 1 and "统一社会信用代码" in str(rows[701][-1])


def test_only_the_creator_and_admins_see_a_task(db, login_as, world, folder):
    task_id = queue(login_as(world.officer), big_file(1_100, bad_row=3))
    run_import_tasks(TODAY)
    other = login_as(world.officer_b)
    assert other.get(f"/imports/tasks/{task_id}").status_code == 404
    assert other.get(f"/imports/tasks/{task_id}/errors.xlsx").status_code == 404
    assert "大文件.xlsx" not in other.get("/imports/").get_data(as_text=True)
    admin = login_as(world.admin)
    assert admin.get(f"/imports/tasks/{task_id}").status_code == 200


def test_a_task_left_running_by_a_dead_run_ends_failed(db, login_as, world, folder):
    task_id = queue(login_as(world.officer), big_file(1_050))
    task = task_of(db, task_id)
    task.status = "importing"
    db.session.commit()
    before = firms(db)
    assert run_import_tasks(TODAY) == {}
    task = task_of(db, task_id)
    assert task.status == "failed" and "导入中断" in (task.error or "") and firms(db) == before
