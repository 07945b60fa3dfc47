from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.models import Attachment, AuditLog, Problem, ProductItem, SalesItem, TechItem, Visit
from crm.services import ServiceError
from crm.services.visits.records import log_visit, update_visit
from tests.support.dates import TODAY
from tests.support.factories import make_enterprise, make_park, make_user
from tests.support.uploads import JPEG, PDF, upload

VISIT = {"visited_on": TODAY, "kind": "onsite", "participants": "张总，李会计", "summary": "了解生产经营情况"}
PRODUCT = {"name": "永磁电机", "category": "电机", "capacity": "1200", "unit": "台/年", "main_market": "华中"}
SALES = {
    "period": "2026-10",
    "product": "永磁电机",
    "market": "三一重工",
    "amount": "350.5",
    "quantity": "40",
}
TECH = {"kind": "demand", "title": "电机能效提升", "detail": "需要高校合作", "partner": "湘潭大学"}
PROBLEM = {
    "title": "用电容量不足",
    "description": "新产线需要增容",
    "category": "utilities",
    "urgency": "urgent",
}


@pytest.fixture(autouse=True)
def upload_folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


@pytest.fixture()
def park(db):
    return make_park()


@pytest.fixture()
def officer(park):
    return make_user("officer", park)


@pytest.fixture()
def cadre(park):
    return make_user("cadre", park)


