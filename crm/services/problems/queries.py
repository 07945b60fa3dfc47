"""Read side of problems: the filtered, scoped list shared by the list page, its export and the
dashboards' links (their URLs are a stable contract), and the per-request clock that colours rows.
"""

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, Optional

from sqlalchemy import Select, case, exists, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from crm.extensions import db
from crm.models import Assignment, Department, Enterprise, IndustryChain, Park, Problem, User
from crm.models.org import offered
from crm.models.problem import (
    CLOCK_STATUSES,
    LEVELS,
    OPEN_STATUSES,
    PROBLEM_CATEGORIES,
    PROBLEM_STATUSES,
    unmet_deadlines,
)
from crm.permissions import (
    enterprise_scope_clause,
    is_park_limited,
    visible_departments,
    visible_parks,
    visible_problems,
)
from crm.services.common.args import arg_choice, arg_date, arg_flag, arg_id, arg_int, arg_text
from crm.services.common.firm_search import firm_ids_named
from crm.services.problems.deadlines import (
    CHECKPOINT_LABELS,
    COLOUR_CSS,
    COLOUR_LABELS,
    checkpoint_near,
    colour_clause,
    colour_expression,
    next_deadline,
    overdue_workdays,
    problem_colour,
    workdays_used,
)
from crm.services.problems.rules import ProblemRules, RuleBook
from crm.services.users.queries import cadre_choices
from crm.services.workdays.calendar import WorkCalendar, get_calendar, provisional_note

COLOURS_ORDER = ("red", "yellow", "green", "grey")
SORTS = {"urgent": "最紧急优先", "-raised": "最新反映", "raised": "最早反映"}
DATE_ARGS = ("raised_from", "raised_to", "closed_from", "closed_to", "resolved_from", "resolved_to")


