"""`crm backup` / `crm restore`: a consistent online copy of a live SQLite database, a checked restore
that really brings the data back (and the app runs on it), and clear pg_dump advice for PostgreSQL.

These tests use SQLite files of their own, whatever database the rest of the suite runs on.
"""

import sqlite3
import threading
from pathlib import Path

import pytest
from flask_migrate import stamp
from sqlalchemy import func, select

from crm import create_app
from crm.extensions import db
from crm.models import Enterprise, Park, ProductItem
from crm.services.enterprises.lists import add_product
from tests.support.factories import make_enterprise, make_park, make_user


def _app_on(url: str, app):
    settings = {k: v for k, v in app.config.items() if k.isupper()} | {"SQLALCHEMY_DATABASE_URI": url}
    return create_app(type("BackupTestConfig", (), settings))


@pytest.fixture()
def live(app, tmp_path):
    """An app on its own SQLite file, built like a migrated one (tables + alembic_version), with data."""
    path = tmp_path / "live.sqlite3"
    live = _app_on(f"sqlite:///{path}", app)
    with live.app_context():
        db.create_all()
        stamp()  # as after `flask db upgrade`: restore checks for alembic_version
        park = make_park("A", "甲园区")
        admin = make_user("admin", username="admin")
        firm = make_enterprise(park, "湘潭电机有限公司", cadre=make_user("cadre", park), assigned_by=admin)
        add_product(firm, admin, {"name": "永磁电机"})
        db.session.commit()
        live.ids = {"firm": firm.id, "admin_session": admin.get_id()}
    live.path = path
    yield live
    with live.app_context():
        db.session.remove()
        db.engine.dispose()


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["crm", *args])


def _state(app) -> tuple:
    with app.app_context():
        db.session.expire_all()
        names = db.session.scalars(select(Enterprise.name).order_by(Enterprise.id)).all()
        return tuple(names), db.session.scalar(select(func.count(ProductItem.id)))


def test_backup_then_restore_brings_the_original_data_back(live, tmp_path):
    out = tmp_path / "backups" / "crm-20261102.sqlite3"
    result = _cli(live, "backup", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "备份完成" in result.output and "企业 1 家" in result.output and "完整性检查通过" in result.output
    assert out.is_file() and not Path(f"{out}-wal").exists()  # one self-contained file
    original = _state(live)

    with live.app_context():  # the data changes after the backup
        db.session.get(Enterprise, live.ids["firm"]).name = "改过名的企业有限公司"
        db.session.execute(ProductItem.__table__.delete())
        make_enterprise(db.session.get(Park, 1), "备份后新建的企业有限公司")
        db.session.commit()
    changed = _state(live)
    assert changed != original

    refused = _cli(live, "restore", "--from", str(out))
    assert refused.exit_code == 1 and "已有数据" in refused.stderr and "--yes" in refused.stderr
    assert _state(live) == changed

    result = _cli(live, "restore", "--from", str(out), "--yes")
    assert result.exit_code == 0, result.output
    assert "恢复完成" in result.output and "恢复前的数据库已另存为" in result.output
    assert _state(live) == original  # the running app's pooled connections see the restored data
    safety = list(live.path.parent.glob("live.sqlite3.before-restore-*"))
    assert len(safety) == 1 and _state(_app_on(f"sqlite:///{safety[0]}", live)) == changed

    fresh = _app_on(f"sqlite:///{live.path}", live)  # and a newly started app serves it
    assert _state(fresh) == original
    client = fresh.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = live.ids["admin_session"], True
    page = client.get(f"/enterprises/{live.ids['firm']}")
    assert page.status_code == 200 and "湘潭电机有限公司" in page.get_data(as_text=True)


def test_a_backup_taken_while_the_app_writes_is_a_consistent_snapshot(live, tmp_path):
    """A writer commits two parks per transaction while backups run: no copy ever holds half a pair."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer():
        with live.app_context():
            n = 0
            while not stop.is_set():
                n += 1
                db.session.add_all([Park(code=f"W{n}a", name=f"甲{n}"), Park(code=f"W{n}b", name=f"乙{n}")])
                try:
                    db.session.commit()
                except Exception as exc:  # reported below
                    errors.append(exc)
                    return

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        counts = []
        for i in range(5):
            out = tmp_path / f"b{i}.sqlite3"
            assert _cli(live, "backup", "--out", str(out)).exit_code == 0
            con = sqlite3.connect(out)
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            codes = {c for (c,) in con.execute("SELECT code FROM parks WHERE code LIKE 'W%'")}
            con.close()
            assert all(code[:-1] + ("b" if code.endswith("a") else "a") in codes for code in codes), codes
            counts.append(len(codes))
    finally:
        stop.set()
        thread.join(10)
    assert errors == [] and counts[-1] > 0  # the writer really ran meanwhile


def test_backup_refuses_to_overwrite_unless_forced(live, tmp_path):
    out = tmp_path / "b.sqlite3"
    out.write_text("an older backup")
    result = _cli(live, "backup", "--out", str(out))
    assert result.exit_code == 1 and "备份文件已存在" in result.stderr
    assert out.read_text() == "an older backup"
    assert _cli(live, "backup", "--out", str(out), "--force").exit_code == 0
    assert out.read_bytes().startswith(b"SQLite format 3")


def _foreign_database(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    con.commit()
    con.close()
    return path


def _corrupted_backup(live, path: Path) -> Path:
    assert _cli(live, "backup", "--out", str(path)).exit_code == 0
    data = bytearray(path.read_bytes())
    data[4096 + 100 : 4096 * 3] = b"\xa5" * (4096 * 2 - 100)  # garble pages 2 and 3
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda live, p: p, "备份文件不存在"),
        (lambda live, p: (p.write_text("not a database"), p)[1], "不是 SQLite 数据库文件"),
        (lambda live, p: _foreign_database(p), "不是联企通数据库（缺少数据表：alembic_version、enterprises"),
        (_corrupted_backup, "备份文件"),
    ],
    ids=["missing", "text", "foreign", "corrupt"],
)
def test_restore_refuses_what_is_not_a_sound_backup_and_changes_nothing(live, tmp_path, make, message):
    src = make(live, tmp_path / "suspect.sqlite3")
    before = _state(live)
    result = _cli(live, "restore", "--from", str(src), "--yes")
    assert result.exit_code == 1 and "恢复失败" in result.stderr and message in result.stderr, result.stderr
    assert _state(live) == before
    assert not list(live.path.parent.glob("live.sqlite3.before-restore-*"))  # refused before any copy


def test_postgresql_gets_the_pg_dump_and_pg_restore_commands_without_the_password(app, tmp_path):
    pg = _app_on("postgresql+psycopg://crm:s3cret@db.example:5433/crm_prod", app)
    out = tmp_path / "crm 1.dump"
    result = _cli(pg, "backup", "--out", str(out))
    assert result.exit_code == 2 and not out.exists()
    assert "请使用 PostgreSQL 自带的工具备份" in result.stderr
    assert (f"pg_dump --format=custom --no-owner --host=db.example --port=5433 --username=crm "
            f"--dbname=crm_prod --file='{out}'") in result.stderr  # fmt: skip
    assert "pg_restore --clean --if-exists --no-owner" in result.stderr and "PGPASSWORD" in result.stderr
    result = _cli(pg, "restore", "--from", str(out))
    assert result.exit_code == 2 and f"--dbname=crm_prod '{out}'" in result.stderr
    assert "s3cret" not in result.stderr
