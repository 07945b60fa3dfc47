"""Optimistic locking of firms and list items (crm.services.common.locking): versions move on every write,
stale versions are refused before anything changes, imports (no version) still work, and a write that
loses a race at flush time raises StaleDataError, which the import CLI turns into a Chinese refusal."""

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select, update
from sqlalchemy.orm.exc import StaleDataError

from crm.extensions import db as _db
from crm.models import Assignment, AuditLog, Enterprise, ProductItem, SalesItem, TechItem
from crm.services import ServiceError
from crm.services.common.locking import (
    MISSING_VERSION_MESSAGE,
    STALE_MESSAGE,
    StaleError,
    check_version,
    is_stale,
    refusal_message,
)
from crm.services.enterprises.lists import (
    add_product,
    add_sales,
    add_tech,
    delete_product,
    delete_sales,
    delete_tech,
    tick_off_tech,
    update_product,
    update_sales,
    update_tech,
)
from crm.services.enterprises.registry import update_enterprise
from crm.services.imports.enterprises import STALE_IMPORT, import_enterprises
from tests.support.dates import TODAY
from tests.support.factories import make_enterprise, make_park, make_user, valid_credit_code


@pytest.fixture()
def w(db):
    park = make_park("A", "甲园区")
    admin = make_user("admin", username="admin")
    cadre = make_user("cadre", park)
    firm = make_enterprise(park, "湘潭电机有限公司", cadre=cadre, assigned_by=admin)
    items = {
        "product": add_product(firm, cadre, {"name": "电机"}),
        "sales": add_sales(firm, cadre, {"period": "2026-10", "amount": "10"}, today=TODAY),
        "tech": add_tech(firm, cadre, {"kind": "demand", "title": "能效提升"}),
    }
    _db.session.commit()
    return park, admin, cadre, firm, items


def audit_count() -> int:
    return _db.session.scalar(select(func.count()).select_from(AuditLog))


class Row:
    def __init__(self, version):
        self.version = version


MISSING = MISSING_VERSION_MESSAGE


@pytest.mark.parametrize("seen, refused", [(None, None), (3, None), ("3", None), (" 3 ", None),
                                          (2, STALE_MESSAGE), ("4", STALE_MESSAGE), ("", MISSING),
                                          ("  ", MISSING), ("abc", MISSING), ("3.0", MISSING)])  # fmt: skip
def test_check_version_compares_what_the_user_saw(seen, refused):
    """None: the caller carries no version on purpose (an import, a job); anything else must match."""
    if refused:
        with pytest.raises(StaleError) as exc:
            check_version(Row(3), seen)
        assert str(exc.value) == refused
    else:
        check_version(Row(3), seen)


def test_stale_refusals_are_service_errors_with_a_chinese_message():
    assert issubclass(StaleError, ServiceError)
    assert is_stale(StaleError("x")) and is_stale(StaleDataError("y")) and not is_stale(ServiceError("z"))
    assert refusal_message(StaleDataError("UPDATE statement … 0 were matched")) == STALE_MESSAGE
    assert refusal_message(ServiceError("具体原因")) == "具体原因"


def test_every_write_moves_the_version(w):
    _park, admin, cadre, firm, items = w
    assert firm.version == 1 and all(item.version == 1 for item in items.values())
    update_enterprise(firm, {"contact_name": "王五", "version": 1}, admin)
    update_product(items["product"], cadre, {"name": "伺服电机", "version": "1"})
    update_sales(items["sales"], cadre, {"amount": "12", "version": 1}, today=TODAY)
    tick_off_tech(items["tech"], cadre, TODAY, version=1)
    _db.session.commit()
    assert firm.version == 2 and all(item.version == 2 for item in items.values())
    # Nothing to change: no UPDATE, so the version (and a form opened on it) stays valid.
    assert update_product(items["product"], cadre, {"name": "伺服电机", "version": 2}) == {}
    _db.session.flush()
    assert items["product"].version == 2


