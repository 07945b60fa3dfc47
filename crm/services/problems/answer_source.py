"""现场解答: the earlier problem whose answer a cadre gives a firm on the spot. It must be solved
(已办结 or 已销号, not closed by a 撤单), belong to the same park, and not be the problem itself."""

from typing import Any, Optional

from sqlalchemy import select

from crm.extensions import db
from crm.models import Enterprise, Problem
from crm.services import ServiceError
from crm.services.common.args import MAX_ID

# The states in which a problem holds an answer worth giving again.
SOLVED_STATUSES = ("resolved", "closed")


def is_solved(problem: Problem) -> bool:
    """Whether the problem's answer may be quoted: resolved or closed, and not withdrawn (撤单)."""
    return problem.status in SOLVED_STATUSES and problem.withdrawn_on is None


def answer_source(value: Any, park_id: int, exclude_id: Optional[int] = None) -> Optional[Problem]:
    """The problem named by value (an id as typed) to answer from, or None when value is empty.

    Raises ServiceError (nothing changed) when it is not a solved problem of park_id other than exclude_id.
    """
    if value is None or str(value).strip() in ("", "0"):
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or not 0 < int(text) <= MAX_ID:
        raise ServiceError("引用的案例无效")
    source = db.session.scalar(
        select(Problem)
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .where(Problem.id == int(text), Enterprise.park_id == park_id)
    )
    if source is None:
        raise ServiceError("引用的案例不存在或不属于本园区")
    if source.id == exclude_id:
        raise ServiceError("不能引用问题本身作为现场解答的案例")
    if not is_solved(source):
        raise ServiceError("只能引用已办结或已销号的问题作为现场解答的案例")
    return source
