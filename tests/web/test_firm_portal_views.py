"""The firm's public service page, as a phone without an account sees it: only through its token, the same
plain 404 for any unknown, revoked or malformed token, public fields only (decided field by field in
crm.services.portal.public), CSRF on every form, the rate limit as a 429 with a Chinese message."""

import re
from io import BytesIO

import pytest
from sqlalchemy import func, select

from crm import create_app
from crm.models import PortalHit, Problem
from crm.services.portal.codes import issue_service_code, revoke_service_code, token_of
from tests.support.factories import make_enterprise
from tests.support.problems import make_problem, step
from tests.support.uploads import JPEG

SUBMISSION = {
    "category": "utilities",
    "title": "厂区停电频繁",
    "description": "上周停电三次，请协调供电公司。",
    "contact_name": "王经理",
    "contact_phone": "13807321234",
}
# Written on the problem by the government side, never to be shown to the firm.
INTERNAL = {
    "feedback": "内部反馈：已请示分管局长甲乙丙",
    "supervise": "督办意见：请税务局丁戊己限期答复",
    "instruct": "批示内容：请庚辛壬同志牵头协调",
    "escalate": "提级理由：部门间推诿癸子丑",
    "request_extension": "延期理由：等待寅卯辰审批",
}


@pytest.fixture()
def firm_page(pworld, db):
    """pworld plus a service code for the cadre's firm (湘潭高新电机有限公司)."""
    w = pworld
    w.code = issue_service_code(w.own_firm, w.officer)
    w.cadre.phone = "13907320001"
    db.session.commit()
    w.token = token_of(w.code)
    w.base = f"/s/{w.token}"
    return w


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def test_the_home_page_shows_the_firm_its_cadre_and_its_problems(client, firm_page):
    w = firm_page
    resp = client.get(w.base)
    html = _text(resp)
    assert resp.status_code == 200 and "湘潭高新电机有限公司" in html
    assert w.cadre.name in html and 'href="tel:13907320001"' in html
    assert f'href="{w.base}/new"' in html
    for p in (w.p_new, w.p_green, w.p_resolved, w.p_closed):
        assert f'data-problem="{p.id}"' in html
    for p in (w.p_yellow, w.p_foreign, w.p_returned):  # other firms' problems
        assert f'data-problem="{p.id}"' not in html and p.title not in html
    assert "有 <strong>1</strong> 件诉求等待您评价或确认" in html  # the resolved one
    assert "请勿转发" in html and "只用于办理该诉求" in html  # what happens to what they submit
    assert "navbar" not in html and "<script>" not in html  # no staff navigation, no inline script
    assert resp.headers["Cache-Control"] == "no-store" and resp.headers["Referrer-Policy"] == "no-referrer"
    assert "unsafe-inline" not in resp.headers["Content-Security-Policy"]


def test_unknown_revoked_and_malformed_tokens_are_the_plain_404_of_a_wrong_url(client, firm_page, db):
    w = firm_page
    wrong_url = client.get("/no-such-page")
    revoked_token = w.token
    revoke_service_code(w.own_firm, w.officer, "卡片遗失")
    db.session.commit()
    other = "A" * 32 if revoked_token != "A" * 32 else "B" * 32
    paths = [f"/s/{revoked_token}", f"/s/{other}", "/s/abc", f"/s/{revoked_token}x", "/s/%00%27%3B"]
    paths += [f"/s/{revoked_token}/new", f"/s/{revoked_token}/p/{w.p_new.id}"]
    for path in paths:
        resp = client.get(path)
        assert resp.status_code == 404, path
        assert _text(resp) == _text(wrong_url), path
    assert client.post(f"/s/{revoked_token}/new", data=SUBMISSION).status_code == 404
    reissued = token_of(issue_service_code(w.own_firm, w.officer))
    db.session.commit()
    assert client.get(f"/s/{reissued}").status_code == 200


def test_another_firms_problem_is_not_found_under_this_token(client, firm_page):
    w = firm_page
    for p in (w.p_yellow, w.p_foreign):
        assert client.get(f"{w.base}/p/{p.id}").status_code == 404
        assert client.post(f"{w.base}/p/{p.id}/rate", data={"evaluation": "satisfied"}).status_code == 404
    assert client.get(f"{w.base}/p/999999").status_code == 404