EDITS = {
    "firm": lambda w, v: update_enterprise(w[3], {"contact_name": "过期的修改", "version": v}, w[1]),
    "product_edit": lambda w, v: update_product(w[4]["product"], w[2], {"name": "过期", "version": v}),
    "product_delete": lambda w, v: delete_product(w[4]["product"], w[2], v),
    "sales_edit": lambda w, v: update_sales(w[4]["sales"], w[2], {"amount": "1", "version": v}, TODAY),
    "sales_delete": lambda w, v: delete_sales(w[4]["sales"], w[2], v),
    "tech_edit": lambda w, v: update_tech(w[4]["tech"], w[2], {"title": "过期", "version": v}),
    "tech_delete": lambda w, v: delete_tech(w[4]["tech"], w[2], v),
    "tech_tick_off": lambda w, v: tick_off_tech(w[4]["tech"], w[2], TODAY, v),
}
MESSAGES = {"firm": "该企业档案已被其他人修改", "product": "该产品记录已被其他人修改",
            "sales": "该销售记录已被其他人修改", "tech": "该技术记录已被其他人修改"}  # fmt: skip


def _state() -> tuple:
    _db.session.expire_all()
    rows = []
    for model in (Enterprise, ProductItem, SalesItem, TechItem):
        for row in _db.session.scalars(select(model).order_by(model.id)):
            rows.append(tuple(getattr(row, c.key) for c in model.__table__.columns))
    return tuple(rows), audit_count()


@pytest.mark.parametrize("name", sorted(EDITS))
def test_a_stale_version_is_refused_by_the_service_and_changes_nothing(w, name):
    before = _state()
    with pytest.raises(StaleError) as exc:
        EDITS[name](w, 0)  # a version nobody has (the rows are at 1)
    assert MESSAGES[name.split("_")[0]] in str(exc.value) and "请查看最新内容后重试" in str(exc.value)
    _db.session.flush()
    assert _state() == before


@pytest.mark.parametrize("name", sorted(EDITS))
def test_a_write_overtaken_after_the_check_fails_at_flush(w, name):
    """The version matched when checked, but another transaction committed before this one's flush."""
    row = {"firm": w[3]}.get(name) or w[4][name.split("_")[0]]
    table = type(row).__table__
    with _db.engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == row.id).values(version=table.c.version + 1))
    with pytest.raises(StaleDataError):
        EDITS[name](w, 1)  # what this session read
        _db.session.flush()
    _db.session.rollback()
    assert _db.session.get(type(row), row.id) is not None  # not deleted either


def _sheet(path, rows):
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def test_imports_carry_no_version_and_still_update_by_credit_code(w, tmp_path):
    _park, admin, _cadre, firm, _items = w
    header = ["企业名称", "统一社会信用代码", "地址"]
    path = _sheet(tmp_path / "firms.xlsx", [header, ["湘潭电机有限公司", firm.credit_code, "新地址1号"]])
    result = import_enterprises(path, admin, TODAY)
    _db.session.commit()
    assert result.applied and result.updated == 1
    assert (firm.address, firm.version) == ("新地址1号", 2)


def test_an_import_overtaken_by_an_edit_is_refused_by_the_cli_and_changes_nothing(
    w, runner, tmp_path, monkeypatch
):
    """Someone saves a firm of the file while the import runs: the whole import is refused."""
    import crm.services.imports.enterprises as imports

    _park, _admin, _cadre, firm, _items = w
    new_code = valid_credit_code()
    # The known firm first: on SQLite a write of this import would hold the lock the other user needs.
    header = ["企业名称", "统一社会信用代码", "所属园区", "地址"]
    known = ["湘潭电机有限公司", firm.credit_code, "甲园区", "导入的地址"]
    path = _sheet(tmp_path / "firms.xlsx", [header, known, ["新企业有限公司", new_code, "甲园区", "一号"]])
    real = imports.update_enterprise

    def overtaken(row, *args, **kwargs):
        table = Enterprise.__table__
        with _db.engine.begin() as conn:  # a user's edit, committed in the middle of the import
            conn.execute(update(table).where(table.c.id == row.id)
                         .values(contact_name="用户刚改的", version=table.c.version + 1))  # fmt: skip
        return real(row, *args, **kwargs)

    monkeypatch.setattr(imports, "update_enterprise", overtaken)
    firms = _db.session.scalar(select(func.count(Enterprise.id)))
    assignments, audits = _db.session.scalar(select(func.count(Assignment.id))), audit_count()
    result = runner.invoke(args=["crm", "import-enterprises", str(path)])
    assert result.exit_code == 1 and STALE_IMPORT in result.stderr
    _db.session.expire_all()
    assert _db.session.scalar(select(func.count(Enterprise.id))) == firms  # the new firm is gone too
    assert _db.session.scalar(select(func.count(Assignment.id))) == assignments and audit_count() == audits
    kept = _db.session.get(Enterprise, firm.id)
    assert (kept.contact_name, kept.address, kept.version) == ("用户刚改的", None, 2)
