"""POST /problems/<id>/<action>: every workflow step through the one route, per role; refusals change
nothing (403/404, or a Chinese flash after a rollback); stale forms and concurrent edits are refused."""

from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from crm.extensions import db as _db
from crm.models import Attachment, AuditLog, Problem, ProblemEvent
from tests.support.uploads import PNG, form_file


def snapshot(problem_id: int) -> tuple:
    """What a refused step must leave untouched: the problem's row, its events and audit entries."""
    _db.session.expire_all()
    p = _db.session.get(Problem, problem_id)
    columns = tuple(getattr(p, c.key) for c in Problem.__table__.columns if c.key != "updated_at")
    events = _db.session.scalar(select(func.count()).where(ProblemEvent.problem_id == problem_id))
    audits = _db.session.scalar(select(func.count()).select_from(AuditLog))
    attachments = _db.session.scalar(select(func.count()).select_from(Attachment))
    return columns, events, audits, attachments


def current_version(problem_id: int) -> str:
    """The version the problem's pages show now: what their forms post back."""
    return str(_db.session.scalar(select(Problem.version).where(Problem.id == problem_id)))


def post(client, problem, action, follow=False, **data):
    """Submit a step as its form would, with the problem's current version unless the test names one."""
    data.setdefault("version", current_version(problem.id))
    return client.post(f"/problems/{problem.id}/{action}", data=data, follow_redirects=follow)


def flashed(resp) -> str:
    return resp.get_data(as_text=True)


def test_officer_dispatches_to_a_department_and_a_named_handler(client, login_as, pworld):
    w = pworld
    login_as(w.officer)
    resp = post(client, w.p_new, "dispatch", department_id=w.dept2.id, handler_id=w.handler2.id,
                note="请尽快对接", version=w.p_new.version)  # fmt: skip
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/problems/{w.p_new.id}")
    assert "已交办给人社局" in flashed(client.get(resp.headers["Location"]))
    p = _db.session.get(Problem, w.p_new.id)
    _db.session.refresh(p)
    assert (p.status, p.department_id, p.handler_id, p.dispatched_on.isoformat()) == (
        "dispatched",
        w.dept2.id,
        w.handler2.id,
        "2026-11-02",
    )
    event = p.events[-1]
    assert (event.action, event.actor_id, event.note) == ("dispatch", w.officer.id, "请尽快对接")
    assert event.data["handler"] == w.handler2.name


