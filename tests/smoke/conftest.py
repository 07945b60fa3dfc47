"""Fixtures of the production smoke tests: a fresh PostgreSQL database of their own on the test server."""

import os
import uuid
from glob import glob
from importlib.util import find_spec

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

IN_CI = os.environ.get("CI") == "true"


def _unavailable(reason: str) -> None:
    """Required in CI (fail), optional on a developer's machine (skip with the reason)."""
    if IN_CI:
        pytest.fail(f"CI 必须运行生产冒烟测试：{reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def database_url():
    """A fresh, empty PostgreSQL database on the test server; dropped afterwards."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        if IN_CI and not glob("/usr/lib/postgresql/*/bin/initdb"):
            pytest.fail("CI 需要 PostgreSQL，但未安装")
        pytest.skip("生产冒烟测试在 scripts/test.sh 的 PostgreSQL 轮运行（需 TEST_DATABASE_URL=postgresql…）")
    if find_spec("gunicorn") is None:
        _unavailable("未安装 gunicorn（pip install -r requirements.txt）")
    name = f"crm_smoke_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
