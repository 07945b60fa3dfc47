"""The app as the benchmark runs it: production config on a given database, a fixed today."""

from config import Config
from crm import create_app


def bench_app(url: str, today: str):
    """An app bound to url with CRM_TODAY fixed (CSRF off so the runner can post forms)."""

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        CRM_TODAY = today
        WTF_CSRF_ENABLED = False

    return create_app(BenchConfig)