def test_handler_signs_reports_and_resolves_with_a_photo(client, login_as, pworld, tmp_path):
    w = pworld
    login_as(w.handler)
    assert "签收成功" in flashed(post(client, w.p_yellow, "accept", follow=True))
    assert "阶段进展成功" in flashed(post(client, w.p_yellow, "progress", follow=True, note="已到企业现场"))
    resp = client.post(
        f"/problems/{w.p_yellow.id}/resolve",
        data={
            "note": "已解决用工对接",
            "files": [form_file("结果.png", PNG)],
            "version": current_version(w.p_yellow.id),
        },  # fmt: skip
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "办结成功" in flashed(resp)
    p = _db.session.get(Problem, w.p_yellow.id)
    _db.session.refresh(p)
    assert (p.status, p.resolution, p.first_feedback_on.isoformat()) == (
        "resolved",
        "已解决用工对接",
        "2026-11-02",
    )
    resolved = p.events[-1]
    assert resolved.action == "resolve" and [a.filename for a in resolved.attachments] == ["结果.png"]
    assert f"/problems/attachments/{resolved.attachments[0].id}" in flashed(resp)


@pytest.mark.parametrize("evaluation, status, message", [
    ("satisfied", "closed", "回访评价已记录，问题已销号"),
    ("basic", "closed", "回访评价已记录，问题已销号"),
    ("unsatisfied", "in_progress", "企业不满意，问题已转为办理中（第1次重办）"),
])  # fmt: skip
def test_cadre_records_the_evaluation(client, login_as, pworld, evaluation, status, message):
    w = pworld
    login_as(w.cadre)
    resp = post(client, w.p_resolved, "evaluate", follow=True, evaluation=evaluation, note="企业反馈")
    assert message in flashed(resp)
    p = _db.session.get(Problem, w.p_resolved.id)
    _db.session.refresh(p)
    assert p.status == status and p.redo_count == (evaluation == "unsatisfied")


def test_leader_writes_an_instruction_that_appears_on_the_timeline(client, login_as, pworld):
    w = pworld
    login_as(w.leader)
    page = flashed(post(client, w.p_red, "instruct", follow=True, note="请三日内办结"))
    assert "批示成功" in page and "领导批示" in page and "请三日内办结" in page


def test_officer_decides_an_extension_from_the_board(client, login_as, pworld):
    w = pworld
    login_as(w.officer)
    resp = post(client, w.p_ext, "refuse_extension", note="时间充足", next="/problems/board")
    assert resp.headers["Location"].endswith("/problems/board")
    p = _db.session.get(Problem, w.p_ext.id)
    _db.session.refresh(p)
    assert p.extension_days is None and p.due_on.isoformat() == "2026-11-09"


def test_next_must_be_a_local_path(client, login_as, pworld):
    login_as(pworld.handler)
    for target in ("http://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        resp = post(client, pworld.p_green, "progress", note="进展", next=target)
        assert resp.headers["Location"].endswith(f"/problems/{pworld.p_green.id}"), target


# (actor, problem, action, data, expected status): steps the actor may not take. Out of scope is
# 404; in scope but not the actor's role is 403. Nothing may change.
FORBIDDEN = [
    ("cadre", "p_yellow", "accept", {}, 404),  # another cadre's firm
    ("cadre", "p_red", "accept", {}, 403),
    ("cadre", "p_new", "dispatch", {"department_id": "DEPT"}, 403),
    ("handler", "p_new", "dispatch", {"department_id": "DEPT"}, 404),  # not handed to the department
    ("handler2", "p_red", "accept", {}, 404),
    ("officer_b", "p_new", "dispatch", {"department_id": "DEPT"}, 404),
    ("officer", "p_foreign", "supervise", {"note": "x"}, 404),
    ("officer", "p_yellow", "accept", {}, 403),
    ("leader", "p_green", "resolve", {"note": "x"}, 403),
    ("leader", "p_new", "dispatch", {"department_id": "DEPT"}, 403),
    ("admin", "p_yellow", "accept", {}, 403),
    ("handler", "p_resolved", "evaluate", {"evaluation": "satisfied"}, 403),
    ("cadre", "p_ext", "approve_extension", {}, 403),
    ("handler", "p_red", "instruct", {"note": "x"}, 403),
]


@pytest.mark.parametrize(
    "actor, name, action, data, code", FORBIDDEN, ids=[f"{f[0]}-{f[2]}" for f in FORBIDDEN]
)
def test_forbidden_steps_answer_403_or_404_and_change_nothing(
    client, login_as, pworld, actor, name, action, data, code
):
    w = pworld
    problem = getattr(w, name)
    data = {k: (w.dept.id if v == "DEPT" else v) for k, v in data.items()}
    before = snapshot(problem.id)
    login_as(getattr(w, actor))
    assert post(client, problem, action, **data).status_code == code
    assert snapshot(problem.id) == before


def test_a_named_handler_binds_colleagues_but_not_the_head(client, login_as, pworld, db):
    w = pworld
    colleague = w.handler
    login_as(w.officer)
    post(client, w.p_new, "dispatch", department_id=w.dept.id, handler_id=w.head.id)
    before = snapshot(w.p_new.id)
    login_as(colleague)
    assert post(client, w.p_new, "accept").status_code == 403
    assert snapshot(w.p_new.id) == before


# (actor, problem, action, data, Chinese message): refused by the workflow rules with a flash.
REFUSED = [
    ("officer", "p_new", "dispatch", {}, "请选择承办部门"),
    ("handler", "p_green", "feedback", {"note": "x"}, "已提交过首次反馈"),
    ("handler", "p_green", "return", {"note": "不是我们的"}, "已超过退回时限"),
    ("handler", "p_green", "progress", {}, "进展情况不能为空"),
    ("handler", "p_green", "request_extension", {"days": "99", "note": "太多"}, "延期天数应为1到10个工作日"),
    ("cadre", "p_resolved", "evaluate", {}, "请选择企业评价"),
    ("cadre", "p_resolved", "evaluate", {"evaluation": "unsatisfied"}, "回访情况不能为空"),
    ("officer", "p_closed", "force_close", {"note": "再次销号理由"}, "不能强制销号"),
    ("officer", "p_new", "force_close", {"note": "太短"}, "强制销号理由至少5个字"),
    ("handler", "p_yellow", "progress", {"note": "x"}, "不能阶段进展"),
]


@pytest.mark.parametrize(
    "actor, name, action, data, message", REFUSED, ids=[f"{r[2]}-{r[4]}" for r in REFUSED]
)
def test_refused_steps_flash_a_chinese_reason_and_change_nothing(
    client, login_as, pworld, actor, name, action, data, message
):
    w = pworld
    problem = getattr(w, name)
    before = snapshot(problem.id)
    login_as(getattr(w, actor))
    resp = post(client, problem, action, **data)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/problems/{problem.id}")
    assert message in flashed(client.get(resp.headers["Location"]))
    assert snapshot(problem.id) == before


def test_unknown_actions_are_404_and_get_is_not_allowed(client, login_as, pworld):
    login_as(pworld.admin)
    for action in ("delete", "raise", "redispatch", "Dispatch"):
        assert post(client, pworld.p_new, action).status_code == 404, action
    assert client.get(f"/problems/{pworld.p_new.id}/dispatch").status_code == 405


def test_a_stale_form_is_refused(client, login_as, pworld):
    w = pworld
    stale = w.p_yellow.version
    login_as(w.officer)
    post(client, w.p_yellow, "supervise", note="请加快", version=stale)  # someone else acts first
    before = snapshot(w.p_yellow.id)
    login_as(w.handler)
    resp = post(client, w.p_yellow, "accept", follow=True, version=stale)
    assert "该问题刚被其他人更新" in flashed(resp)
    assert snapshot(w.p_yellow.id) == before


def test_a_concurrent_write_is_refused_without_a_500(client, login_as, pworld, monkeypatch):
    """Another request commits between this request's read and its write: the version check fails."""
    import crm.blueprints.problems.routes as routes

    w = pworld
    real = routes.apply_action

    def racing(problem, *args, **kwargs):
        with _db.engine.begin() as conn:  # the other user's step, committed meanwhile
            conn.execute(update(Problem).where(Problem.id == problem.id).values(version=Problem.version + 1))
        return real(problem, *args, **kwargs)

    monkeypatch.setattr(routes, "apply_action", racing)
    login_as(w.handler)
    events = snapshot(w.p_yellow.id)[1]
    resp = post(client, w.p_yellow, "accept", follow=True)
    assert resp.status_code == 200 and "该问题刚被其他人更新，请刷新后重试" in flashed(resp)
    _db.session.expire_all()
    p = _db.session.get(Problem, w.p_yellow.id)
    assert p.status == "dispatched" and snapshot(w.p_yellow.id)[1] == events


def test_uploads_need_the_attach_permission(client, login_as, pworld):
    w = pworld
    before = snapshot(w.p_red.id)
    login_as(w.leader)
    resp = client.post(
        f"/problems/{w.p_red.id}/instruct",
        data={
            "note": "请办理",
            "files": [form_file("批示.png", PNG)],
            "version": current_version(w.p_red.id),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "没有上传附件的权限" in flashed(resp)
    assert snapshot(w.p_red.id) == before


def test_a_bad_file_refuses_the_step_and_leaves_no_file(client, login_as, pworld, app):
    w = pworld
    before = snapshot(w.p_green.id)
    folder = Path(app.config["UPLOAD_FOLDER"])
    files_before = sorted(folder.rglob("*.*"))
    login_as(w.handler)
    resp = client.post(
        f"/problems/{w.p_green.id}/progress",
        data={
            "note": "进展",
            "files": [form_file("照片.png", b"not a png at all")],
            "version": current_version(w.p_green.id),
        },  # fmt: skip
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "文件「照片.png」的内容与扩展名不符，未保存" in flashed(resp)
    assert snapshot(w.p_green.id) == before and sorted(folder.rglob("*.*")) == files_before


def test_a_step_a_colleague_already_took_is_a_stale_page_not_a_403(client, login_as, pworld):
    """Two handlers open a dispatched problem; one signs; the other's 签收 then says the page is stale."""
    from tests.support.factories import make_user

    colleague = make_user("handler", pworld.park_a, username="handler_a3", department=pworld.dept)
    problem = pworld.p_yellow
    opened_on = current_version(problem.id)
    login_as(pworld.head)
    assert post(client, problem, "accept").status_code == 302
    login_as(colleague)
    before = snapshot(problem.id)
    resp = post(client, problem, "accept", follow=True, version=opened_on)
    assert resp.status_code == 200 and "该问题刚被其他人更新" in flashed(resp)
    assert snapshot(problem.id) == before
    # With the page up to date, the same request is simply not theirs to make.
    assert post(client, problem, "accept").status_code == 403
    assert snapshot(problem.id) == before