@pytest.fixture()
def firm(db, park, cadre, officer):
    firm = make_enterprise(park, "湘潭高新电机有限公司", cadre=cadre, assigned_by=officer)
    db.session.commit()
    return firm


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def files_on_disk(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_log_with_items_problem_and_files_creates_everything(db, firm, cadre, upload_folder):
    files = [upload("现场.jpg", JPEG), upload("材料.pdf", PDF)]
    visit = log_visit(firm, cadre, VISIT, TODAY, PRODUCT, SALES, TECH, PROBLEM, files=files)
    db.session.commit()

    assert (visit.enterprise_id, visit.cadre_id, visit.visited_on, visit.kind) == (
        firm.id,
        cadre.id,
        TODAY,
        "onsite",
    )
    assert visit.participants == "张总，李会计"  # Chinese punctuation is kept as typed
    product = db.session.scalar(select(ProductItem))
    assert (product.enterprise_id, product.name, product.unit) == (firm.id, "永磁电机", "台/年")
    sales = db.session.scalar(select(SalesItem))
    assert (sales.period, str(sales.amount)) == ("2026-10", "350.50")
    tech = db.session.scalar(select(TechItem))
    assert (tech.title, tech.status) == ("电机能效提升", "pending")
    problem = db.session.scalar(select(Problem))
    assert (problem.status, problem.source, problem.visit_id, problem.raised_by_id) == (
        "new",
        "visit",
        visit.id,
        cadre.id,
    )
    assert [a.filename for a in visit.attachments] == ["现场.jpg", "材料.pdf"]
    assert len(files_on_disk(upload_folder)) == 2
    audit = db.session.scalars(select(AuditLog).where(AuditLog.enterprise_id == firm.id)).all()
    by_type = {a.entity_type for a in audit if a.action == "create"}
    assert {"visit", "product_item", "sales_item", "tech_item", "problem"} <= by_type
    visit_row = next(a for a in audit if a.entity_type == "visit")
    assert visit_row.entity_id == visit.id and visit_row.actor_id == cadre.id
    assert "上门走访" in visit_row.summary and "附件2个" in visit_row.summary


def test_plain_visit_needs_no_sections(db, firm, cadre):
    visit = log_visit(firm, cadre, VISIT | {"kind": "phone", "participants": ""}, TODAY)
    assert visit.kind_label == "电话" and visit.participants is None and visit.attachments == []
    assert count(db, ProductItem) == count(db, Problem) == 0


@pytest.mark.parametrize(
    "bad_sales, message",
    [
        (SALES | {"period": "2026-13"}, "销售期间应为YYYY-MM格式的真实月份"),
        (SALES | {"amount": "-5"}, "销售金额不能为负数"),
    ],
)
def test_bad_sales_row_saves_nothing_at_all(db, firm, cadre, upload_folder, bad_sales, message):
    audit_before = count(db, AuditLog)
    files = [upload("现场.jpg", JPEG)]
    with pytest.raises(ServiceError, match=message):
        log_visit(firm, cadre, VISIT, TODAY, PRODUCT, bad_sales, TECH, PROBLEM, files=files)
    db.session.rollback()  # what the view does
    for model in (Visit, ProductItem, SalesItem, TechItem, Problem, Attachment):
        assert count(db, model) == 0, model
    assert count(db, AuditLog) == audit_before
    assert files_on_disk(upload_folder) == []


def test_files_written_are_removed_when_the_commit_does_not_happen(db, firm, cadre, upload_folder):
    log_visit(firm, cadre, VISIT, TODAY, files=[upload("现场.jpg", JPEG)])
    assert len(files_on_disk(upload_folder)) == 1
    db.session.rollback()  # e.g. the commit failed and the error handler rolled back
    assert files_on_disk(upload_folder) == [] and count(db, Visit) == 0


def test_bad_file_refuses_the_visit_before_anything_is_written(db, firm, cadre, upload_folder):
    with pytest.raises(ServiceError, match="文件 a.exe 类型不支持"):
        log_visit(firm, cadre, VISIT, TODAY, PRODUCT, files=[upload("a.exe", b"MZ")])
    assert count(db, Visit) == count(db, ProductItem) == 0 and files_on_disk(upload_folder) == []


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"visited_on": TODAY + timedelta(days=1)}, "走访日期不能晚于今天"),
        ({"visited_on": TODAY - timedelta(days=91)}, "走访日期不能早于 2026-08-04（只能补录90天内的走访）"),
        ({"visited_on": None}, "请填写走访日期"),
        ({"visited_on": "2026-02-30"}, "走访日期格式不正确"),
        ({"kind": "wechat"}, "走访方式无效"),
        ({"kind": ""}, "请选择走访方式"),
        ({"summary": "  \n "}, "请填写走访情况"),
        ({"participants": "人" * 301}, "参与人员不能超过300字"),
    ],
)
def test_invalid_visit_is_refused_in_chinese(db, firm, cadre, changes, message):
    with pytest.raises(ServiceError) as info:
        log_visit(firm, cadre, VISIT | changes, TODAY)
    assert message in str(info.value)
    assert count(db, Visit) == 0


def test_visit_90_days_back_is_allowed(db, firm, cadre):
    assert log_visit(firm, cadre, VISIT | {"visited_on": TODAY - timedelta(days=90)}, TODAY).id


def test_cadre_cannot_log_for_a_firm_that_is_not_theirs(db, park, firm, officer):
    other = make_user("cadre", park)
    with pytest.raises(ServiceError, match="没有为该企业记录走访的权限"):
        log_visit(firm, other, VISIT, TODAY)
    handler = make_user("handler", park)
    with pytest.raises(ServiceError):
        log_visit(firm, handler, VISIT, TODAY)


def test_officer_logs_for_any_firm_of_the_park_only(db, park, firm, officer):
    assert log_visit(firm, officer, VISIT, TODAY).cadre_id == officer.id
    foreign = make_enterprise(make_park())
    with pytest.raises(ServiceError):
        log_visit(foreign, officer, VISIT, TODAY)


@pytest.fixture()
def logged(db, firm, cadre):
    """A visit the cadre logged on 2026-11-02 (10:00 in Shanghai)."""
    visit = log_visit(firm, cadre, VISIT, TODAY)
    visit.created_at = datetime(2026, 11, 2, 2, 0)
    db.session.commit()
    return visit


def on(app, monkeypatch, day: date) -> None:
    monkeypatch.setitem(app.config, "CRM_TODAY", day.isoformat())


