"""The Alembic migrations build exactly the schema the models declare, on SQLite and on PostgreSQL.

The rest of the suite uses create_all; this test is what proves `make run` (db upgrade) on a fresh
clone gives the same tables, columns and indexes (the partial unique index of 一企一人 included).
"""

import os
import tempfile

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from crm import create_app
from crm.extensions import db


def _fresh_database_url() -> tuple[str, callable]:
    """An empty database of the suite's kind, and a function that removes it."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        name = "crm_migration_check"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        fresh = make_url(url).set(database=name).render_as_string(hide_password=False)

        def drop():
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        return fresh, drop
    folder = tempfile.mkdtemp(prefix="crm-migrate-")
    return f"sqlite:///{os.path.join(folder, 'fresh.sqlite3')}", lambda: None


@pytest.fixture()
def migrated_app(app):
    url, drop = _fresh_database_url()
    settings = {k: v for k, v in app.config.items() if k.isupper()} | {"SQLALCHEMY_DATABASE_URI": url}
    fresh = create_app(type("MigrationConfig", (), settings))
    try:
        yield fresh
    finally:
        with fresh.app_context():
            db.session.remove()
            db.engine.dispose()
        drop()


def test_upgrade_from_empty_matches_the_models(migrated_app):
    with migrated_app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], f"migrations and models differ: {diff}"
        indexes = {ix["name"]: ix for ix in inspect(db.engine).get_indexes("assignments")}
        assert indexes["uq_assignments_active_enterprise"]["unique"]


def test_downgrade_to_base_and_up_again(migrated_app):
    with migrated_app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "problem_events" in inspect(db.engine).get_table_names()


def test_upgrade_drops_stored_channel_secrets_and_settles_running_rows(migrated_app):
    """Channel secrets typed into an earlier version are removed from the settings table (the environment
    holds them now), and of the runs left 'running' per job only the newest keeps the job's lock."""
    from datetime import datetime

    import sqlalchemy as sa

    mine = "52f0c9fce5e5"
    settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.JSON),
                        sa.column("updated_at", sa.DateTime))  # fmt: skip
    runs = sa.table("job_runs", sa.column("id", sa.Integer), sa.column("job", sa.String),
                    sa.column("status", sa.String), sa.column("started_at", sa.DateTime))  # fmt: skip
    at = datetime(2026, 11, 2, 1, 0)
    stored = {"base_url": "https://crm.example.cn",
              "email": {"enabled": True, "host": "smtp.example.cn", "password": "p@ss", "sender": "a@b.cn"},
              "wecom": {"enabled": True, "webhook": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"},
              "dingtalk": {"enabled": False, "webhook": "https://oapi.dingtalk.com/robot/send?access_token=T",
                           "secret": "SECx"}}  # fmt: skip
    with migrated_app.app_context():
        upgrade(revision=f"{mine}-1")
        with db.engine.begin() as conn:
            conn.execute(settings.insert().values(key="channels", value=stored, updated_at=at))
            rows = [(1, "a", "running"), (2, "a", "running"), (3, "b", "running"), (4, "b", "ok")]
            conn.execute(
                runs.insert(), [{"id": i, "job": j, "status": s, "started_at": at} for i, j, s in rows]
            )
        upgrade(revision=mine)
        with db.engine.connect() as conn:
            value = conn.execute(sa.select(settings.c.value)).scalar_one()
            statuses = dict(conn.execute(sa.select(runs.c.id, runs.c.status).order_by(runs.c.id)).all())
        assert value == {"base_url": "https://crm.example.cn",
                         "email": {"enabled": True, "host": "smtp.example.cn", "sender": "a@b.cn"},
                         "wecom": {"enabled": True}, "dingtalk": {"enabled": False}}  # fmt: skip
        assert statuses == {1: "failed", 2: "running", 3: "running", 4: "ok"}


def _insert(conn, name: str, /, **values) -> int:
    """A row of the table as it is at this revision; NOT NULL columns not given get a plain value."""
    from datetime import date, datetime
    from decimal import Decimal

    import sqlalchemy as sa

    table = sa.Table(name, sa.MetaData(), autoload_with=conn)
    plain = {str: "x", int: 0, bool: False, date: date(2026, 10, 1), datetime: datetime(2026, 10, 1),
             Decimal: Decimal(0), dict: {}}  # fmt: skip
    for col in table.columns:
        if col.name in values or col.nullable or col.server_default is not None or col.primary_key:
            continue
        values[col.name] = plain[col.type.python_type]
    return conn.execute(table.insert().values(**values)).inserted_primary_key[0]


def test_upgrade_cleans_control_characters_out_of_stored_text(migrated_app):
    """Rows typed before input refused control characters: one-line columns lose them (a tab or line break
    becomes a space), multi-line columns keep tab and line feed; clean rows are untouched. PostgreSQL never
    stored NUL, so the rows carry the other characters."""
    import sqlalchemy as sa

    from tests.support.factories import valid_credit_code

    mine = "1e5838ac3500"
    with migrated_app.app_context():
        upgrade(revision=f"{mine}-1")
        with db.engine.begin() as conn:
            park = _insert(conn, "parks", code="A", name="甲园区")
            cadre = _insert(
                conn, "users", username="li\x01si", name="张\x1b三", phone="138\t0000", role="cadre"
            )
            _insert(conn, "users", username="wang", name="王五", role="cadre")
            taken = _insert(conn, "users", username="wang\x01", name="王五", role="cadre")
            firm = _insert(
                conn,
                "enterprises",
                park_id=park,
                name="断电\x01企业（二期）",
                legal_rep="\x01",
                address="某路\n88号",
                note="第一行\r\n第二行\x1b",
                credit_code=valid_credit_code(),
            )
            clean = _insert(
                conn,
                "enterprises",
                park_id=park,
                name="正常（二期），公司  两空格",
                note="第一行\n\t缩进",
                credit_code=valid_credit_code(),
            )
            problem = _insert(
                conn,
                "problems",
                enterprise_id=firm,
                raised_by_id=cadre,
                title="断电\u202e问题",
                description="第一行\n\t第二\x0b行",
            )
            event = _insert(
                conn, "problem_events", problem_id=problem, to_status="new", note="请\x01尽快\r\n办理"
            )
            visit = _insert(
                conn,
                "visits",
                enterprise_id=firm,
                cadre_id=cadre,
                kind="onsite",
                participants="王总\t李总",
                summary="走访\x1b[31m情况\u2028第二行",
            )
            item = _insert(conn, "product_items", enterprise_id=firm, name="电机\x7f\x85")
        upgrade(revision=mine)
        with db.engine.connect() as conn:

            def read(table: str, key: int, *columns: str) -> tuple:
                t = sa.table(table, sa.column("id"), *(sa.column(c) for c in columns))
                return tuple(conn.execute(sa.select(*t.c[1:]).where(t.c.id == key)).one())

            assert read("users", cadre, "username", "name", "phone") == ("lisi", "张三", "138 0000")
            assert read("users", taken, "username") == ("wang\x01",)  # "wang" is someone else's
            assert read("enterprises", firm, "name", "legal_rep", "address", "note") == (
                "断电企业（二期）",
                None,
                "某路 88号",
                "第一行\n第二行",
            )
            assert read("enterprises", clean, "name", "note") == (
                "正常（二期），公司  两空格",
                "第一行\n\t缩进",
            )
            assert read("problems", problem, "title", "description") == ("断电问题", "第一行\n\t第二\n行")
            assert read("problem_events", event, "note") == ("请尽快\n办理",)
            assert read("visits", visit, "participants", "summary") == ("王总 李总", "走访[31m情况\n第二行")
            assert read("product_items", item, "name") == ("电机",)


@pytest.mark.parametrize("saved", [True, False])
def test_upgrade_makes_version_1_of_the_problem_rules(migrated_app, saved):
    """The rules an admin saved (or the defaults) become version 1, completed with the defaults of the
    time and without the retired warn_days; problems already dispatched record it; the setting goes.
    Downgrading writes the newest version back into the setting."""
    import json
    from datetime import date, datetime

    import sqlalchemy as sa

    mine = "febe7c8eb32d"
    at = datetime(2026, 9, 1, 2, 0)
    with migrated_app.app_context():
        upgrade(revision=f"{mine}-1")
        with db.engine.begin() as conn:
            admin = _insert(conn, "users", username="admin", name="管理员", role="admin")
            if saved:
                stored = {"sign_days": 2, "warn_days": 3, "limits": {"normal": 15, "urgent": 3},
                          "escalate_after": {"2": 2, "3": 4, "4": 6}}  # fmt: skip
                _insert(
                    conn, "settings", key="problem_rules", value=stored, updated_by_id=admin, updated_at=at
                )
            park = _insert(conn, "parks", code="A", name="甲园区")
            firm = _insert(conn, "enterprises", park_id=park, name="甲企业", credit_code="91430300MA4L000001")
            kw = {"enterprise_id": firm, "raised_by_id": admin, "title": "用电", "description": "增容"}
            dispatched = _insert(conn, "problems", dispatched_on=date(2026, 10, 26), **kw)
            waiting = _insert(conn, "problems", **kw)
        upgrade(revision=mine)
        with db.engine.connect() as conn:
            versions = conn.execute(
                sa.text("SELECT id, number, rules, created_by_id, note FROM problem_rule_sets")
            )
            [(id_, number, rules, author, note)] = versions.all()
            rules = rules if isinstance(rules, dict) else json.loads(rules)  # SQLite returns the text
            linked = dict(conn.execute(sa.text("SELECT id, rule_set_id FROM problems")).all())
            setting = conn.execute(
                sa.text("SELECT count(*) FROM settings WHERE key = 'problem_rules'")
            ).scalar()
        assert (id_, number) == (1, 1) and "warn_days" not in rules
        assert rules["sign_days"] == (2 if saved else 1) and rules["feedback_days"] == 3
        assert rules["limits"] == {"normal": 15 if saved else 10, "urgent": 3} and rules["warn_share"] == 30
        assert rules["escalate_after"] == ({"2": 2, "3": 4, "4": 6} if saved else {"2": 1, "3": 3, "4": 5})
        assert (author, note) == ((admin, "由原办理规则设置生成") if saved else (None, "初始版本"))
        assert linked == {dispatched: 1, waiting: None} and setting == 0
        from crm.services.problems.rules import problem_rules

        assert problem_rules().sign_days == (2 if saved else 1)
        db.session.remove()  # end the session's transaction: the downgrade alters its tables
        downgrade(revision=f"{mine}-1")
        with db.engine.connect() as conn:
            value = conn.execute(sa.text("SELECT value FROM settings WHERE key = 'problem_rules'")).scalar()
        value = value if isinstance(value, dict) else json.loads(value)
        assert value["sign_days"] == (2 if saved else 1) and value["warn_days"] == 2
