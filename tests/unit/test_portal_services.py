"""企业之声 services: the service code (token, hash, revoke, reissue), a firm's submission becoming a
企业自报 problem, the database rate limits, the firm's own rating gating 销号 next to the cadre's 代录,
撤单 only with the firm's consent, and the 撤单质检 that reopens a false one."""

from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import (
    Attachment,
    AuditLog,
    Notification,
    PortalHit,
    Problem,
    ProblemEvent,
    ServiceCode,
    Withdrawal,
)
from crm.services import ServiceError
from crm.services.portal.codes import code_for_token, issue_service_code, revoke_service_code, token_of
from crm.services.portal.firm_steps import answer_withdrawal, firm_problem, firm_steps, rate_problem
from crm.services.portal.submissions import submit_problem
from crm.services.portal.throttle import RateLimited
from crm.services.problems.flow import apply_action
from crm.timeutil import utcnow
from tests.support.dates import TODAY
from tests.support.factories import make_enterprise, make_park
from tests.support.problems import make_problem, problem_world, step
from tests.support.uploads import DOCX, JPEG, PDF, PNG, upload
from tests.unit.test_problem_workflow_declaration import _assert_replays

FORM = {
    "category": "utilities",
    "title": "厂区停电频繁",
    "description": "上周停电三次，影响生产线，请协调供电公司排查线路。",
    "contact_name": "王经理",
    "contact_phone": "138 0732 1234",
    "wished_on": "2026-11-20",
}


@pytest.fixture()
def w(db, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    world = problem_world()
    world.code = issue_service_code(world.firm, world.officer)
    world.token = token_of(world.code)
    db.session.commit()
    return world


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


# --- the service code ---


def test_a_code_is_an_unguessable_token_stored_only_as_its_hash(w):
    assert len(w.token) == 32 and code_for_token(w.token) == w.code
    row = db.session.get(ServiceCode, w.code.id)
    assert w.token not in (row.nonce, row.token_hash) and len(row.token_hash) == 64
    assert code_for_token(w.token[:-1] + ("A" if w.token[-1] != "A" else "B")) is None
    for junk in ("", "short", w.token + "x", "../../etc/passwd", "'; DROP TABLE x;--" + "a" * 14):
        assert code_for_token(junk) is None


def test_revoking_and_reissuing_kill_the_old_link(w):
    revoke_service_code(w.firm, w.officer, "卡片遗失")
    assert code_for_token(w.token) is None
    new = issue_service_code(w.firm, w.officer)
    assert code_for_token(token_of(new)) == new and token_of(new) != w.token
    again = issue_service_code(w.firm, w.officer)  # 重新发码 revokes the active one
    assert code_for_token(token_of(new)) is None and code_for_token(token_of(again)) == again
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "service_code")).all()
    assert actions == ["issue", "revoke", "issue", "reissue"]


def test_who_may_manage_codes(w):
    with pytest.raises(ServiceError, match="没有"):
        issue_service_code(w.firm, w.cadre)
    with pytest.raises(ServiceError, match="作废原因不能为空"):
        revoke_service_code(w.firm, w.officer, "  ")
    other = make_enterprise(make_park())  # another park: out of the officer's scope
    with pytest.raises(ServiceError, match="没有"):
        issue_service_code(other, w.officer)


def test_a_closed_firm_has_no_page_and_gets_no_code(w):
    w.firm.status = "closed"
    db.session.flush()
    assert code_for_token(w.token) is None
    with pytest.raises(ServiceError, match="注销"):
        issue_service_code(w.firm, w.officer)


def test_a_new_key_keeps_issued_cards_working_but_not_printable(w, monkeypatch):
    monkeypatch.setitem(current_app.config, "SERVICE_CODE_SECRET", "another-key")
    assert code_for_token(w.token) == w.code  # the card in the firm's hands still opens the page
    assert token_of(w.code) is None  # but it cannot be printed again: reissue


# --- 提交诉求 ---


def test_a_submission_becomes_a_firm_problem_waiting_for_dispatch(w):
    files = [upload("现场.jpg", JPEG), upload("报告.pdf", PDF)]
    problem = submit_problem(w.code, FORM, files, "10.0.0.8", TODAY)
    db.session.commit()
    assert (problem.status, problem.source, problem.source_label) == ("new", "firm", "企业自报")
    assert problem.raised_by_id is None and problem.enterprise_id == w.firm.id
    assert (problem.contact_name, problem.contact_phone, problem.wished_on.isoformat()) == (
        "王经理",
        "138 0732 1234",
        "2026-11-20",
    )
    event = db.session.scalar(select(ProblemEvent).where(ProblemEvent.problem_id == problem.id))
    assert (
        event.action == "raise" and event.actor_id is None and event.data == {"by": "firm", "code": w.code.id}
    )
    names = db.session.scalars(select(Attachment.filename).where(Attachment.owner_id == problem.id)).all()
    assert names == ["现场.jpg", "报告.pdf"]
    assert {a.uploaded_by_id for a in problem.attachments} == {None}
    told = {
        n.user_id
        for n in db.session.scalars(select(Notification).where(Notification.problem_id == problem.id))
    }
    assert told == {w.cadre.id, w.officer.id}  # the firm's cadre and the park's officers


