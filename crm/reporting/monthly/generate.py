"""报表: generating the monthly workbook on demand (报表 page, CLI) and when a month closes (月结: the
official version, by the scheduler or an admin).

Files are written under REPORTS_FOLDER (month/name.xlsx, via a temporary file and an atomic rename) and
recorded as GeneratedReport rows. The official workbooks of a closed version are made once: each row
carries a unique auto_key ("monthly:2026-10:A", version 2 on "monthly:2026-10:A:v2") and is inserted with
INSERT … ON CONFLICT DO NOTHING, so a second run (or a second scheduler) running at the same moment
creates no second file, row or notification, and fails on nothing: it finds the first's.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import BinaryIO, Optional

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from crm.extensions import db
from crm.models import GeneratedReport, MonthClose, Park, User
from crm.permissions import can, is_city_wide
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.writer import monthly_workbook
from crm.services import ServiceError
from crm.services.closing.store import closed_version, due_month
from crm.services.common.audit import record_audit
from crm.services.storage.store import get_store
from crm.timeutil import to_local, utcnow

NOTIFY_KIND = "report"  # the notification centre's kind: 月度报表


@dataclass(frozen=True)
class ReportRequest:
    period: Period
    scope: ReportScope


def reports_folder() -> Path:
    """REPORTS_FOLDER (created on first use)."""
    folder = Path(current_app.config["REPORTS_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def report_path(report: GeneratedReport) -> Optional[Path]:
    """The file of a generated report, or None if the stored name would leave REPORTS_FOLDER."""
    folder = reports_folder().resolve()
    path = (folder / report.stored_name).resolve()
    return path if folder in path.parents else None


def download_name(period: Period, scope: ReportScope, version: Optional[int] = None) -> str:
    """联企服务月报_2026年10月_甲园区.xlsx (a closed month's version 2 on: …_第2版.xlsx)"""
    suffix = f"_第{version}版" if version and version > 1 else ""
    return f"联企服务月报_{period.label}_{scope.title}{suffix}.xlsx"


def auto_key(month: str, park: Optional[Park], version: int) -> str:
    """The official workbook's key: "monthly:2026-10:A", from version 2 on "monthly:2026-10:A:v2"."""
    key = f"monthly:{month}:{park.code if park else 'all'}"
    return key if version == 1 else f"{key}:v{version}"


def parse_request(
    actor: Optional[User], month: Optional[str], park: Optional[Park], today: date
) -> ReportRequest:
    """Check the month and the park against the actor's scope (None: the scheduler, any scope)."""
    period = Period.parse(month, today)
    if actor is not None:
        if not can(actor, "report.generate"):
            raise ServiceError("没有生成报表的权限")
        if not is_city_wide(actor):
            if actor.park_id is None:
                raise ServiceError("您的账号未关联园区，不能生成报表")
            if park is None or park.id != actor.park_id:
                raise ServiceError("只能生成本园区的报表")
    return ReportRequest(period, ReportScope(park))


def _write_file(data: BytesIO, stored_name: str) -> int:
    """Store the workbook (crm.services.storage: REPORTS_FOLDER, written through a temporary file and an
    atomic rename so a reader never sees half a workbook; or the database, in this transaction); the size."""
    data.seek(0)
    return get_store("reports").write(stored_name, data)


def open_report(report: GeneratedReport) -> Optional[BinaryIO]:
    """The workbook's content as a stream from wherever it is stored, or None if it is missing."""
    return get_store("reports").open(report.stored_name)


def _insert_once(values: dict) -> Optional[int]:
    """Insert a scheduled report's row unless its auto_key (or stored name) exists: the new id, or None.

    ON CONFLICT DO NOTHING waits for a concurrent insert of the same key and then yields to it, so two
    runs at once never fail on the unique key: the later one finds the earlier one's row.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite_insert if dialect == "sqlite" else pg_insert
        stmt = insert(GeneratedReport).values(**values).on_conflict_do_nothing().returning(GeneratedReport.id)
        return db.session.execute(stmt).scalar()
    row = GeneratedReport(**values)  # any other database: a savepoint, the IntegrityError means "exists"
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return None
    return row.id


def _scheduled(auto_key: str) -> Optional[GeneratedReport]:
    return db.session.execute(
        select(GeneratedReport).where(GeneratedReport.auto_key == auto_key)
    ).scalar_one_or_none()


def _make_report(
    req: ReportRequest,
    actor: Optional[User],
    now: datetime,
    auto_key: Optional[str],
    version: Optional[int] = None,
) -> tuple[GeneratedReport, bool]:
    """Build, store and record the workbook: (the report, True) — or, for a scheduled report another
    run stored first, (that report, False), with no file written."""
    data = monthly_workbook(req.scope, req.period, now)
    if auto_key:
        suffix = "auto" if not version or version == 1 else f"auto_v{version}"
    else:
        suffix = f"{to_local(now):%Y%m%d%H%M%S}_{uuid.uuid4().hex[:8]}"
    stored = f"{req.period.month}/monthly_{req.period.month}_{req.scope.slug}_{suffix}.xlsx"
    values = {
        "month": req.period.month,
        "park_id": req.scope.park_id,
        "filename": download_name(req.period, req.scope, version),
        "stored_name": stored,
        "auto_key": auto_key,
        "created_by_id": actor.id if actor else None,
        "created_at": now,
    }
    if auto_key is not None:
        # The unique auto_key refuses a second scheduled row before any file is written.
        report_id = _insert_once(values)
        if report_id is None:
            existing = _scheduled(auto_key)
            assert existing is not None, f"report {auto_key} conflicts but cannot be read"
            return existing, False
        report = db.session.get_one(GeneratedReport, report_id)
    else:
        report = GeneratedReport(**values)
        db.session.add(report)
        db.session.flush()
    report.size = _write_file(data, stored)
    if actor is not None:
        record_audit(actor, "report", report.id, "create", f"生成报表：{report.filename}")
    return report, True


def generate_report(
    actor: Optional[User],
    month: Optional[str],
    park: Optional[Park],
    today: date,
    now: Optional[datetime] = None,
    auto_key: Optional[str] = None,
) -> GeneratedReport:
    """Build the month's workbook for the park (None: all parks), store it and record it; a scheduled
    report (auto_key) is made once: if another run made it first, that one is returned."""
    req = parse_request(actor, month, park, today)
    return _make_report(req, actor, now or utcnow(), auto_key)[0]


def build_report_file(month: Optional[str], park: Optional[Park], today: date) -> tuple[BytesIO, str]:
    """The CLI's workbook (no row, no file under REPORTS_FOLDER): data and its download name."""
    req = parse_request(None, month, park, today)
    return monthly_workbook(req.scope, req.period), download_name(req.period, req.scope)


def _leaders(park: Optional[Park]) -> list[User]:
    """Active leaders of the park (or the city-wide ones for the all-parks report)."""
    stmt = select(User).where(User.role == "leader", User.is_active_user.is_(True))
    stmt = stmt.where(User.park_id == park.id if park else User.park_id.is_(None))
    return list(db.session.scalars(stmt.order_by(User.id)))


def _announce(report: GeneratedReport, park: Optional[Park], now: datetime, version: int = 1) -> int:
    """Tell the leaders in scope once (the dedupe key names the month, the scope and the version)."""
    from crm.services.notifications.inbox import notify

    edition = "正式版" if version == 1 else f"第{version}版"
    title = f"{report.month_label}联企服务月报（{edition}）已生成（{park.name if park else '全部园区'}）"
    body = f"已月结，可在“报表”页面下载：{report.filename}"
    if version > 1:
        body += "。该月已重新结账，工作簿中的“变更对照”列出了与上一版不同的数字"
    sent = 0
    for leader in _leaders(park):
        key = f"monthly_report:{report.auto_key}"
        sent += (
            notify(leader, NOTIFY_KIND, title, body, dedupe_key=key, endpoint="reports.index", now=now)
            is not None
        )
    return sent


def generate_closed_reports(close: MonthClose, today: date, now: Optional[datetime] = None) -> dict[str, int]:
    """The official workbooks of a closed version, per park and for all parks, once; leaders are told once."""
    now = now or utcnow()
    parks: list[Optional[Park]] = [*db.session.scalars(select(Park).order_by(Park.id)), None]
    keys = {park.id if park else None: auto_key(close.month, park, close.version) for park in parks}
    done = set(
        db.session.scalars(
            select(GeneratedReport.auto_key).where(GeneratedReport.auto_key.in_(keys.values()))
        )
    )
    created = users = 0
    for park in parks:
        key = keys[park.id if park else None]
        report = _scheduled(key) if key in done else None
        if report is None:  # not there when read above; another run may still store it first
            req = parse_request(None, close.month, park, today)
            report, made = _make_report(req, None, now, key, close.version)
            created += made
        users += _announce(report, park, now, close.version)
    return {"reports": created, "users": users}


def generate_monthly_reports(today: date, now: Optional[datetime] = None) -> dict[str, int]:
    """The official workbooks of the month due to be closed by today, if it is closed (the close job makes
    them right after closing; this completes them after an interruption)."""
    close = closed_version(due_month(today))
    if close is None:
        return {"reports": 0, "users": 0}
    return generate_closed_reports(close, today, now)
