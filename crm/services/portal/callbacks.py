"""回访抽查: each month a random sample of the problems each park closed (销号) is called back by its
officers, who record whether they reached the firm, whether it confirms the result and how satisfied it is.

The sample is drawn once per park and month and stored (CallbackDraw, CallbackCheck); it is reproducible:
random.Random seeded by the month and the park, over the closed problems' ids in order. Its size is the
park's percent of the closed problems, rounded up, at least its minimum, at most all of them.
"""

import math
import random
from datetime import date, datetime, timedelta
from typing import Any, Optional

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import CallbackCheck, CallbackDraw, Enterprise, Park, Problem, User
from crm.models.portal import CALLBACK_STATUSES
from crm.models.problem import EVALUATIONS
from crm.permissions import can, is_city_wide
from crm.services import ServiceError
from crm.services.common.audit import record_audit
from crm.services.common.locking import check_version
from crm.services.common.validators import clean_multiline
from crm.services.notifications.inbox import notify
from crm.services.portal.settings import portal_rules
from crm.services.problems.notices import cadres_by_firm, officers_by_park

STALE = "该回访记录刚被其他人更新，请刷新后重试"


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of a YYYY-MM month (ValueError for anything else, 9999-12 included: its end
    is computed from the first day of the month after, which no date can hold)."""
    start = date.fromisoformat(f"{month}-01")
    try:
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    except OverflowError:
        raise ValueError(f"month out of range: {month}") from None
    return start, end


def previous_month(today: date) -> str:
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last:%Y-%m}"


def sample_size(population: int, percent: int, minimum: int) -> int:
    """percent of population rounded up, at least minimum, at most population."""
    return min(population, max(minimum, math.ceil(population * percent / 100)))


def draw_sample(ids: list[int], month: str, park_id: int, size: int) -> list[int]:
    """The reproducible sample: the same month, park and closed problems always give the same ids."""
    rnd = random.Random(f"callback:{month}:{park_id}")
    return sorted(rnd.sample(sorted(ids), size))


def closed_in_month(park_id: int, month: str) -> list[int]:
    """Ids of the park's problems closed (销号, not 撤单) in the month."""
    start, end = month_bounds(month)
    return list(
        db.session.scalars(
            select(Problem.id)
            .join(Enterprise, Enterprise.id == Problem.enterprise_id)
            .where(
                Enterprise.park_id == park_id,
                Problem.status == "closed",
                Problem.withdrawn_on.is_(None),
                Problem.closed_on.between(start, end),
            )
            .order_by(Problem.id)
        )
    )


def draw_callbacks(park: Park, month: str, today: date, actor: Optional[User] = None) -> CallbackDraw:
    """The park's sample for a finished month, drawn now if it has not been (the same one ever after)."""
    if actor is not None and not can(actor, "callback.record", park):
        raise ServiceError("没有为该园区抽取回访名单的权限")
    start, _end = month_bounds(month)
    if start >= today.replace(day=1):
        raise ServiceError("只能抽取已结束月份的回访名单")
    existing = db.session.scalar(
        select(CallbackDraw).where(CallbackDraw.park_id == park.id, CallbackDraw.month == month)
    )
    if existing is not None:
        return existing
    rules = portal_rules(park.id)
    ids = closed_in_month(park.id, month)
    chosen = draw_sample(
        ids, month, park.id, sample_size(len(ids), rules.callback_percent, rules.callback_min)
    )
    draw = CallbackDraw(
        park_id=park.id,
        month=month,
        population=len(ids),
        percent=rules.callback_percent,
        minimum=rules.callback_min,
        drawn_on=today,
        drawn_by_id=actor.id if actor else None,
    )
    db.session.add(draw)
    db.session.flush()
    db.session.add_all(CallbackCheck(draw_id=draw.id, problem_id=pid, status="pending") for pid in chosen)
    db.session.flush()
    record_audit(
        actor,
        "callback_draw",
        draw.id,
        "draw",
        f"抽取{park.name}{month}回访抽查名单：{len(chosen)}/{len(ids)}件",
    )
    return draw


def monthly_callbacks(today: date, now: Optional[datetime] = None) -> dict[str, int]:
    """The job: every park's sample of last month, and its officers told once (idempotent)."""
    month = previous_month(today)
    parks = list(db.session.scalars(select(Park).order_by(Park.id)))
    officers = officers_by_park(p.id for p in parks)
    drawn = 0
    for park in parks:
        draw = draw_callbacks(park, month, today)
        size = len(draw.checks)
        drawn += size
        if not size:
            continue
        for officer in officers.get(park.id, []):
            notify(
                officer,
                "problem_event",
                f"{month}回访抽查名单已生成：{size}件待回访",
                f"{park.name}{month}共销号{draw.population}件问题，按{draw.percent}%（至少{draw.minimum}件）"
                f"随机抽取{size}件，请逐一电话回访企业并登记结果。",
                dedupe_key=f"callback:{park.id}:{month}",
                endpoint="firm_voice.callbacks",
                now=now,
            )
    return {"parks": len(parks), "created": drawn}