@pytest.mark.parametrize(
    "changes, files, message",
    [
        ({"contact_phone": ""}, [], "联系电话不能为空"),
        ({"contact_phone": "abc"}, [], "联系电话格式不正确"),
        ({"contact_name": ""}, [], "联系人不能为空"),
        ({"title": "", "description": ""}, [], "问题标题不能为空；问题描述不能为空"),
        ({"category": "bribe"}, [], "问题类别取值无效"),
        ({"wished_on": "2020-01-01"}, [], "希望办结时间应在今天到一年以内"),
        ({"wished_on": "明天"}, [], "希望办结时间应为日期"),
        ({"title": "停电\x1b[0m"}, [], "控制字符"),
        ({}, [upload(f"{i}.png", PNG) for i in range(4)], "最多上传3个文件"),
        ({}, [upload("纪要.docx", DOCX)], "只能上传照片或PDF"),
        ({}, [upload("伪装.jpg", b"MZ\x90\x00not a picture")], "内容与扩展名不符"),
    ],
)
def test_a_bad_submission_is_refused_whole(w, changes, files, message):
    before = (_count(Problem), _count(ProblemEvent), _count(Attachment), _count(Notification))
    with pytest.raises(ServiceError, match=message):
        submit_problem(w.code, FORM | changes, files, "10.0.0.8", TODAY)
    db.session.rollback()
    assert (_count(Problem), _count(ProblemEvent), _count(Attachment), _count(Notification)) == before
    assert _count(PortalHit) == 0  # a refused post is not even counted


def test_an_oversize_upload_is_refused(w, monkeypatch):
    monkeypatch.setitem(current_app.config, "ATTACHMENT_MAX_BYTES", 1024)
    with pytest.raises(ServiceError, match="超过1KB"):
        submit_problem(w.code, FORM, [upload("大图.png", PNG + b"\x00" * 2048)], "10.0.0.8", TODAY)


# --- rate limits in the database ---


def test_five_submissions_an_hour_per_code_then_refused_with_nothing_written(w):
    now = utcnow()
    for i in range(5):
        submit_problem(
            w.code, FORM | {"title": f"诉求{i}"}, (), f"10.0.0.{i}", TODAY, now + timedelta(minutes=i)
        )
        db.session.commit()
    before = (_count(Problem), _count(PortalHit), _count(Notification), _count(AuditLog))
    with pytest.raises(
        RateLimited, match=r"该企业服务码提交诉求过于频繁（每小时最多5次），请 5\d 分钟后再试"
    ):
        submit_problem(w.code, FORM, (), "10.0.0.99", TODAY, now + timedelta(minutes=6))
    db.session.rollback()
    assert (_count(Problem), _count(PortalHit), _count(Notification), _count(AuditLog)) == before
    # An hour after the first, one more is let through.
    submit_problem(w.code, FORM, (), "10.0.0.99", TODAY, now + timedelta(minutes=61))


