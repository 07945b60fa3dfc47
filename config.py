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
    # Where attachments, import uploads and reports are kept: "filesystem" (the folders above) or
    # "database" (several hosts on one PostgreSQL; move existing files with `crm storage migrate`).
    FILE_STORAGE = os.environ.get("CRM_FILE_STORAGE") or "filesystem"
    # Secrets of the external channels: from the environment only, never stored in the database.
    CRM_SMTP_PASSWORD = os.environ.get("CRM_SMTP_PASSWORD", "")
    CRM_WECOM_WEBHOOK = os.environ.get("CRM_WECOM_WEBHOOK", "")
    CRM_DINGTALK_WEBHOOK = os.environ.get("CRM_DINGTALK_WEBHOOK", "")
    CRM_DINGTALK_SECRET = os.environ.get("CRM_DINGTALK_SECRET", "")
    TIMEZONE = "Asia/Shanghai"
    # A fixed "today" (YYYY-MM-DD) for demos, tests and benchmarks; None means the real date.
    CRM_TODAY = os.environ.get("CRM_TODAY")
    PER_PAGE = 20
    DASHBOARD_CACHE_SECONDS = 300  # the policy and 专班 cards are recomputed at most every 5 minutes
    # The home pages' figures are stored per park and kept exact by every writing transaction; False
    # computes them on every view.
    HOME_FIGURES_STORED = True
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    # Per-client throttle across usernames (stored in the database, so it holds across gunicorn workers).
    LOGIN_IP_MAX_FAILURES = 20
    LOGIN_IP_WINDOW_MINUTES = 10
    # How many reverse proxies in front of the app append to X-Forwarded-For (0: none, the header is
    # ignored; a client could forge it). Set CRM_TRUSTED_PROXIES=1 behind one nginx.
    TRUSTED_PROXY_COUNT = int(os.environ.get("CRM_TRUSTED_PROXIES") or 0)
    PASSWORD_MIN_LENGTH = 8
    # 企业服务码: the address printed in the firms' QR codes (what their phones can reach; without it, the
    # address the officer's page was opened on), and the key the printable tokens derive from (else
    # SECRET_KEY; issued cards keep working if it changes, but must be reissued to be printed again).
    PUBLIC_BASE_URL = os.environ.get("CRM_PUBLIC_URL", "")
    SERVICE_CODE_SECRET = os.environ.get("CRM_SERVICE_CODE_SECRET", "")
    # The firm page's rate limits, counted in the database per service code and per client address.
    PORTAL_SUBMITS_PER_CODE = 5
    PORTAL_SUBMITS_PER_ADDRESS = 10
    PORTAL_ACTIONS_PER_CODE = 30
    PORTAL_ACTIONS_PER_ADDRESS = 60
    PORTAL_WINDOW_MINUTES = 60
    IMPORT_MAX_ROWS = 200_000  # data rows per file from `flask crm import-enterprises`
    # The import page must answer within seconds: saving a new firm (with its liaison and audit rows)
    # takes 2-3 ms here, so 1,000 rows commit in 2-3 s. Bigger files are refused there with a pointer
    # to the command.
    IMPORT_WEB_MAX_ROWS = 1_000
    IMPORT_MAX_COLUMNS = 100
    IMPORT_MAX_CELL_CHARS = 2_000
    # Every spreadsheet import, checked before any reader runs (crm.services.common.spreadsheets):
    # the file, and what its zip directory declares.
    SPREADSHEET_MAX_FILE_BYTES = 50 * 1024 * 1024
    SPREADSHEET_MAX_UNPACKED_BYTES = 100 * 1024 * 1024
    SPREADSHEET_MAX_MEMBER_BYTES = 64 * 1024 * 1024
    SPREADSHEET_MAX_MEMBERS = 1_000
    SPREADSHEET_MAX_RATIO = 100  # unpacked : packed, for parts over 1 MB
    SPREADSHEET_MAX_CELLS = 3_000_000  # a sheet's rectangle up to its farthest cell


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True


class TestConfig(Config):
    TESTING = True
    DASHBOARD_CACHE_SECONDS = 0  # every test sees live figures
    WTF_CSRF_ENABLED = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    PASSWORD_MIN_LENGTH = 8
