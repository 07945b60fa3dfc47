"""Helpers for the month close (月结) tests: every cell of a month's workbooks, closing a month."""

import re
from datetime import date, datetime
from io import BytesIO
from typing import Any, Optional

from openpyxl import load_workbook

from crm.extensions import db
from crm.models import Park
from crm.reporting.monthly.close import Closed, close_month
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.writer import monthly_workbook
from crm.services.problems.rules import ProblemRules

OCTOBER_CLOSE_DAY = date(2026, 11, 4)  # the 3rd working day of November 2026 (Mon 2, Tue 3, Wed 4)
STAMP = re.compile(r"生成时间：\d{4}-\d{2}-\d{2} \d{2}:\d{2}")

Cells = dict[str, list[tuple[Any, ...]]]


def cells(park: Optional[Park], month: str = "2026-10", today: date = OCTOBER_CLOSE_DAY, now=None) -> Cells:
    """Every cell of every sheet of the month's workbook, the generation time blanked out."""
    data = monthly_workbook(ReportScope(park), Period.parse(month, today), now or datetime.now())
    wb = load_workbook(BytesIO(data.getvalue()))
    return {
        ws.title: [
            tuple(STAMP.sub("生成时间：—", v) if isinstance(v, str) else v for v in row)
            for row in ws.iter_rows(values_only=True)
        ]
        for ws in wb.worksheets
    }


def differences(before: Cells, after: Cells) -> list[tuple[str, int, tuple, tuple]]:
    """(sheet, row number, before, after) of every row that differs, and sheets added or removed."""
    out = []
    for sheet in sorted(before.keys() | after.keys()):
        rows_before, rows_after = before.get(sheet, []), after.get(sheet, [])
        for i in range(max(len(rows_before), len(rows_after))):
            a = rows_before[i] if i < len(rows_before) else ()
            b = rows_after[i] if i < len(rows_after) else ()
            if a != b:
                out.append((sheet, i + 1, a, b))
    return out


def close(month: str = "2026-10", today: date = OCTOBER_CLOSE_DAY, actor=None) -> Closed:
    closed = close_month(month, actor, today, datetime(2026, 11, 4, 0, 30))
    db.session.commit()
    return closed


def rules_form(**changes) -> dict:
    """The 办理规则 form's fields for the default rules, with some changed."""
    rules = ProblemRules()
    form = {key: getattr(rules, key) for key in ("sign_days", "feedback_days", "progress_days", "warn_share")}
    form |= {"return_days": 1, "extension_notice_days": 1, "max_extension_days": 10}
    form |= {"limit_normal": 10, "limit_urgent": 3, "escalate_2": 1, "escalate_3": 3, "escalate_4": 5}
    return form | changes
