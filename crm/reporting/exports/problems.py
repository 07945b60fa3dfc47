"""Export of the problem list exactly as filtered on screen (all pages), with colour and working days."""

from collections.abc import Iterable, Iterator, Sequence
from io import BytesIO
from typing import Any, cast

from sqlalchemy import Select
from sqlalchemy.orm import aliased

from crm.extensions import db
from crm.models import Department, Enterprise, Park, Problem, User
from crm.reporting.exports.xlsx import write_table
from crm.services.problems.deadlines import COLOUR_LABELS
from crm.services.problems.queries import ProblemClock

HEADERS = [
    "编号",
    "企业名称",
    "所属园区",
    "问题标题",
    "问题描述",
    "问题类别",
    "紧急程度",
    "问题来源",
    "状态",
    "三色预警",
    "协调级别",
    "承办部门",
    "经办人",
    "反映人",
    "反映日期",
    "交办日期",
    "下一期限",
    "办结期限",
    "办结日期",
    "已用工作日",
    "逾期工作日",
    "重办次数",
    "延期次数",
    "企业评价",
    "销号日期",
]
WIDTHS = [7, 30, 14, 30, 40, 10, 9, 14, 9, 10, 12, 16, 10, 10, 12, 12, 20, 12, 12, 10, 10, 9, 9, 10, 12]


def _cells(p: Problem, names: tuple[str, str, str, str, str], clock: ProblemClock) -> list:
    """One row: the problem's fields, its firm, park, department, handler and raiser names, its clock."""
    firm, park, department, handler, raiser = names
    nearest = clock.next_deadline(p)
    return [
        p.id,
        firm,
        park,
        p.title,
        p.description,
        p.category_label,
        p.urgency_label,
        p.source_label,
        p.status_label,
        COLOUR_LABELS[clock.colour(p)],
        f"{p.level}级 {p.level_label}",
        department,
        handler,
        raiser,
        p.raised_on,
        p.dispatched_on,
        f"{nearest[0]} {nearest[1]:%Y-%m-%d}" if nearest else "",
        p.due_on,
        p.resolved_on,
        clock.used(p),
        clock.overdue(p) or None,
        p.redo_count,
        p.extension_count,
        p.evaluation_label,
        p.closed_on,
    ]


def _row(p: Problem, clock: ProblemClock) -> list:
    names = (
        p.enterprise.name,
        p.enterprise.park.name,
        p.department.name if p.department else "",
        p.handler.name if p.handler else "",
        p.raised_by.name if p.raised_by else "",
    )
    return _cells(p, names, clock)


def export_problems(problems: Iterable[Problem], clock: ProblemClock) -> BytesIO:
    """Write the given problems (already scoped, filtered and ordered) to an .xlsx workbook."""
    return write_table("问题清单", HEADERS, (_row(p, clock) for p in problems), WIDTHS)


class _Line:
    """A problem of the export query as plain attributes: every column of Problem (what the clock reads)
    and the names the row shows; the labels are Problem's own properties."""

    category_label = Problem.category_label
    status_label = Problem.status_label
    urgency_label = Problem.urgency_label
    source_label = Problem.source_label
    level_label = Problem.level_label
    evaluation_label = Problem.evaluation_label


def export_query(stmt: Select) -> Select:
    """The problem list's SELECT (problem_list_query: scope, filters, order) reduced to the problem's
    columns and the names a row shows, joined in, instead of ORM objects with eager-loaded relations."""
    handler, raiser = aliased(User), aliased(User)
    return (
        stmt.with_only_columns(
            *Problem.__table__.columns,
            Enterprise.name.label("x_firm"),
            Park.name.label("x_park"),
            Department.name.label("x_department"),
            handler.name.label("x_handler"),
            raiser.name.label("x_raiser"),
        )
        .join(Park, Park.id == Enterprise.park_id)
        .outerjoin(Department, Department.id == Problem.department_id)
        .outerjoin(handler, handler.id == Problem.handler_id)
        .outerjoin(raiser, raiser.id == Problem.raised_by_id)
    )


def _line_rows(rows: Iterable[Sequence[Any]], keys: Sequence[str], clock: ProblemClock) -> Iterator[list]:
    """The export's rows from the query's plain rows (values in the order of keys)."""
    for row in rows:
        line = _Line()
        values = line.__dict__ = dict(zip(keys, row, strict=True))
        names = (
            values["x_firm"],
            values["x_park"],
            values["x_department"] or "",
            values["x_handler"] or "",
            values["x_raiser"] or "",
        )
        yield _cells(cast(Problem, line), names, clock)  # read as a Problem: the same attributes


def export_problem_list(stmt: Select, clock: ProblemClock) -> BytesIO:
    """Write the problems of the list's SELECT (problem_list_query) to an .xlsx workbook, as export_problems
    does, streaming plain rows from the database in batches: 100,000 problems never sit in memory.

    The SELECT runs on the session's connection as a plain statement: its rows are tuples, without the
    ORM's result processing (a read, so there is nothing for the session to flush first).
    """
    result = db.session.connection().execute(export_query(stmt).execution_options(yield_per=1_000))
    rows = _line_rows(result, tuple(result.keys()), clock)
    return write_table("问题清单", HEADERS, rows, WIDTHS)
