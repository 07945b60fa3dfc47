"""All or nothing at the view boundary: an import or a workflow step that fails after part of it was
written (rows flushed, files stored) leaves no trace, whether the failure is a refusal or a lost race."""

from pathlib import Path

from sqlalchemy import func, select, update

from crm.extensions import db as _db
from crm.models import Attachment, AuditLog, Enterprise, Notification, Problem, ProblemEvent
from crm.services import ServiceError
from crm.services.imports.enterprises import STALE_IMPORT
from tests.support.factories import valid_credit_code
from tests.support.uploads import PNG, form_file
from tests.web.test_imports_views import HEADER, counts, upload_token


def _problem_state(problem_id: int) -> tuple:
    _db.session.expire_all()
    p = _db.session.get(Problem, problem_id)
    columns = tuple(getattr(p, c.key) for c in Problem.__table__.columns)
    return columns, *(
        _db.session.scalar(select(func.count()).select_from(model))
        for model in (ProblemEvent, AuditLog, Notification, Attachment)
    )


def test_an_import_failing_on_a_later_row_rolls_back_the_rows_written(db, login_as, world, monkeypatch):
    import crm.services.imports.enterprises as imports

    client = login_as(world.officer)
    first = ["先写入的企业有限公司", valid_credit_code(), "甲园区", "cadre_a"]
    second = ["后失败的企业有限公司", valid_credit_code(), "甲园区", "cadre_a"]
    token = upload_token(client, [HEADER, first, second])
    real, calls = imports.start_first_assignment, []

    def fails_second_time(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # both new firms are flushed by now, and the first one's liaison added
            raise ServiceError("该干部已停用")
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "start_first_assignment", fails_second_time)
    before = counts(db)
    resp = client.post(f"/imports/{token}/commit", follow_redirects=True)
    assert "第3行：该干部已停用，本次导入未做任何修改" in resp.get_data(as_text=True)
    assert counts(db) == before and len(calls) == 2
    assert _db.session.scalar(select(Enterprise).where(Enterprise.name == "先写入的企业有限公司")) is None
    assert client.get(f"/imports/{token}").status_code == 200  # the upload is kept for another try


def test_an_import_overtaken_by_a_user_edit_is_refused_without_a_500(db, login_as, world, monkeypatch):
    import crm.services.imports.enterprises as imports

    client = login_as(world.officer)
    firm = world.own_firm
    token = upload_token(client, [HEADER + ["地址"], [firm.name, firm.credit_code, "甲园区", "", "导入地址"],
                                  ["新企业有限公司", valid_credit_code(), "甲园区", "", "一号"]])  # fmt: skip
    real = imports.update_enterprise

    def overtaken(row, *args, **kwargs):
        table = Enterprise.__table__
        with _db.engine.begin() as conn:  # the other user's save lands first
            conn.execute(update(table).where(table.c.id == row.id)
                         .values(address="用户刚填的地址", version=table.c.version + 1))  # fmt: skip
        return real(row, *args, **kwargs)

    monkeypatch.setattr(imports, "update_enterprise", overtaken)
    before = counts(db)
    resp = client.post(f"/imports/{token}/commit", follow_redirects=True)
    assert resp.status_code == 200 and STALE_IMPORT in resp.get_data(as_text=True)
    assert counts(db) == before
    assert _db.session.get(Enterprise, firm.id).address == "用户刚填的地址"


def test_a_step_failing_after_its_event_was_written_changes_nothing(
    client, login_as, pworld, app, monkeypatch
):
    """The status, the event, the audit row and the stored photo all go when a later part fails."""
    import crm.services.problems.flow as flow

    def broken_notices(event):
        assert event.id is not None  # the event row and the attachment are flushed at this point
        raise ServiceError("通知发送失败")

    monkeypatch.setattr(flow, "notify_problem_event", broken_notices)
    w = pworld
    folder = Path(app.config["UPLOAD_FOLDER"])
    files_before = sorted(folder.rglob("*.*"))
    before = _problem_state(w.p_dept2.id)
    login_as(w.handler2)
    resp = client.post(
        f"/problems/{w.p_dept2.id}/resolve",
        data={"note": "已协调解决", "version": w.p_dept2.version, "files": [form_file("办结.png", PNG)]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert resp.status_code == 200 and "通知发送失败" in resp.get_data(as_text=True)
    assert _problem_state(w.p_dept2.id) == before
    assert sorted(folder.rglob("*.*")) == files_before