def test_author_corrects_on_day_7_but_not_on_day_8(app, db, logged, cadre, monkeypatch):
    on(app, monkeypatch, date(2026, 11, 9))
    changes = update_visit(logged, cadre, {"summary": "补充：订单饱满"}, date(2026, 11, 9))
    assert changes == {"summary": ("了解生产经营情况", "补充：订单饱满")}
    on(app, monkeypatch, date(2026, 11, 10))
    with pytest.raises(ServiceError, match="已超过修改期限"):
        update_visit(logged, cadre, {"summary": "再改"}, date(2026, 11, 10))
    assert logged.summary == "补充：订单饱满"


def test_park_setting_changes_the_window(app, db, park, logged, cadre, monkeypatch):
    from crm.models import ParkSetting

    db.session.add(ParkSetting(park_id=park.id, visit_edit_days=3))
    db.session.commit()
    on(app, monkeypatch, date(2026, 11, 6))
    with pytest.raises(ServiceError):
        update_visit(logged, cadre, {"summary": "改"}, date(2026, 11, 6))


def test_officer_corrects_any_time(app, db, logged, officer, monkeypatch):
    on(app, monkeypatch, date(2027, 1, 20))
    changes = update_visit(logged, officer, {"kind": "phone"}, date(2027, 1, 20))
    assert changes == {"kind": ("onsite", "phone")}


def test_other_cadre_cannot_correct(app, db, park, logged, monkeypatch):
    with pytest.raises(ServiceError):
        update_visit(logged, make_user("cadre", park), {"summary": "改"}, TODAY)


def test_new_cadre_of_the_firm_cannot_correct_the_predecessors_visit(db, park, firm, logged, officer):
    from crm.services.assignments.operations import assign_enterprise

    successor = make_user("cadre", park)
    assign_enterprise(firm, successor, officer, TODAY, "工作调整")
    with pytest.raises(ServiceError):
        update_visit(logged, successor, {"summary": "改"}, TODAY)


def test_update_validates_and_audits_the_changes(app, db, firm, logged, cadre):
    with pytest.raises(ServiceError, match="走访日期不能晚于今天"):
        update_visit(logged, cadre, {"visited_on": TODAY + timedelta(days=1)}, TODAY)
    db.session.rollback()
    changes = update_visit(
        logged,
        cadre,
        {"visited_on": date(2026, 10, 30), "findings": "建议申报专精特新"},
        TODAY,
        files=[upload("补拍.jpg", JPEG)],
    )
    db.session.commit()
    assert set(changes) == {"visited_on", "findings", "attachments"}
    row = db.session.scalar(
        select(AuditLog).where(AuditLog.entity_type == "visit", AuditLog.action == "update")
    )
    assert row.enterprise_id == firm.id and row.actor_id == cadre.id
    assert row.changes["visited_on"] == ["2026-11-02", "2026-10-30"]
    assert row.changes["attachments"] == [None, "补拍.jpg"]
    assert "走访日期" in row.summary and "发现与建议" in row.summary
    assert [a.filename for a in logged.attachments] == ["补拍.jpg"]


def test_update_without_changes_writes_no_audit(db, logged, cadre):
    before = count(db, AuditLog)
    assert update_visit(logged, cadre, {"summary": "了解生产经营情况"}, TODAY) == {}
    assert count(db, AuditLog) == before


def test_unchanged_old_date_does_not_block_a_correction(app, db, park, firm, officer, monkeypatch):
    visit = log_visit(firm, officer, VISIT | {"visited_on": date(2026, 8, 10)}, TODAY)
    visit.created_at = datetime(2026, 8, 10, 2, 0)
    db.session.commit()
    on(app, monkeypatch, TODAY)
    assert update_visit(visit, officer, {"summary": "补记"}, TODAY) == {
        "summary": ("了解生产经营情况", "补记")
    }
