"""Similar past problems while a problem is typed: the park's history ranked by BM25 (see
crm.services.knowledge.index for why BM25 and how the indexes stay current), solved ones first, each with
its resolution, the department that solved it and its 典型案例 if it was promoted to one.

Scope: the chosen firm's park, else the user's park; city-wide users without a firm: every park. A cadre
learns from the whole park, but a problem the user may not open shows no link and no firm name.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.models import Enterprise, Problem, ProblemEvent, TypicalCase, User
from crm.permissions import can, is_city_wide, is_park_limited, visible_enterprises
from crm.services.common.args import arg_id
from crm.services.common.validators import strip_control_chars
from crm.services.knowledge.index import INDEXES
from crm.services.knowledge.text import tokenize
from crm.services.problems.answer_source import is_solved

LIMIT = 5
# Candidates taken by score before solved ones are put first: a solved problem a little less similar is
# worth more to the cadre than an open one, but not one that merely shares a word.
CANDIDATES = 10
# BM25 scores at or below this share nothing meaningful with the query (one word common in the park).
SCORE_FLOOR = 0.5
TITLE_MAX, DESCRIPTION_MAX = 200, 2000  # what is read of the typed text; the rest adds nothing
QUERY_TOKENS_MAX = 64
SUMMARY_MAX = 160  # characters of a resolution or case summary shown on a card


@dataclass(frozen=True)
class SimilarProblem:
    """One suggestion: what any user of the park may read, plus link and firm when they may open it."""

    id: int
    title: str
    status: str
    status_label: str
    solved: bool  # 已办结/已销号 with an answer to give again (现场解答)
    category_label: str
    department: Optional[str]  # the department that solved it; None when solved on the spot
    on_spot: bool
    resolution: Optional[str]  # cut for the card
    answer: Optional[str]  # the whole resolution: the note a 现场解答 starts from
    score: float
    viewable: bool  # the user may open it: link and firm name shown
    firm_name: Optional[str]
    case_title: Optional[str]  # its published 典型案例
    case_summary: Optional[str]


def query_tokens(title: Any, description: Any) -> list[str]:
    """The words of what is typed (control characters dropped, overlong text cut), each once."""
    words: list[str] = []
    for value, limit in ((title, TITLE_MAX), (description, DESCRIPTION_MAX)):
        text = strip_control_chars(str(value or "")[:limit], multiline=True)
        words.extend(tokenize(text))
    return list(dict.fromkeys(words))[:QUERY_TOKENS_MAX]


def similar_scope(user: User, firm_id: Any = None) -> Optional[list[int]]:
    """The parks to search: [the chosen firm's park], [the user's park], None for every park, or []."""
    if firm_id not in (None, ""):
        # 1..MAX_ID: a larger number would overflow PostgreSQL's INTEGER in the query.
        firm = arg_id({"firm": str(firm_id)}, "firm")
        if firm is None:
            return []
        park = db.session.scalar(
            visible_enterprises(user).where(Enterprise.id == firm).with_only_columns(Enterprise.park_id)
        )
        return [park] if park is not None else []
    if is_park_limited(user):
        return [user.park_id] if user.park_id is not None else []
    return None if is_city_wide(user) else []


def similar_problems(
    user: User, title: Any, description: Any = None, firm_id: Any = None, limit: int = LIMIT
) -> list[SimilarProblem]:
    """Up to `limit` past problems like the typed one, in the user's scope, solved ones first."""
    if not can(user, "problem.similar"):
        return []
    tokens = query_tokens(title, description)
    parks = similar_scope(user, firm_id)
    if not tokens or parks == []:
        return []
    ranked = rank(tokens, parks)
    return _cards(user, ranked, limit)


def rank(tokens: Sequence[str], parks: Optional[Sequence[int]]) -> list[tuple[int, float]]:
    """(problem id, score) of the best CANDIDATES across the parks' indexes (None: every park)."""
    hits = [hit for index in INDEXES.indexes(parks) for hit in index.top(tokens, CANDIDATES, SCORE_FLOOR)]
    hits.sort(key=lambda h: (-h[1], h[0]))
    return hits[:CANDIDATES]


def _cards(user: User, ranked: list[tuple[int, float]], limit: int) -> list[SimilarProblem]:
    if not ranked:
        return []
    scores = dict(ranked)
    problems = db.session.scalars(
        select(Problem)
        .where(Problem.id.in_(scores))
        .options(
            selectinload(Problem.enterprise).selectinload(Enterprise.active_assignment),
            selectinload(Problem.department),
        )
    ).all()
    cases = {
        c.problem_id: c
        for c in db.session.scalars(
            select(TypicalCase).where(TypicalCase.problem_id.in_(scores), TypicalCase.status == "published")
        )
    }
    # Solved first, then by similarity (the index is a moment old: statuses are read now).
    problems = sorted(problems, key=lambda p: (not is_solved(p), -scores[p.id], p.id))[:limit]
    return [_card(user, p, scores[p.id], cases.get(p.id)) for p in problems]


def _card(user: User, p: Problem, score: float, case: Optional[TypicalCase]) -> SimilarProblem:
    viewable = can(user, "problem.view", p)
    return SimilarProblem(
        id=p.id,
        title=p.title,
        status=p.status,
        status_label=p.status_label,
        solved=is_solved(p),
        category_label=p.category_label,
        department=p.department.name if p.department else None,
        on_spot=p.on_spot,
        resolution=_cut(p.resolution),
        answer=p.resolution,
        score=round(score, 2),
        viewable=viewable,
        firm_name=p.enterprise.name if viewable else None,
        case_title=case.title if case else None,
        case_summary=_cut(case.summary) if case else None,
    )


def _cut(text: Optional[str], limit: int = SUMMARY_MAX) -> Optional[str]:
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- 现场解答 counts, for the 典型案例 pages and the monthly workbook ---


def _answered_events():
    """solve_on_spot events that quoted an earlier problem (data.answered_from set)."""
    source = ProblemEvent.data["answered_from"].as_integer()
    return source, (ProblemEvent.action == "solve_on_spot") & source.is_not(None)


def count_answered_from(park_id: Optional[int], start: date, end: date) -> int:
    """How many problems were answered on the spot from an earlier one (现场解答) between start and end
    (inclusive, the day of the answer), in a park (None: every park). Events never change, so a month's
    figure stays what it was even if the firm later rated the answer 不满意."""
    _, answered = _answered_events()
    stmt = select(func.count(ProblemEvent.id)).where(
        answered, ProblemEvent.happened_on >= start, ProblemEvent.happened_on <= end
    )
    if park_id is not None:
        stmt = (
            stmt.join(Problem, Problem.id == ProblemEvent.problem_id)
            .join(Enterprise, Enterprise.id == Problem.enterprise_id)
            .where(Enterprise.park_id == park_id)
        )
    return int(db.session.scalar(stmt) or 0)


def answered_from_counts(problem_ids: Iterable[int]) -> dict[int, int]:
    """{problem id: times its answer was given on the spot for another problem} (已引用 N 次); ids never
    quoted are absent."""
    ids = sorted({int(i) for i in problem_ids})
    if not ids:
        return {}
    source, answered = _answered_events()
    rows = db.session.execute(
        select(source, func.count(ProblemEvent.id)).where(answered, source.in_(ids)).group_by(source)
    )
    return {int(pid): int(n) for pid, n in rows}