def test_one_address_is_limited_across_codes(w, app, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_SUBMITS_PER_ADDRESS", 3)
    other = make_enterprise(w.park, cadre=w.cadre)
    other_code = issue_service_code(other, w.officer)
    now = utcnow()
    for code in (w.code, w.code, other_code):
        submit_problem(code, FORM, (), "203.0.113.7", TODAY, now)
        db.session.commit()
    with pytest.raises(RateLimited, match="当前网络提交诉求过于频繁"):
        submit_problem(other_code, FORM, (), "203.0.113.7", TODAY, now)
    db.session.rollback()
    submit_problem(other_code, FORM, (), "203.0.113.8", TODAY, now)  # another address is not held up


def test_old_hits_are_purged(w):
    now = utcnow()
    db.session.add(PortalHit(kind="submit", bucket="addr:1.2.3.4", at=now - timedelta(hours=3)))
    submit_problem(w.code, FORM, (), "10.0.0.8", TODAY, now)
    assert set(db.session.scalars(select(PortalHit.bucket))) == {f"code:{w.code.id}", "addr:10.0.0.8"}


# --- the firm's own 回访评价 gates 销号; 代录 beside it ---


def test_the_firms_rating_is_the_evaluation_and_closes_the_problem(w):
    p = make_problem(w.firm, w.cadre, "resolved", w.dept, w.handler, w.officer, raised_on=TODAY)
    assert firm_steps(p) == ["evaluate"]
    event = rate_problem(
        w.code, p, {"evaluation": "satisfied", "note": "很快就解决了", "version": p.version}, "1.1.1.1"
    )
    assert (p.status, p.evaluation, p.evaluation_by, p.evaluation_channel) == (
        "closed",
        "satisfied",
        "firm",
        None,
    )
    assert p.closed_on == TODAY and event.actor_id is None
    assert event.data == {"evaluation": "satisfied", "by": "firm"} and event.note == "很快就解决了"
    assert p.evaluation_by_label == "企业自评" and firm_steps(p) == []
    cadre_notes = db.session.scalars(
        select(Notification.title).where(Notification.user_id == w.cadre.id)
    ).all()
    assert any("企业已在服务页评价（满意）" in t for t in cadre_notes)


def test_the_firms_unsatisfied_rating_needs_a_reason_and_sends_it_back(w):
    p = make_problem(w.firm, w.cadre, "resolved", w.dept, w.handler, w.officer, raised_on=TODAY)
    with pytest.raises(ServiceError, match="不满意的原因不能为空"):
        rate_problem(w.code, p, {"evaluation": "unsatisfied", "version": p.version})
    rate_problem(w.code, p, {"evaluation": "unsatisfied", "note": "仍然停电", "version": p.version})
    assert (p.status, p.redo_count, p.evaluation_by) == ("in_progress", 1, "firm")


def test_the_firm_may_rate_only_a_resolved_problem_of_its_own(w):
    p = make_problem(w.firm, w.cadre, "in_progress", w.dept, w.handler, w.officer, raised_on=TODAY)
    with pytest.raises(ServiceError, match="不能回访评价"):
        rate_problem(w.code, p, {"evaluation": "satisfied", "version": p.version})
    other = make_enterprise(w.park, cadre=w.cadre)
    theirs = make_problem(other, w.cadre, "resolved", w.dept, w.handler, w.officer, raised_on=TODAY)
    assert firm_problem(w.code, theirs.id) is None
    with pytest.raises(ServiceError):
        rate_problem(w.code, theirs, {"evaluation": "satisfied", "version": theirs.version})
    assert theirs.status == "resolved"


def test_the_firm_cannot_take_the_departments_or_offices_steps(w):
    p = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, w.officer, raised_on=TODAY)
    for action in ("accept", "dispatch", "force_close", "request_withdrawal", "review_withdrawal"):
        with pytest.raises(ServiceError):
            apply_action(p, action, None, {"note": "x" * 10}, today=TODAY, by_firm=True)
    assert p.status == "dispatched"


def test_a_cadres_rating_is_recorded_as_proxy_with_how_the_firm_was_asked(w):
    p = make_problem(w.firm, w.cadre, "resolved", w.dept, w.handler, w.officer, raised_on=TODAY)
    step(p, "evaluate", w.cadre, evaluation="basic", channel="onsite")
    assert (p.status, p.evaluation_by, p.evaluation_channel, p.evaluation_by_label) == (
        "closed",
        "cadre",
        "onsite",
        "代录（上门）",
    )
    q = make_problem(w.firm, w.cadre, "resolved", w.dept, w.handler, w.officer, raised_on=TODAY)
    with pytest.raises(ServiceError, match="请选择回访方式"):
        step(q, "evaluate", w.cadre, evaluation="basic", channel="wechat")


# --- 撤单 only with the firm's consent ---


def _asked(w):
    p = make_problem(w.firm, w.cadre, "in_progress", w.dept, w.handler, w.officer, raised_on=TODAY)
    step(p, "request_withdrawal", w.handler, note="企业已通过其他渠道解决")
    return p


def test_asking_to_withdraw_changes_nothing_until_the_firm_agrees(w):
    p = _asked(w)
    assert p.status == "in_progress" and p.has_pending_withdrawal and p.withdrawn_on is None
    assert firm_steps(p) == ["withdrawal"]
    with pytest.raises(ServiceError, match="已有待企业确认的撤单申请"):
        step(p, "request_withdrawal", w.cadre, note="再申请一次")
    with pytest.raises(ServiceError, match="没有权限"):
        step(p, "confirm_withdrawal", w.cadre, note="干部不能替企业确认")
    with pytest.raises(ServiceError, match="电话确认情况不能为空"):
        step(p, "confirm_withdrawal", w.officer)
    with pytest.raises(ServiceError, match="撤单理由不能为空"):
        step(make_problem(w.firm, w.cadre, "new", raised_on=TODAY), "request_withdrawal", w.cadre)