def test_internal_fields_never_reach_the_firm(client, firm_page, db):
    w = firm_page
    p = make_problem(
        w.own_firm, w.cadre, "in_progress", w.dept, w.handler, assign_handler=True, title="排污许可"
    )
    for action, note in INTERNAL.items():
        data = {"days": 3} if action == "request_extension" else {"level": 2} if action == "escalate" else {}
        actor = {"feedback": w.handler, "request_extension": w.handler, "instruct": w.leader}.get(
            action, w.officer
        )
        step(p, action, actor, note=note, **data)
    step(p, "return", w.handler, note="退回理由：不属本部门午未申")
    step(p, "dispatch", w.officer, department_id=w.dept.id, handler_id=w.handler.id, note="交办意见：酉戌亥")
    step(p, "accept", w.handler)
    step(p, "resolve", w.handler, note="已核发排污许可证")
    db.session.commit()
    html = _text(client.get(f"{w.base}/p/{p.id}")) + _text(client.get(w.base))
    for secret in [*INTERNAL.values(), "午未申", "酉戌亥"]:
        assert secret not in html, secret
    for name in (w.handler.name, w.officer.name, w.leader.name, w.head.name):
        assert name not in html, name  # no government person but the liaison cadre is named
    assert "提级" not in html and "督办" not in html and "批示" not in html and "退回理由" not in html
    # What the firm is told: the department, the promised deadlines, the result, the steps in plain words.
    assert w.dept.name in html and "已核发排污许可证" in html and "办结期限" in html
    assert "已办结，请您评价" in html and "承办部门签收" in html and "改派承办部门" in html


