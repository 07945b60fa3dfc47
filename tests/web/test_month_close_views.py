"""月结 on the 报表 page: each month's state for everyone who sees reports, 结账 / 重新结账 / the close day
for admins only; and a back-dated entry refused through a form, with the month and who can reopen it."""

import re
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from crm.models import AuditLog, GeneratedReport, MonthClose, Visit
from tests.support.month_close import close
from tests.support.reports import report_world


@pytest.fixture()
def w(db, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "REPORTS_FOLDER", str(tmp_path / "reports"))
    world = report_world()
    db.session.commit()
    return world


def text(resp) -> str:
    return resp.get_data(as_text=True)


def _row(page: str, month: str) -> str:
    match = re.search(rf'<tr data-month="{month}"[^>]*>(.*?)</tr>', page, re.S)
    assert match, month
    return match.group(0)


def test_everyone_who_sees_reports_sees_each_months_state_admins_the_buttons(client, login_as, w, db):
    close("2026-09")
    for user, admin in ((w.admin, True), (w.leader, False), (w.officer, False)):
        login_as(user)
        page = text(client.get("/reports/"))
        assert "月结（结账）" in page and "每月于次月第3个工作日自动月结" in page
        assert 'data-state="running"' in _row(page, "2026-11") and "本月进行中" in _row(page, "2026-11")
        october = _row(page, "2026-10")
        assert "初稿" in october and "2026-11-04" in october
        assert "已月结 第1版" in _row(page, "2026-09") and "系统自动" in _row(page, "2026-09")
        assert ("data-close-month" in october) is admin
        assert ('action="/reports/months/2026-09/reopen"' in page) is admin
        assert ('action="/reports/close-day"' in page) is admin
    for user in (w.c1, w.h1):
        login_as(user)
        assert client.get("/reports/").status_code == 403


def test_admin_closes_reopens_with_a_reason_and_closes_again(client, login_as, w, db):
    login_as(w.admin)
    resp = client.post("/reports/months/2026-10/close", data={})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/reports/#months")
    page = text(client.get("/reports/"))
    assert "已月结：2026年10月（第1版）" in page and "已生成正式版报表 3 份" in page
    assert "已月结 第1版" in _row(page, "2026-10") and w.admin.name in _row(page, "2026-10")
    official = db.session.scalars(select(GeneratedReport).where(GeneratedReport.month == "2026-10")).all()
    assert {r.auto_key for r in official} == {"monthly:2026-10:A", "monthly:2026-10:B", "monthly:2026-10:all"}

    # A second 结账 of a closed month, a reopening without a reason: refused, nothing changes.
    client.post("/reports/months/2026-10/close", data={})
    assert "已月结（第1版），无需再次结账" in text(client.get("/reports/"))
    client.post("/reports/months/2026-10/reopen", data={"reason": "  "})
    assert "请填写重新结账的原因" in text(client.get("/reports/"))
    assert db.session.scalar(select(MonthClose.status)) == "closed"

    client.post("/reports/months/2026-10/reopen", data={"reason": "补录10月30日的走访"})
    page = text(client.get("/reports/"))
    assert "已重新结账：2026年10月可以补录和更正，再次结账后生成第2版" in page
    assert "重新结账中" in _row(page, "2026-10") and "补录10月30日的走访" in _row(page, "2026-10")
    assert db.session.scalar(select(AuditLog.summary).where(AuditLog.action == "reopen")).startswith(
        "重新结账：2026年10月（第1版作废），原因：补录10月30日的走访"
    )
    client.post("/reports/months/2026-10/close", data={})
    assert "已月结 第2版" in _row(text(client.get("/reports/")), "2026-10")
    second = db.session.scalar(
        select(GeneratedReport).where(GeneratedReport.auto_key == "monthly:2026-10:A:v2")
    )
    assert second.filename == "联企服务月报_2026年10月_甲园区_第2版.xlsx"
    wb = load_workbook(BytesIO(client.get(f"/reports/{second.id}/download").data))
    assert wb.sheetnames[-1] == "变更对照" and wb["变更对照"]["B2"].value == "与上一版相比没有数字变化"


def test_close_day_setting_and_bad_months(client, login_as, w, db):
    login_as(w.admin)
    client.post("/reports/close-day", data={"workday": "5"})
    page = text(client.get("/reports/"))
    assert "已保存：每月于次月第5个工作日月结" in page and "2026-11-06" in _row(page, "2026-10")
    client.post("/reports/close-day", data={"workday": "30"})
    assert "结账日应为次月第1到第10个工作日" in text(client.get("/reports/"))
    for month, message in (("2026-11", "2026年11月尚未结束"), ("2027-02", "尚未开始"), ("abc", "月份格式")):
        client.post(f"/reports/months/{month}/close", data={})
        assert message in text(client.get("/reports/")), month
    assert db.session.scalar(select(func.count(MonthClose.id))) == 0


def test_a_back_dated_visit_is_refused_through_the_form(client, login_as, w, db):
    close()
    login_as(w.c1)
    form = {"visited_on": "2026-10-30", "kind": "onsite", "summary": "补录十月的走访"}
    resp = client.post(f"/enterprises/{w.f1.id}/visits/new", data=form)
    page = text(resp)
    assert resp.status_code == 200
    assert "2026年10月已月结，不能再录入该月的走访。如需更正，请联系系统管理员重新结账。" in page
    assert db.session.scalar(select(func.count(Visit.id)).where(Visit.summary == "补录十月的走访")) == 0