def test_the_firm_agrees_on_its_page_and_the_withdrawal_goes_to_the_review(w):
    p = _asked(w)
    event = answer_withdrawal(w.code, p, {"answer": "agree", "version": p.version})
    assert (p.status, p.withdrawn_on, p.closed_on, p.status_label) == ("closed", TODAY, TODAY, "已撤单")
    assert event.action == "withdraw_firm" and event.actor_id is None and not p.has_pending_withdrawal
    row = db.session.scalar(select(Withdrawal).where(Withdrawal.problem_id == p.id))
    assert (row.via, row.department_id, row.from_status, row.review) == (
        "firm",
        w.dept.id,
        "in_progress",
        None,
    )
    assert row.requested_by_id == w.handler.id and row.reason == "企业已通过其他渠道解决"


def test_the_firm_declines_and_the_department_carries_on(w):
    p = _asked(w)
    event = answer_withdrawal(w.code, p, {"answer": "decline", "note": "问题还没解决", "version": p.version})
    assert (p.status, p.has_pending_withdrawal, event.action) == ("in_progress", False, "withdraw_declined")
    assert _count(Withdrawal) == 0
    with pytest.raises(ServiceError, match="请选择同意撤单或不同意撤单"):
        answer_withdrawal(w.code, p, {"answer": "maybe", "version": p.version})


def test_an_officer_records_the_firms_consent_by_phone(w):
    p = _asked(w)
    step(p, "confirm_withdrawal", w.officer, note="已致电企业负责人王经理，同意撤单")
    row = db.session.scalar(select(Withdrawal).where(Withdrawal.problem_id == p.id))
    assert (row.via, row.confirmed_by_id, p.status) == ("phone", w.officer.id, "closed")


def test_a_resolution_lets_a_pending_request_lapse(w):
    p = _asked(w)
    step(p, "resolve", w.handler, note="已恢复供电")
    assert p.status == "resolved" and not p.has_pending_withdrawal and firm_steps(p) == ["evaluate"]


# --- 撤单质检 ---


def test_a_false_withdrawal_reopens_the_problem_and_counts_against_the_department(w):
    p = _asked(w)
    answer_withdrawal(w.code, p, {"answer": "agree", "version": p.version})
    with pytest.raises(ServiceError, match="质检说明不能为空"):
        step(p, "review_withdrawal", w.officer, verdict="false")
    step(p, "review_withdrawal", w.officer, verdict="false", note="企业称是承办人要求撤单")
    assert (p.status, p.department_id, p.closed_on, p.withdrawn_on, p.due_on) == (
        "new",
        None,
        None,
        None,
        None,
    )
    row = db.session.scalar(select(Withdrawal).where(Withdrawal.problem_id == p.id))
    assert (row.review, row.department_id, row.reviewed_by_id) == ("false", w.dept.id, w.officer.id)
    with pytest.raises(ServiceError):  # reviewed, and no longer closed
        step(p, "review_withdrawal", w.officer, verdict="genuine")
    told = db.session.scalars(
        select(Notification.user_id).where(
            Notification.problem_id == p.id, Notification.title.like("撤单质检不属实%")
        )
    ).all()
    assert set(told) == {w.handler.id, w.head.id}  # the department; the reviewing officer is the actor


def test_a_genuine_withdrawal_stays_closed(w):
    p = _asked(w)
    step(p, "confirm_withdrawal", w.officer, note="电话确认")
    step(p, "review_withdrawal", w.officer, verdict="genuine")
    assert p.status == "closed" and p.withdrawn_on == TODAY
    with pytest.raises(ServiceError, match="不是待质检的撤单"):
        step(p, "review_withdrawal", w.officer, verdict="false", note="再查一次")
    q = make_problem(w.firm, w.cadre, "closed", w.dept, w.handler, w.officer, raised_on=TODAY)
    with pytest.raises(ServiceError, match="不是待质检的撤单"):  # closed by an evaluation, not a withdrawal
        step(q, "review_withdrawal", w.officer, verdict="genuine")


# --- the month-end replay reads the firm's events as the steps did ---


@pytest.mark.parametrize("path", ["rated", "unhappy", "withdrawn", "reopened"])
def test_the_firms_steps_are_replayed_at_month_end(w, path):
    if path in ("rated", "unhappy"):
        p = make_problem(w.firm, w.cadre, "resolved", w.dept, w.handler, w.officer, raised_on=TODAY)
        unhappy = {"evaluation": "unsatisfied", "note": "没修好"}
        verdict = {"evaluation": "satisfied"} if path == "rated" else unhappy
        rate_problem(w.code, p, verdict | {"version": p.version})
    else:
        p = _asked(w)
        answer_withdrawal(w.code, p, {"answer": "agree", "version": p.version})
        if path == "reopened":
            step(p, "review_withdrawal", w.officer, verdict="false", note="企业否认同意")
    db.session.flush()
    _assert_replays(p, path)
