"""Configuration classes. SQLite in instance/ by default; DATABASE_URL overrides."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_SECRET = "dev-only-change-me"


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants psycopg 3 explicitly.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    return f"sqlite:///{BASE_DIR / 'instance' / 'crm.sqlite3'}"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET)
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    BOOTSTRAP_SERVE_LOCAL = True
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    # Where uploads and generated reports live; production points them at persistent storage.
    UPLOAD_FOLDER = os.environ.get("CRM_UPLOAD_FOLDER") or str(BASE_DIR / "instance" / "uploads")
    ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024  # per visit/problem attachment
    REPORTS_FOLDER = os.environ.get("CRM_REPORTS_FOLDER") or str(BASE_DIR / "reports")
    TIMEZONE = "Asia/Shanghai"
    # A fixed "today" (YYYY-MM-DD) for demos, tests and benchmarks; None means the real date.
    CRM_TODAY = os.environ.get("CRM_TODAY")
    PER_PAGE = 20
    DASHBOARD_CACHE_SECONDS = 300  # home-page aggregates are recomputed at most every 5 minutes
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    # Per-client throttle across usernames (stored in the database, so it holds across gunicorn workers).
    LOGIN_IP_MAX_FAILURES = 20
    LOGIN_IP_WINDOW_MINUTES = 10
    # How many reverse proxies in front of the app append to X-Forwarded-For (0: none, the header is
    # ignored; a client could forge it). Set CRM_TRUSTED_PROXIES=1 behind one nginx.
    TRUSTED_PROXY_COUNT = int(os.environ.get("CRM_TRUSTED_PROXIES") or 0)
    PASSWORD_MIN_LENGTH = 8
    IMPORT_MAX_ROWS = 200_000


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True


class TestConfig(Config):
    TESTING = True
    DASHBOARD_CACHE_SECONDS = 0  # every test sees live figures
    WTF_CSRF_ENABLED = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    PASSWORD_MIN_LENGTH = 8
