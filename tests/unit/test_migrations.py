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
