"""Rows handed straight to the driver (crm/services/imports/rows.py): the same rows as the session's own
INSERT, in order, and the home figures of each park written to still invalidated."""

from datetime import date
from decimal import Decimal
from typing import cast

import pytest
from openpyxl import Workbook
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text

from crm.models import AuditLog, Enterprise, FigureVersion
from crm.models.figures import EPOCH_ROW
from crm.services.dashboard import versions
from crm.services.imports import rows as rows_module
from crm.services.imports.bulk import SQLITE_CACHE_KIB, roomy_cache
from crm.services.imports.enterprises import import_enterprises
from crm.services.imports.rows import insert_rows
from tests.support.dates import TODAY
from tests.support.factories import make_chain, make_park, make_user, valid_credit_code

FIRMS = cast(Table, Enterprise.__table__)
AUDITS = cast(Table, AuditLog.__table__)


def _firm(n: int, park_id: int, chain_id: int | None = None) -> dict:
    return {
        "name": f"第{n}号企业有限公司",
        "credit_code": valid_credit_code(n),
        "park_id": park_id,
        "chain_id": chain_id,
        "is_key": n % 2 == 0,
        "founded_on": date(2015, 3, 1) if n % 3 else None,
        "headcount": n,
        "output_last_year": Decimal("1234.50") if n % 2 else None,
        "tax_last_year": Decimal("0.01"),
        "status": "active",
        "note": "两行\n备注" if n % 4 == 0 else None,
        "name_initials": "d",
        "name_key": f"第{n}号企业有限公司",
        "name_pinyin": "di hao",
    }


def _stored(db, table: Table) -> list[dict]:
    skip = {"id", "created_at", "updated_at", "at"}
    found = db.session.execute(select(table).order_by(table.c.id)).mappings()
    return [{k: v for k, v in row.items() if k not in skip} for row in found]


def test_the_rows_are_the_sessions_own(db, monkeypatch):
    park, other = make_park("A", "甲园区"), make_park("B", "乙园区")
    chain = make_chain("装备制造")
    firms = [_firm(n, (park if n % 5 else other).id, chain.id if n % 2 else None) for n in range(40)]
    audits = [
        {
            "actor_id": None,
            "entity_type": "enterprise",
            "entity_id": n,
            "enterprise_id": None,
            "action": "create",
            "summary": f"新建企业档案：{n}",
            "changes": {"cadre": [None, "张伟"]} if n % 2 else None,  # JSON null, as the session writes it
        }
        for n in range(40)
    ]
    savepoint = db.session.begin_nested()
    db.session.execute(insert(FIRMS), firms)
    db.session.execute(insert(AUDITS), audits)
    expected = _stored(db, FIRMS), _stored(db, AUDITS)
    raw_changes = list(db.session.execute(text("SELECT changes FROM audit_logs ORDER BY id")).scalars())
    savepoint.rollback()

    monkeypatch.setattr(rows_module, "BATCH", 7)
    insert_rows(FIRMS, firms, marked_by="park_id")
    insert_rows(AUDITS, audits)
    assert (_stored(db, FIRMS), _stored(db, AUDITS)) == expected
    assert (
        list(db.session.execute(text("SELECT changes FROM audit_logs ORDER BY id")).scalars()) == raw_changes
    )
    assert [row["credit_code"] for row in _stored(db, FIRMS)] == [firm["credit_code"] for firm in firms]
    stamps = db.session.execute(
        select(Enterprise.created_at, Enterprise.updated_at, Enterprise.version)
    ).all()
    assert all(
        created is not None and updated is not None and version == 1 for created, updated, version in stamps
    )


def test_the_first_row_of_each_park_goes_through_the_session(db, monkeypatch):
    park, other = make_park("A", "甲园区"), make_park("B", "乙园区")
    through_session = []
    execute = db.session.execute

    def watched(statement, params=None, *args, **kwargs):
        if getattr(getattr(statement, "table", None), "name", None) == "enterprises":
            through_session.extend(params)
        return execute(statement, params, *args, **kwargs)

    monkeypatch.setattr(db.session, "execute", watched)
    firms = [_firm(n, (park if n < 3 or n > 6 else other).id) for n in range(10)]
    insert_rows(FIRMS, firms, marked_by="park_id")
    assert [row["credit_code"] for row in through_session] == [
        firms[0]["credit_code"],
        firms[3]["credit_code"],
    ]


def test_audit_rows_and_qualifications_are_read_by_no_home_figure():
    """insert_rows writes them without marks: the figures' versions must keep ignoring these tables."""
    assert {"audit_logs", "firm_qualifications"} <= versions.IGNORED


@pytest.mark.parametrize("pages", [1, 3])
def test_an_import_invalidates_its_parks_figures_only(db, tmp_path, monkeypatch, pages):
    park, other = make_park("A", "甲园区"), make_park("B", "乙园区")
    officer = make_user("officer", park, username="officer_a")
    db.session.commit()
    monkeypatch.setattr(rows_module, "BATCH", 2)
    wb = Workbook()
    wb.active.append(["企业名称", "统一社会信用代码", "所属园区"])
    for n in range(5 * pages):
        wb.active.append([f"导入企业{n}有限公司", valid_credit_code(100 + n), "甲园区"])
    wb.save(tmp_path / "firms.xlsx")

    def figure_versions():
        rows = db.session.execute(select(FigureVersion.park_id, FigureVersion.part, FigureVersion.version))
        return {(park_id, part): version for park_id, part, version in rows}

    before = figure_versions()
    result = import_enterprises(tmp_path / "firms.xlsx", officer, TODAY)
    db.session.commit()
    after = figure_versions()

    assert result.applied and result.created == 5 * pages
    bumped = {key for key in after if after[key] != before.get(key)}
    assert bumped == {(park.id, part) for part in versions.PARTS}  # every part of this park, nothing else
    assert all(after[key] == before.get(key, 0) + 1 for key in bumped)
    assert not any(park_id in (other.id, EPOCH_ROW) for park_id, _part in bumped)


def test_a_default_reading_its_row_leaves_the_rows_to_the_session(db):
    """A column default computed from the row being inserted cannot be filled once for all rows."""
    meta = MetaData()
    table = Table(
        "rows_check",
        meta,
        Column("id", Integer, primary_key=True),
        Column("a", Integer),
        Column("b", Integer, default=lambda context: context.get_current_parameters()["a"] * 2),
    )
    conn = db.session.connection()
    meta.create_all(conn)
    try:
        insert_rows(table, [{"id": 1, "a": 1}, {"id": 2, "a": 5}, {"id": 3, "a": 7}])
        assert db.session.execute(select(table).order_by(table.c.id)).all() == [
            (1, 1, 2),
            (2, 5, 10),
            (3, 7, 14),
        ]
    finally:
        meta.drop_all(conn)


def test_sqlite_gets_its_page_cache_back_after_the_writes(db):
    conn = db.session.connection()
    if conn.dialect.name != "sqlite":
        with roomy_cache():  # PostgreSQL keeps its own buffers: nothing to change
            pass
        return

    def cache_size():
        return conn.exec_driver_sql("PRAGMA cache_size").scalar_one()

    before = cache_size()
    with roomy_cache():
        assert cache_size() == -SQLITE_CACHE_KIB
    assert cache_size() == before
    with pytest.raises(ValueError), roomy_cache():
        raise ValueError("a refused row")
    assert cache_size() == before
