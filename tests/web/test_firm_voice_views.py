"""The office's 企业之声 pages: a firm's printable service card with its QR code, issuing, revoking and the
park sheet; the 撤单质检 list and its review through the workflow step; the 回访抽查 list, its draw and
calls; the settings; the 企业自报 problem on 交办台 and the problem page; the dashboards' card."""

from datetime import date

import pytest
from sqlalchemy import select

from crm.models import CallbackCheck, PortalSetting, ServiceCode, Withdrawal
from crm.services.portal.callbacks import draw_callbacks
from crm.services.portal.codes import active_code, code_for_token, issue_service_code, token_of
from crm.services.portal.firm_steps import rate_problem
from crm.services.portal.submissions import submit_problem
from tests.support.dates import TODAY
from tests.support.problems import make_problem, step


def _text(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.fixture()
def coded(pworld, db):
    w = pworld
    w.code = issue_service_code(w.own_firm, w.officer)
    db.session.commit()
    return w


def test_the_card_shows_the_qr_code_link_firm_and_cadre(client, login_as, coded):
    w = coded
    html = _text(login_as(w.cadre).get(f"/enterprises/{w.own_firm.id}/service-code"))
    url = f"http://localhost/s/{token_of(w.code)}"
    assert f'value="{url}"' in html and '<svg viewBox="0 0' in html and 'class="qr-code"' in html
    assert "湘潭高新电机有限公司" in html and w.cadre.name in html and "手机扫码" in html
    assert "data-local-warning" in html  # localhost cannot be reached from a firm's phone
    assert "重新发码" not in html and "作废服务码" not in html  # the cadre prints, the office manages


def test_the_public_address_goes_into_the_qr_code(client, login_as, coded, app, monkeypatch):
    w = coded
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://lqt.example.gov.cn/")
    html = _text(login_as(w.officer).get(f"/enterprises/{w.own_firm.id}/service-code"))
    assert (
        f'value="https://lqt.example.gov.cn/s/{token_of(w.code)}"' in html
        and "data-local-warning" not in html
    )


def test_an_officer_reissues_and_revokes(client, login_as, coded, db):
    w = coded
    old = token_of(w.code)
    client = login_as(w.officer)
    resp = client.post(f"/enterprises/{w.own_firm.id}/service-code/issue", follow_redirects=True)
    assert "已重新发放服务码" in _text(resp)
    db.session.expire_all()
    new = active_code(w.own_firm)
    assert code_for_token(old) is None and code_for_token(token_of(new)) == new
    resp = client.post(
        f"/enterprises/{w.own_firm.id}/service-code/revoke", data={"reason": ""}, follow_redirects=True
    )
    assert "作废原因不能为空" in _text(resp)
    resp = client.post(
        f"/enterprises/{w.own_firm.id}/service-code/revoke",
        data={"reason": "企业要求更换"},
        follow_redirects=True,
    )
    assert "服务码已作废" in _text(resp) and "该企业还没有服务码" in _text(resp)
    db.session.expire_all()
    assert active_code(w.own_firm) is None
    assert client.get(f"/s/{token_of(new)}").status_code == 404


def test_the_code_list_and_issuing_for_every_firm_without_one(client, login_as, coded, db, count_queries):
    w = coded
    client = login_as(w.officer)
    html = _text(client.get("/firm-voice/"))
    assert "已发码 1 / 3 家" in html  # park A: the cadre's, the other cadre's and the unassigned firm
    with count_queries() as few:
        client.get("/firm-voice/")
    resp = client.post("/firm-voice/codes/issue-missing", follow_redirects=True)
    assert "已为 2 家企业发放服务码" in _text(resp) and "已发码 3 / 3 家" in _text(resp)
    with count_queries() as many:
        client.get("/firm-voice/")
    assert many.count == few.count
    assert (
        db.session.scalar(select(ServiceCode).where(ServiceCode.enterprise_id == w.foreign_firm.id)) is None
    )


def test_the_park_sheet_prints_a_card_per_firm_with_a_code(client, login_as, coded, db):
    w = coded
    issue_service_code(w.other_firm, w.officer)
    db.session.commit()
    html = _text(login_as(w.officer).get("/firm-voice/codes/sheet"))
    assert html.count("data-service-card=") == 2 and "1 家企业还没有服务码" in html
    assert "service_cards.css" in html and "data-print" in html


def test_a_firm_problem_is_on_the_board_at_once_and_marked(client, login_as, coded, db):
    w = coded
    problem = submit_problem(
        w.code,
        {
            "category": "finance",
            "title": "流动资金贷款",
            "description": "需要500万流动资金",
            "contact_name": "赵总",
            "contact_phone": "13800000000",
        },
        (),
        "10.0.0.1",
        TODAY,
    )
    db.session.commit()
    board = _text(login_as(w.officer).get("/problems/board"))
    assert "流动资金贷款" in board and "企业自报" in board
    detail = _text(client.get(f"/problems/{problem.id}"))
    assert "企业（服务码）" in detail and 'href="tel:13800000000"' in detail and "企业自报" in detail
    bell = _text(login_as(w.cadre).get("/notifications/"))
    assert "企业自报诉求待交办：流动资金贷款" in bell


def test_the_cadres_evaluation_form_asks_how_the_firm_was_asked(client, login_as, coded, db):
    w = coded
    html = _text(login_as(w.cadre).get(f"/problems/{w.p_resolved.id}"))
    assert 'name="channel" id=' in html and "回访方式（代企业录入）" in html
    resp = client.post(
        f"/problems/{w.p_resolved.id}/evaluate",
        data={"evaluation": "satisfied", "channel": "phone", "version": w.p_resolved.version},
        follow_redirects=True,
    )
    assert "回访评价已记录" in _text(resp) and "代录（电话）" in _text(resp)


def _withdrawn(w, db, via_firm=False):
    p = make_problem(w.own_firm, w.cadre, "in_progress", w.dept, w.handler, title="环保验收")
    step(p, "request_withdrawal", w.handler, note="企业表示暂不需要")
    step(p, "confirm_withdrawal", w.officer, note="电话确认企业同意")
    db.session.commit()
    return p


def test_the_withdrawal_review_list_and_a_false_withdrawal_reopened(client, login_as, coded, db):
    w = coded
    p = _withdrawn(w, db)
    client = login_as(w.officer)
    html = _text(client.get("/firm-voice/withdrawals"))
    assert "环保验收" in html and "企业表示暂不需要" in html and "电话确认" in html and "待质检" in html
    assert 'data-unreviewed="1"' in html
    resp = client.post(
        f"/problems/{p.id}/review_withdrawal",
        data={
            "verdict": "false",
            "note": "企业称未同意",
            "version": p.version,
            "next": "/firm-voice/withdrawals",
        },
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/firm-voice/withdrawals")
    db.session.expire_all()
    assert p.status == "new" and p.withdrawn_on is None
    assert db.session.scalar(select(Withdrawal.review)) == "false"
    assert 'data-unreviewed="0"' in _text(client.get("/firm-voice/withdrawals"))
    assert "环保验收" not in _text(login_as(w.officer_b).get("/firm-voice/withdrawals"))  # park B


def test_the_problem_page_shows_a_pending_withdrawal(client, login_as, coded, db):
    w = coded
    step(w.p_green, "request_withdrawal", w.handler, note="企业称已自行办理")
    db.session.commit()
    html = _text(login_as(w.officer).get(f"/problems/{w.p_green.id}"))
    assert "撤单申请待企业确认" in html and "企业称已自行办理" in html
    assert 'data-action="confirm_withdrawal"' in html and 'data-action="decline_withdrawal"' in html
    listing = _text(client.get("/problems/"))
    assert "撤单待确认" in listing


def test_the_callback_list_draw_and_call(client, login_as, coded, db):
    w = coded
    oct_day = date(2026, 10, 15)
    for i in range(3):
        make_problem(
            w.own_firm,
            w.cadre,
            "closed",
            w.dept,
            w.handler,
            title=f"十月问题{i}",
            raised_on=oct_day,
            on=oct_day,
        )
    db.session.commit()
    client = login_as(w.officer)
    html = _text(client.get("/firm-voice/callbacks?month=2026-10"))
    assert "2026-10 没有回访抽查名单" in html and "抽取甲园区2026-10回访名单" in html
    resp = client.post(
        "/firm-voice/callbacks/draw", data={"park": w.park_a.id, "month": "2026-10"}, follow_redirects=True
    )
    assert "从3件销号问题中抽取1件" in _text(resp)
    check = db.session.scalar(select(CallbackCheck))
    resp = client.post(
        f"/firm-voice/callbacks/{check.id}",
        data={"status": "reached", "confirmed": "yes", "satisfaction": "basic", "version": check.version},
        follow_redirects=True,
    )
    assert "回访结果已登记" in _text(resp) and "企业确认已解决，基本满意" in _text(resp)
    resp = login_as(w.officer_b).post(f"/firm-voice/callbacks/{check.id}", data={"status": "unreachable"})
    assert resp.status_code == 404  # another park's sample
    bad = login_as(w.officer).post(
        f"/firm-voice/callbacks/{check.id}", data={"status": "maybe", "version": 2}, follow_redirects=True
    )
    assert "请选择回访结果" in _text(bad)


def test_the_callback_page_costs_the_same_queries_for_a_bigger_sample(
    client, login_as, coded, db, count_queries
):
    w = coded
    for day, n in ((date(2026, 9, 15), 30), (date(2026, 10, 15), 2)):
        for i in range(n):
            make_problem(
                w.own_firm, w.cadre, "closed", w.dept, w.handler, title=f"问题{i}", raised_on=day, on=day
            )
    db.session.add(
        PortalSetting(park_id=w.park_a.id, callback_percent=50, callback_min=1, rating_reminder_days=5)
    )
    assert len(draw_callbacks(w.park_a, "2026-09", TODAY).checks) == 15
    assert len(draw_callbacks(w.park_a, "2026-10", TODAY).checks) == 1
    db.session.commit()
    client = login_as(w.officer)
    with count_queries() as one:
        client.get("/firm-voice/callbacks?month=2026-10")
    with count_queries() as fifteen:
        client.get("/firm-voice/callbacks?month=2026-09")
    assert fifteen.count == one.count


def test_the_settings_page(client, login_as, coded, db):
    w = coded
    client = login_as(w.officer)
    assert 'value="10"' in _text(client.get("/firm-voice/settings"))
    resp = client.post(
        "/firm-voice/settings",
        data={"callback_percent": "0", "callback_min": "1", "rating_reminder_days": "5"},
    )
    assert "回访抽查比例（%）应为1到100之间的整数" in _text(resp)
    resp = client.post(
        "/firm-voice/settings",
        data={"callback_percent": "15", "callback_min": "2", "rating_reminder_days": "3"},
        follow_redirects=True,
    )
    assert "已保存" in _text(resp)
    row = db.session.get(PortalSetting, w.park_a.id)
    assert (row.callback_percent, row.callback_min, row.rating_reminder_days) == (15, 2, 3)


def test_the_dashboards_show_the_firms_voice(client, login_as, coded, db):
    w = coded
    rated = make_problem(w.own_firm, w.cadre, "resolved", w.dept, w.handler, title="评价")
    rate_problem(w.code, rated, {"evaluation": "satisfied", "version": rated.version})
    _withdrawn(w, db)
    db.session.commit()
    for user in (w.officer, w.leader):
        html = _text(login_as(user).get("/"))
        assert "企业之声（本月）" in html, user.role
        assert 'data-kpi="self_rating_rate"' in html and "1 待质检" in html
    assert "企业之声（本月）" not in _text(login_as(w.handler).get("/problems/inbox"))
