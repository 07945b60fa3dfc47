"""Shared fixtures. TEST_DATABASE_URL selects the database (default: a temporary SQLite file)."""

import contextlib
import contextvars
import os
import tempfile

import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import event

from config import TestConfig
from crm import create_app
from crm.extensions import db as _db
from crm.services.notifications.channels import SECRETS as CHANNEL_SECRETS
from tests.support.dates import TODAY


def _make_config():
    url = os.environ.get("TEST_DATABASE_URL")
    tmpdir = tempfile.mkdtemp(prefix="crm-test-")
    if not url:
        # A file, not :memory:, so the live server of browser tests shares the same data.
        url = f"sqlite:///{os.path.join(tmpdir, 'test.sqlite3')}"

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        UPLOAD_FOLDER = os.path.join(tmpdir, "uploads")
        REPORTS_FOLDER = os.path.join(tmpdir, "reports")
        CRM_TODAY = TODAY.isoformat()

    return Cfg


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production.

    Flask reuses an already pushed app context for requests; the `db` fixture pushes one, so without
    this the test and its requests would share `g` (Flask-Login's cached user) and the DB session.
    """

    def open(self, *args, **kwargs):
        def run():
            _cv_app.set(None)
            return FlaskClient.open(self, *args, **kwargs)

        return contextvars.copy_context().run(run)


@pytest.fixture(scope="session")
def app():
    app = create_app(_make_config())
    app.test_client_class = IsolatedClient
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture()
def db(app):
    """An app context with empty tables; everything is wiped after the test."""
    ctx = app.app_context()
    ctx.push()
    secrets = {s.env: app.config.get(s.env) for s in CHANNEL_SECRETS}  # set_channels() may set them
    yield _db
    app.config.update(secrets)
    _db.session.rollback()
    _db.session.remove()
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())
    ctx.pop()


@pytest.fixture()
def client(app, db):
    return app.test_client()


@pytest.fixture()
def runner(app, db):
    return app.test_cli_runner()


@pytest.fixture()
def login_as(client, db):
    """login_as(user): the test client acts as that user from now on."""

    def _login(user):
        db.session.commit()
        with client.session_transaction() as sess:
            sess["_user_id"] = user.get_id()  # "<id>:<generation>", as login_user stores it
            sess["_fresh"] = True
        return client

    return _login


@pytest.fixture()
def count_queries(db):
    """with count_queries() as q: ...; q.count is the number of SQL statements run."""

    class Counter:
        count = 0
        statements: list[str] = []

    @contextlib.contextmanager
    def _count():
        counter = Counter()
        counter.statements = []

        def before(conn, cursor, statement, *args):
            counter.count += 1
            counter.statements.append(statement)

        event.listen(_db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(_db.engine, "before_cursor_execute", before)

    return _count
