"""The 报表 page (generate, list, download) per role and scope, and `flask crm report`."""

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from crm.models import AuditLog, GeneratedReport
from crm.reporting.monthly.generate import generate_report
from tests.support.dates import TODAY
from tests.support.reports import report_world

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture()
def w(db):
    world = report_world()
    world.report_a = generate_report(world.officer, "2026-10", world.park_a, TODAY)
    world.report_b = generate_report(world.officer_b, "2026-10", world.park_b, TODAY)
    world.report_all = generate_report(None, "2026-10", None, TODAY, auto_key="monthly:2026-10:all")
    db.session.commit()
    return world


def _count(db) -> int:
    return db.session.scalar(select(func.count(GeneratedReport.id)))


# role -> (page answer, reports listed, may download a / b / all)
ROLES = {
    "admin": (200, {"a", "b", "all"}),
    "leader": (200, {"a", "b", "all"}),  # city-wide
    "leader_a": (200, {"a"}),  # a park's leader
    "officer": (200, {"a"}),
    "officer_b": (200, {"b"}),
    "c1": (403, set()),
    "h1": (403, set()),
}


@pytest.mark.parametrize("role", ROLES)
def test_report_page_and_downloads_by_role(client, login_as, w, role):
    status, visible = ROLES[role]
    login_as(getattr(w, role))
    page = client.get("/reports/")
    assert page.status_code == status
    for key in ("a", "b", "all"):
        report = getattr(w, f"report_{key}")
        url = f"/reports/{report.id}/download"
        resp = client.get(url)
        if key in visible:
            assert resp.status_code == 200 and resp.mimetype == XLSX
            assert load_workbook(BytesIO(resp.data)).sheetnames[0] == "汇总"
            assert url in page.get_data(as_text=True)
        else:
            assert resp.status_code == (403 if status == 403 else 404)
            if status == 200:
                assert url not in page.get_data(as_text=True)


def test_officer_generates_their_park_and_nothing_else(client, login_as, w, db):
    login_as(w.officer)
    page = client.get("/reports/").get_data(as_text=True)
    assert "甲园区" in page and 'name="park"' in page and "乙园区</option>" not in page
    before = _count(db)
    resp = client.post("/reports/generate", data={"month": "2026-09", "park": str(w.park_a.id)})
    assert resp.status_code == 302 and "/reports/?new=" in resp.headers["Location"]
    new = db.session.scalar(select(GeneratedReport).order_by(GeneratedReport.id.desc()))
    assert (new.month, new.park_id, new.created_by_id) == ("2026-09", w.park_a.id, w.officer.id)
    assert (
        db.session.scalar(select(AuditLog).where(AuditLog.entity_type == "report")).actor_id == w.officer.id
    )
    listed = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "报表已生成：联企服务月报_2026年9月_甲园区.xlsx" in listed and "table-success" in listed
    for data, message in (
        ({"month": "2026-10", "park": str(w.park_b.id)}, "请选择有权限的园区"),
        ({"month": "2026-10", "park": "all"}, "请选择有权限的园区"),
        ({"month": "2026-12", "park": str(w.park_a.id)}, "2026年12月尚未开始"),
        ({"month": "10月", "park": str(w.park_a.id)}, "月份格式应为 YYYY-MM"),
        ({"park": str(w.park_a.id)}, "请选择月份"),
    ):
        resp = client.post("/reports/generate", data=data)
        assert resp.status_code == 200 and message in resp.get_data(as_text=True), data
    assert _count(db) == before + 1


def test_city_wide_leader_generates_all_parks(client, login_as, w, db):
    login_as(w.leader)
    page = client.get("/reports/").get_data(as_text=True)
    assert '<option value="all"' in page and "乙园区</option>" in page
    resp = client.post("/reports/generate", data={"month": "2026-10", "park": "all"})
    assert resp.status_code == 302
    new = db.session.scalar(select(GeneratedReport).order_by(GeneratedReport.id.desc()))
    assert new.park_id is None and new.created_by_id == w.leader.id
    download = client.get(f"/reports/{new.id}/download")
    assert "attachment" in download.headers["Content-Disposition"]
    wb = load_workbook(BytesIO(download.data))
    problems = {row[3] for row in wb["问题清单"].iter_rows(min_row=2, values_only=True)}
    assert "乙园区物流问题" in problems and "发票额度不足" in problems


def test_missing_file_is_a_404(client, login_as, w, db):
    from crm.reporting.monthly.generate import report_path

    report_path(w.report_a).unlink()
    login_as(w.officer)
    assert client.get(f"/reports/{w.report_a.id}/download").status_code == 404


def test_menu_shows_reports_to_officers_and_leaders_only(client, login_as, w):
    def menu(user):
        login_as(user)
        return client.get("/notifications/").get_data(as_text=True).split("</nav>")[0]

    assert 'href="/reports/"' in menu(w.officer) and 'href="/reports/"' in menu(w.leader)
    assert 'href="/reports/"' not in menu(w.c1) and 'href="/reports/"' not in menu(w.h1)


def test_cli_report_writes_the_workbook(runner, w, tmp_path):
    out = tmp_path / "out" / "甲园区十月.xlsx"
    result = runner.invoke(args=["crm", "report", "--month", "2026-10", "--park", "A", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "已生成联企服务月报_2026年10月_甲园区" in result.output
    wb = load_workbook(out)
    summary = {row[0]: row[1] for row in wb["汇总"].iter_rows(min_row=5, values_only=True) if row[0]}
    assert summary["月末在办（件）"] == 4 and summary["联系企业数（家）"] == 4
    everything = tmp_path / "all.xlsx"
    assert (
        runner.invoke(args=["crm", "report", "--month", "2026-10", "--out", str(everything)]).exit_code == 0
    )
    city = load_workbook(everything)
    assert city["汇总"]["A1"].value == "全部园区2026年10月联企服务月报（初稿）"
    assert "乙园区物流问题" in {row[3] for row in city["问题清单"].iter_rows(values_only=True)}


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--month", "2026-13"], 2, "月份格式应为 YYYY-MM"),
        (["--month", "2027-01"], 2, "2027年1月尚未开始"),
        (["--month", "2026-10", "--park", "NOPE"], 2, "园区代码 NOPE 不存在"),
    ],
)
def test_cli_report_refuses_bad_input_in_chinese(runner, w, tmp_path, args, code, message):
    out = tmp_path / "x.xlsx"
    result = runner.invoke(args=["crm", "report", *args, "--out", str(out)])
    assert result.exit_code == code and message in result.output
    assert not out.exists()


def test_cli_report_cannot_write(runner, w, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = runner.invoke(args=["crm", "report", "--month", "2026-10", "--out", str(blocker / "x.xlsx")])
    assert result.exit_code == 3 and "无法写入文件" in result.output
