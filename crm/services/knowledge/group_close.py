"""Closing a 共性问题 (专班办结): the office records how the 专班 solved the common cause, and every member
problem still being worked on moves to 已办结 with that resolution (the workflow's group_resolve step,
through crm.services.problems.flow.apply_action). Each then waits for its own firm's evaluation (回访)
before 销号, exactly as after a department's 办结: 不满意 sends it back for 重办 (to its department, or
to the park office's 待交办 when it had none). Members already resolved or closed are left as they are.

All or nothing: if any member cannot move (a closed month, a form opened before someone changed it, a
step the workflow refuses), the group stays open, no member changes, and the message names the problem.
"""

from datetime import date, datetime
from typing import Any, Optional

from crm.extensions import db
from crm.models import CommonIssue, Problem, User
from crm.services import ServiceError
from crm.services.common.audit import record_audit
from crm.services.common.locking import check_version
from crm.services.common.validators import clean_multiline
from crm.services.knowledge.common_issues import (
    NOTE_MAX,
    STALE_ISSUE,
    add_event,
    members_of,
    require_manage,
)
from crm.services.knowledge.group_notices import notify_cadres, notify_lead
from crm.services.knowledge.proposals import GROUPABLE
from crm.services.problems.flow import apply_action
from crm.timeutil import utcnow


def _versions(raw: Any) -> dict[int, Any]:
    """{problem id: the version its row showed} from the form ("12:3" strings, or a dict)."""
    if isinstance(raw, dict):
        return {int(k): v for k, v in raw.items() if str(k).isdigit()}
    out: dict[int, Any] = {}
    for item in raw or []:
        pid, _sep, version = str(item).partition(":")
        if pid.strip().isascii() and pid.strip().isdigit():
            out[int(pid)] = version.strip()
    return out


def close_common_issue(
    actor: User, issue: CommonIssue, data: dict[str, Any], today: date, now: Optional[datetime] = None
) -> list[Problem]:
    """Close the group with its resolution; returns the members moved to 已办结."""
    require_manage(actor, issue)
    check_version(issue, data.get("version"), STALE_ISSUE)
    if issue.status != "open":
        raise ServiceError("该共性问题已办结")
    resolution = clean_multiline(data.get("resolution"), "办结情况", NOTE_MAX, required=True)
    assert resolution is not None
    versions = _versions(data.get("member_versions"))
    now = now or utcnow()
    members = members_of(issue)
    moved: list[Problem] = []
    savepoint = db.session.begin_nested()
    try:
        issue.status, issue.resolution, issue.closed_on, issue.updated_at = "closed", resolution, today, now
        db.session.flush()
        for p in members:
            if p.status not in GROUPABLE:
                continue
            step = {"note": resolution, "common_issue_id": issue.id, "version": versions.get(p.id)}
            try:
                apply_action(p, "group_resolve", actor, step, today=today, now=now)
            except ServiceError as exc:
                raise ServiceError(
                    f"问题「{p.title}」（#{p.id}）不能随专班办结：{exc}。专班未办结，所有问题均未改变"
                ) from exc
            moved.append(p)
        kept = [p.id for p in members if p not in moved]
        add_event(
            issue, actor, "close", today, resolution, {"resolved": [p.id for p in moved], "kept": kept}, now
        )
        record_audit(
            actor,
            "common_issue",
            issue.id,
            "close",
            f"专班办结共性问题「{issue.title}」：{len(moved)}个问题转为已办结，待企业评价",
            at=now,
        )
        db.session.flush()
        savepoint.commit()
    except BaseException:
        savepoint.rollback()
        raise
    notify_lead(issue, f"共性问题已办结：{issue.title}", resolution, f"common_issue:{issue.id}:close", now)
    notify_cadres(moved, "专班已办结，请回访企业评价", resolution, f"common_issue:{issue.id}:close", now)
    return moved