def test_submitting_a_problem_with_a_photo(client, firm_page, db):
    w = firm_page
    resp = client.post(
        f"{w.base}/new",
        data=SUBMISSION | {"files": [(BytesIO(JPEG), "现场.jpg")]},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    problem = db.session.scalar(select(Problem).where(Problem.title == "厂区停电频繁"))
    assert resp.headers["Location"].endswith(f"{w.base}/p/{problem.id}")
    assert (problem.source, problem.status, len(problem.attachments)) == ("firm", "new", 1)
    page = _text(client.get(resp.headers["Location"]))
    assert "诉求已提交" in page and "已收到，等待园区交办" in page and "现场.jpg" in page


def test_a_bad_submission_is_shown_again_with_its_message(client, firm_page, db):
    w = firm_page
    before = db.session.scalar(select(func.count(Problem.id)))
    resp = client.post(f"{w.base}/new", data=SUBMISSION | {"contact_phone": "打我电话"})
    assert resp.status_code == 200 and "联系电话格式不正确" in _text(resp)
    assert 'value="厂区停电频繁"' in _text(resp)  # what was typed is kept
    assert db.session.scalar(select(func.count(Problem.id))) == before


def test_a_burst_is_refused_after_the_limit_with_a_429_and_writes_nothing_more(client, firm_page, db):
    w = firm_page
    before = db.session.scalar(select(func.count(Problem.id)))
    answers = [client.post(f"{w.base}/new", data=SUBMISSION).status_code for _ in range(100)]
    assert answers == [302] * 5 + [429] * 95
    resp = client.post(f"{w.base}/new", data=SUBMISSION)
    assert "提交诉求过于频繁（每小时最多5次）" in _text(resp)
    assert db.session.scalar(select(func.count(Problem.id))) == before + 5
    assert db.session.scalar(select(func.count(PortalHit.id))) == 10  # five posts, two buckets each


def test_the_firm_rates_a_resolved_problem_and_it_is_closed(client, firm_page, db):
    w = firm_page
    p = w.p_resolved
    page = _text(client.get(f"{w.base}/p/{p.id}"))
    assert "请您评价" in page and f'action="{w.base}/p/{p.id}/rate"' in page
    resp = client.post(
        f"{w.base}/p/{p.id}/rate", data={"evaluation": "satisfied", "note": "感谢", "version": p.version}
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert (p.status, p.evaluation_by) == ("closed", "firm")
    page = _text(client.get(f"{w.base}/p/{p.id}", follow_redirects=True))
    assert "已办结销号" in page and "企业自评：满意" in page and "请您评价" not in page


def test_a_stale_or_incomplete_rating_changes_nothing(client, firm_page, db):
    w = firm_page
    p = w.p_resolved
    resp = client.post(f"{w.base}/p/{p.id}/rate", data={"evaluation": "unsatisfied", "version": p.version})
    assert resp.status_code == 200 and "不满意的原因不能为空" in _text(resp)
    resp = client.post(f"{w.base}/p/{p.id}/rate", data={"evaluation": "satisfied", "version": p.version - 1})
    assert "刚被其他人更新" in _text(resp)
    db.session.expire_all()
    assert p.status == "resolved"


def test_the_firm_answers_a_withdrawal_request(client, firm_page, db):
    w = firm_page
    p = w.p_green
    step(p, "request_withdrawal", w.handler, note="企业已自行完成环评")
    db.session.commit()
    page = _text(client.get(f"{w.base}/p/{p.id}"))
    assert "撤单申请" in page and "企业已自行完成环评" in page and "有撤单申请，请您确认" in page
    resp = client.post(f"{w.base}/p/{p.id}/withdrawal", data={"answer": "decline", "version": p.version})
    assert resp.status_code == 302
    db.session.expire_all()
    assert p.status == "in_progress" and not p.has_pending_withdrawal
    assert "不同意撤单" in _text(client.get(f"{w.base}/p/{p.id}"))


def test_every_form_of_the_page_needs_its_csrf_token(app, firm_page, db):
    settings = {k: v for k, v in app.config.items() if k.isupper()} | {"WTF_CSRF_ENABLED": True}
    client = create_app(type("CsrfConfig", (), settings)).test_client()
    w = firm_page
    before = db.session.scalar(select(func.count(Problem.id)))
    for path in ("/new", f"/p/{w.p_resolved.id}/rate", f"/p/{w.p_green.id}/withdrawal"):
        resp = client.post(w.base + path, data=SUBMISSION | {"evaluation": "satisfied"})
        assert resp.status_code == 400 and "页面已过期" in _text(resp), path
    page = _text(client.get(f"{w.base}/new"))
    assert re.search(r'name="csrf_token" type="hidden" value="[^"]+"', page)
    assert db.session.scalar(select(func.count(Problem.id))) == before


def test_text_is_escaped(client, firm_page, db):
    w = firm_page
    client.post(f"{w.base}/new", data=SUBMISSION | {"title": "<script>alert(1)</script>停电"})
    html = _text(client.get(w.base))
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;停电" in html


def test_the_pages_cost_the_same_queries_with_many_problems_and_steps(client, firm_page, count_queries, db):
    w = firm_page
    quiet = make_problem(w.own_firm, w.cadre, "in_progress", w.dept, w.handler, title="少")
    busy = make_problem(w.own_firm, w.cadre, "in_progress", w.dept, w.handler, title="多")
    db.session.commit()
    with count_queries() as few:
        client.get(w.base)
    with count_queries() as short:
        client.get(f"{w.base}/p/{quiet.id}")
    for i in range(12):
        make_problem(w.own_firm, w.cadre, "in_progress", w.dept, w.handler, title=f"问题{i}")
        step(busy, "progress", w.handler, note=f"第{i}次进展")
    db.session.commit()
    with count_queries() as many:
        client.get(w.base)
    with count_queries() as long:
        client.get(f"{w.base}/p/{busy.id}")
    assert many.count == few.count and long.count == short.count


def test_a_firm_without_cadre_is_told_so(client, firm_page, db):
    w = firm_page
    firm = make_enterprise(w.park_a, "无干部企业有限公司")
    token = token_of(issue_service_code(firm, w.officer))
    db.session.commit()
    html = _text(client.get(f"/s/{token}"))
    assert "无干部企业有限公司" in html and "正在为贵企业安排联系干部" in html and "tel:" not in html
