"""提交诉求: what a firm submits on its service page becomes a problem (企业自报, 待交办) that the park
office sees on its 交办台 at once; the firm's cadre and the park's officers are notified."""

import re
from datetime import date, datetime, timedelta
from typing import Any, Optional

from crm.models import Problem, ServiceCode
from crm.services import ServiceError
from crm.services.common.attachments import CONTENT_TYPES, clean_filename, human_size, max_bytes
from crm.services.common.creditcode import normalize_text
from crm.services.common.validators import clean_text, collect_errors
from crm.services.notifications.inbox import notify
from crm.services.portal.throttle import admit
from crm.services.problems.intake import raise_firm_problem
from crm.services.problems.notices import cadres_by_firm, officers_by_park
from crm.timeutil import today as local_today
from crm.timeutil import utcnow

MAX_FILES = 3
# What a phone sends: photos and PDFs (the same content checks as every upload follow).
FILE_TYPES = ("jpg", "jpeg", "png", "gif", "webp", "pdf")
ACCEPT = "image/*,.pdf"
PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{5,22}[0-9]$")
WISH_DAYS = 366  # 希望办结时间 within a year


def upload_hint() -> str:
    return f"最多{MAX_FILES}个，照片或PDF，每个不超过{human_size(max_bytes())}"


def _phone(value: Any) -> str:
    text = normalize_text(value)
    if not text:
        raise ServiceError("联系电话不能为空")
    digits = sum(ch.isdigit() for ch in text)
    if not PHONE_RE.fullmatch(text) or not 7 <= digits <= 15:
        raise ServiceError("联系电话格式不正确，请填写手机号或座机号（如 13807321234 或 0731-58881234）")
    return text


def _wish(value: Any, today: date) -> Optional[date]:
    text = normalize_text(value)
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ServiceError("希望办结时间应为日期，如 2026-11-30") from None
    if not today <= day <= today + timedelta(days=WISH_DAYS):
        raise ServiceError("希望办结时间应在今天到一年以内")
    return day


def check_files(files) -> list:
    """The chosen files if there are at most three photos or PDFs (content is checked by the intake)."""
    chosen = [f for f in files if getattr(f, "filename", None)]
    if len(chosen) > MAX_FILES:
        raise ServiceError(f"最多上传{MAX_FILES}个文件（本次选择了{len(chosen)}个）")
    for f in chosen:
        name = clean_filename(f.filename) or "未命名文件"
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext not in FILE_TYPES or ext not in CONTENT_TYPES:
            raise ServiceError(f"文件 {name} 类型不支持：只能上传照片或PDF")
    return chosen


def submit_problem(
    code: ServiceCode,
    data: dict[str, Any],
    files=(),
    address: Optional[str] = None,
    today: Optional[date] = None,
    now: Optional[datetime] = None,
) -> Problem:
    """The firm's 诉求 as a 企业自报 problem, 待交办; refused whole (nothing written) on any bad field,
    bad file or exhausted rate limit."""
    today, now = today or local_today(), now or utcnow()
    firm = code.enterprise
    admit("submit", code.id, address, now)
    contact = collect_errors(
        {
            "contact_name": lambda v: clean_text(v, "联系人", 64, required=True),
            "contact_phone": _phone,
            "wished_on": lambda v: _wish(v, today),
        },
        data,
    )
    problem = raise_firm_problem(
        firm,
        {k: data.get(k) for k in ("title", "description", "category")} | {"urgency": "normal"},
        contact,
        files=check_files(files),
        today=today,
        now=now,
        event_data={"by": "firm", "code": code.id},
    )
    _tell_the_park(problem, now)
    return problem


def _tell_the_park(problem: Problem, now: datetime) -> None:
    """The firm's cadre and its park's officers hear of a 企业自报 at once (one notification each)."""
    firm = problem.enterprise
    people = cadres_by_firm([firm.id]).get(firm.id, []) + officers_by_park([firm.park_id]).get(
        firm.park_id, []
    )
    title = f"企业自报诉求待交办：{problem.title}（{firm.name}）"
    body = (
        f"企业：{firm.name}\n类别：{problem.category_label}"
        + f"\n联系人：{problem.contact_name} {problem.contact_phone}"
        + (f"\n希望办结时间：{problem.wished_on}" if problem.wished_on else "")
        + f"\n{problem.description}"
    )
    seen: set[int] = set()
    for user in people:
        if user.id not in seen:
            seen.add(user.id)
            notify(
                user,
                "problem_event",
                title,
                body[:2000],
                dedupe_key=f"firm-submit:{problem.id}",
                problem_id=problem.id,
                enterprise_id=firm.id,
                now=now,
            )