def visible_checks(user: User, month: str) -> Select:
    """SELECT of the sample rows of the month in the user's scope, with their problem and firm."""
    stmt = (
        select(CallbackCheck)
        .join(CallbackDraw, CallbackDraw.id == CallbackCheck.draw_id)
        .join(Problem, Problem.id == CallbackCheck.problem_id)
        .where(CallbackDraw.month == month)
        .options(
            joinedload(CallbackCheck.problem).joinedload(Problem.enterprise),
            joinedload(CallbackCheck.problem).joinedload(Problem.department),
            joinedload(CallbackCheck.called_by),
        )
        .order_by(CallbackDraw.park_id, CallbackCheck.problem_id)
    )
    if not is_city_wide(user):
        stmt = stmt.where(CallbackDraw.park_id == (user.park_id or 0))
    return stmt


def visible_draws(user: User, month: str) -> list[CallbackDraw]:
    """The month's draws in the user's scope (one per park)."""
    stmt = select(CallbackDraw).where(CallbackDraw.month == month).options(joinedload(CallbackDraw.park))
    if not is_city_wide(user):
        stmt = stmt.where(CallbackDraw.park_id == (user.park_id or 0))
    return list(db.session.scalars(stmt.order_by(CallbackDraw.park_id)))


def check_counts(user: User, month: str) -> dict[str, int]:
    """{status: rows} of the month's sample in the user's scope (one query)."""
    stmt = (
        select(CallbackCheck.status, func.count())
        .join(CallbackDraw, CallbackDraw.id == CallbackCheck.draw_id)
        .where(CallbackDraw.month == month)
        .group_by(CallbackCheck.status)
    )
    if not is_city_wide(user):
        stmt = stmt.where(CallbackDraw.park_id == (user.park_id or 0))
    return {status: count for status, count in db.session.execute(stmt)}


def record_callback(check: CallbackCheck, actor: User, data: dict[str, Any], today: date) -> CallbackCheck:
    """Record the call: 已回访 with the firm's confirmation and satisfaction, or 联系不上."""
    park = check.draw.park
    if not can(actor, "callback.record", park):
        raise ServiceError("没有登记该园区回访结果的权限")
    check_version(check, data.get("version"), STALE)
    status = str(data.get("status") or "")
    if status not in ("reached", "unreachable"):
        raise ServiceError("请选择回访结果：已回访或联系不上")
    note = clean_multiline(data.get("note"), "回访说明", 500)
    confirmed, satisfaction = None, None
    if status == "reached":
        answer = str(data.get("confirmed") or "")
        if answer not in ("yes", "no"):
            raise ServiceError("请选择企业是否确认问题已解决")
        confirmed = answer == "yes"
        satisfaction = str(data.get("satisfaction") or "")
        if satisfaction not in EVALUATIONS:
            raise ServiceError("请选择企业的满意程度：满意、基本满意或不满意")
        if (not confirmed or satisfaction == "unsatisfied") and not note:
            raise ServiceError("企业不认可办理结果时，请填写回访说明")
    check.status, check.confirmed, check.satisfaction, check.note = status, confirmed, satisfaction, note
    check.called_by_id, check.called_on = actor.id, today
    db.session.flush()
    problem = check.problem
    verdict = CALLBACK_STATUSES[status]
    if status == "reached":
        verdict += f"，{'确认已解决' if confirmed else '不认可办理结果'}，{EVALUATIONS[satisfaction or '']}"
    record_audit(
        actor, "callback_check", check.id, "record", f"回访抽查「{problem.title}」：{verdict}", None,
        enterprise_id=problem.enterprise_id,
    )  # fmt: skip
    if status == "reached" and (not confirmed or satisfaction == "unsatisfied"):
        _warn(check, actor, verdict, note or "")
    return check


def _warn(check: CallbackCheck, actor: User, verdict: str, note: str) -> None:
    """A callback that contradicts the closing: the firm's cadre and the other officers hear of it."""
    problem = check.problem
    firm = problem.enterprise
    people = cadres_by_firm([firm.id]).get(firm.id, []) + officers_by_park([firm.park_id]).get(
        firm.park_id, []
    )
    for user in {u.id: u for u in people if u.id != actor.id}.values():
        notify(
            user,
            "problem_event",
            f"回访抽查：企业不认可办理结果（{problem.title}）",
            f"企业：{firm.name}\n回访结果：{verdict}\n{note}",
            dedupe_key=f"callback-warn:{check.id}:{check.confirmed}:{check.satisfaction}",
            problem_id=problem.id,
            enterprise_id=firm.id,
        )