@dataclass
class ProblemFilters:
    status: str = ""
    colour: str = ""
    department: Optional[int] = None
    category: str = ""
    park: Optional[int] = None
    chain: Optional[int] = None
    level: Optional[int] = None
    cadre: Optional[int] = None  # the firm's current liaison cadre
    firm: Optional[int] = None  # enterprise id
    q: str = ""
    raised_from: Optional[date] = None
    raised_to: Optional[date] = None
    closed_from: Optional[date] = None
    closed_to: Optional[date] = None
    resolved_from: Optional[date] = None  # 办结日期 (热点分析's links to the problems resolved in a month)
    resolved_to: Optional[date] = None
    open: bool = False  # not closed
    extension: bool = False  # an extension request awaits a decision
    sort: str = "urgent"

    @classmethod
    def from_args(cls, args) -> "ProblemFilters":
        """Parse query-string arguments; junk values are ignored rather than failing the page."""
        level = arg_int(args, "level", min(LEVELS), max(LEVELS))
        return cls(
            status=arg_choice(args, "status", PROBLEM_STATUSES),
            colour=arg_choice(args, "colour", COLOURS_ORDER),
            department=arg_id(args, "department"),
            category=arg_choice(args, "category", PROBLEM_CATEGORIES),
            park=arg_id(args, "park"),
            chain=arg_id(args, "chain"),
            level=level if level in LEVELS else None,
            cadre=arg_id(args, "cadre"),
            firm=arg_id(args, "firm"),
            q=arg_text(args, "q"),
            open=arg_flag(args, "open"),
            extension=arg_flag(args, "extension"),
            sort=arg_choice(args, "sort", SORTS, "urgent"),
            **{name: arg_date(args, name) for name in DATE_ARGS},
        )

    def as_args(self, **drop: bool) -> dict:
        """The non-default filters as query-string arguments (links such as export); drop=True removes."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if drop.get(f.name) or value in (None, "", False) or (f.name == "sort" and value == "urgent"):
                continue
            out[f.name] = "1" if value is True else value.isoformat() if isinstance(value, date) else value
        return out

    @property
    def active(self) -> bool:
        return bool(self.as_args(sort=True))


@dataclass
class ProblemClock:
    """Today's deadline arithmetic for pages: colour, next deadline, overdue and used working days.

    Colours need no rules (every deadline and warning date was stored under the problem's own
    version); the windows a step form shows (延期) come from that version too: rules_of().
    """

    today: date
    cal: WorkCalendar
    book: RuleBook

    def rules_of(self, p: Problem) -> ProblemRules:
        """The rules the problem was dispatched under (the current ones before its dispatch)."""
        return self.book.of(p)

    def rules_version(self, p: Problem) -> Optional[int]:
        """The 第N版 of those rules (None before its dispatch)."""
        return self.book.number_of(p)

    def colour(self, p: Problem) -> str:
        return problem_colour(p, self.today)

    def colour_css(self, p: Problem) -> str:
        return COLOUR_CSS[self.colour(p)]

    def colour_label(self, p: Problem) -> str:
        return COLOUR_LABELS[self.colour(p)]

    def next_deadline(self, p: Problem) -> Optional[tuple[str, date]]:
        """(Chinese checkpoint label, date) of the nearest unmet deadline, or None."""
        nearest = next_deadline(p)
        return (CHECKPOINT_LABELS[nearest[0]], nearest[1]) if nearest else None

    def overdue(self, p: Problem) -> int:
        return overdue_workdays(p, self.today, self.cal)

    def used(self, p: Problem) -> Optional[int]:
        return workdays_used(p, self.today, self.cal)

    def checkpoints(self, p: Problem) -> list[dict]:
        """The 137 checkpoints and the final limit with their due and met dates and a state label."""
        rows = []
        for key, due, met in (
            ("sign", p.sign_due_on, p.accepted_on),
            ("feedback", p.feedback_due_on, p.first_feedback_on),
            ("progress", p.progress_due_on, p.progress_on),
            ("due", p.due_on, p.resolved_on),
        ):
            if due is None:
                continue
            if met is not None:
                state, css = ("按时完成", "success") if met <= due else ("超期完成", "warning")
            elif p.status not in CLOCK_STATUSES:
                state, css = "未完成", "secondary"
            elif due < self.today:
                state, css = f"已超期{max(self.cal.workdays_between(due, self.today), 0)}个工作日", "danger"
            elif checkpoint_near(p, key, due, self.today):
                state, css = "即将到期", "warning"
            else:
                state, css = "未到期", "light"
            rows.append({"label": CHECKPOINT_LABELS[key], "due": due, "met": met, "state": state, "css": css})
        return rows

    def provisional_note(self, *groups: Iterable[Problem]) -> Optional[str]:
        """The caveat for these problems' unmet deadlines in provisional years (调休 not entered), or None.

        Reads only the loaded rows and the request's calendar: no query.
        """
        days = (due for group in groups for p in group for _, due in unmet_deadlines(p))
        return provisional_note(self.cal.provisional_years(days))


def problem_clock(today: date) -> ProblemClock:
    """The clock for one request or job: the working-day calendar and the rule versions (one query)."""
    return ProblemClock(today, get_calendar(), RuleBook.load())


def next_deadline_expression():
    """SQL: the nearest unmet deadline of a problem on the clock (NULL otherwise), for sorting.

    It is the derived column Problem.next_due_on (kept on every write by the model's hook).
    """
    return Problem.next_due_on


def urgency_order(today: date) -> tuple:
    """ORDER BY: red, yellow, green, grey; then the nearest deadline; then the oldest first."""
    rank = case({colour: i for i, colour in enumerate(COLOURS_ORDER)}, value=colour_expression(today))
    nearest = next_deadline_expression()
    return (rank, nearest.is_(None), nearest, Problem.raised_on, Problem.id)


def with_list_options(stmt: Select) -> Select:
    """Eager-load what a problem row shows: firm (and park), department, handler, raiser."""
    return stmt.options(
        contains_eager(Problem.enterprise).joinedload(Enterprise.park),
        joinedload(Problem.department),
        joinedload(Problem.handler),
        joinedload(Problem.raised_by),
    )


def _text_clause(q: str, user: Optional[User] = None):
    like = {"autoescape": True}
    # A department's problems come from any park; everyone else searches the firms of their own scope.
    within = enterprise_scope_clause(user) if user is not None and user.role != "handler" else None
    return or_(
        Problem.title.icontains(q, **like),
        Problem.description.icontains(q, **like),
        # The firm by name, folded name or pinyin, each firm matched once (not once per problem).
        Problem.enterprise_id.in_(firm_ids_named(q, within)),
    )


def filter_problems(
    stmt: Select, flt: ProblemFilters, today: date, colour: bool = True, user: Optional[User] = None
) -> Select:
    """Apply the filters to a SELECT of problems joined with their firm (colour=False skips colour);
    user, whose scope stmt already has, narrows the firms a text search scans."""
    simple = {
        Problem.status: flt.status,
        Problem.department_id: flt.department,
        Problem.category: flt.category,
        Enterprise.park_id: flt.park,
        Enterprise.chain_id: flt.chain,
        Problem.level: flt.level,
        Problem.enterprise_id: flt.firm,
    }
    for column, value in simple.items():
        if value not in (None, ""):
            stmt = stmt.where(column == value)
    if colour and flt.colour:
        stmt = stmt.where(colour_clause(flt.colour, today))
    if flt.cadre:
        stmt = stmt.where(
            exists().where(
                Assignment.enterprise_id == Problem.enterprise_id,
                Assignment.cadre_id == flt.cadre,
                Assignment.end_on.is_(None),
            )
        )
    if flt.q:
        stmt = stmt.where(_text_clause(flt.q, user))
    for day_column, low, high in (
        (Problem.raised_on, flt.raised_from, flt.raised_to),
        (Problem.closed_on, flt.closed_from, flt.closed_to),
        (Problem.resolved_on, flt.resolved_from, flt.resolved_to),
    ):
        if low:
            stmt = stmt.where(day_column >= low)
        if high:
            stmt = stmt.where(day_column <= high)
    if flt.open:
        stmt = stmt.where(Problem.status.in_(OPEN_STATUSES))
    if flt.extension:
        stmt = stmt.where(Problem.extension_days.is_not(None))
    return stmt


def problem_list_query(user: User, flt: ProblemFilters, today: date) -> Select:
    """Scoped, filtered problems in the chosen order with what a row shows eager-loaded."""
    stmt = with_list_options(filter_problems(visible_problems(user), flt, today, user=user))
    if flt.sort == "-raised":
        return stmt.order_by(Problem.raised_on.desc(), Problem.id.desc())
    if flt.sort == "raised":
        return stmt.order_by(Problem.raised_on, Problem.id)
    return stmt.order_by(*urgency_order(today))


def colour_counts(user: User, flt: ProblemFilters, today: date) -> dict[str, int]:
    """{colour: count} of the problems matching the filters other than colour (one GROUP BY)."""
    colour = colour_expression(today).label("colour")
    base = filter_problems(visible_problems(user), flt, today, colour=False, user=user)
    # Closed problems (most of them, in time) are grey by definition: compute the colour of the open
    # ones only, and count the closed ones as the rest of the total.
    stmt = (
        base.where(Problem.status.in_(OPEN_STATUSES))
        .with_only_columns(colour, func.count(Problem.id))
        .group_by(colour)
    )
    counts = dict.fromkeys(COLOURS_ORDER, 0)
    counts.update({c: n for c, n in db.session.execute(stmt)})
    total = db.session.scalar(base.with_only_columns(func.count(Problem.id))) or 0
    counts["grey"] = total - sum(n for c, n in counts.items() if c != "grey")
    return counts


def dispatch_departments(park_ids: set[int]) -> list[Department]:
    """Active departments serving any of these parks (city-level ones serve all), by name."""
    return list(
        db.session.scalars(
            select(Department)
            .where(Department.is_active.is_(True))
            .where(or_(Department.park_id.is_(None), Department.park_id.in_(park_ids or {0})))
            .order_by(Department.park_id.is_not(None), Department.name, Department.id)
        )
    )


def department_handlers(departments: list[Department]) -> dict[int, list[User]]:
    """{department id: active handlers} for the dispatch form's handler choice (one query)."""
    out: dict[int, list[User]] = {d.id: [] for d in departments}
    if not out:
        return out
    rows = db.session.scalars(
        select(User)
        .where(User.role == "handler", User.is_active_user.is_(True), User.department_id.in_(out))
        .order_by(User.is_dept_head.desc(), User.name, User.id)
    )
    for user in rows:
        assert user.department_id is not None, "selected by department"
        out[user.department_id].append(user)
    return out


def filter_choices(user: User, flt: Optional[ProblemFilters] = None) -> dict:
    """Options of the list's filter selects, limited to what the user's scope can hold; retired parks,
    departments and chains only when the filters already name them."""
    flt = flt or ProblemFilters()
    parks: list[Park] = []
    if not is_park_limited(user):
        parks = list(db.session.scalars(visible_parks(user).where(offered(Park, [flt.park]))))
    departments: list[Department] = []
    if user.role != "handler":
        departments = list(
            db.session.scalars(visible_departments(user).where(offered(Department, [flt.department])))
        )
    cadres: list[Any] = []
    if user.role not in ("cadre", "handler"):
        cadres = cadre_choices(user)
    chains = list(
        db.session.scalars(
            select(IndustryChain)
            .where(offered(IndustryChain, [flt.chain]))
            .order_by(IndustryChain.sort_order, IndustryChain.id)
        )
    )
    return {"parks": parks, "departments": departments, "cadres": cadres, "chains": chains}
