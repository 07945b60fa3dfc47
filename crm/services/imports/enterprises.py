"""Enterprise import: preview, all-or-nothing apply, and what the error report and template show.

The import page (preview and commit) and `flask crm import-enterprises` call the same import_enterprises().
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app

from crm.extensions import db
from crm.models import IndustryChain, Park, User
from crm.permissions import can
from crm.services import ServiceError
from crm.services.assignments.operations import assign_enterprise
from crm.services.enterprises.registry import create_enterprise, update_enterprise
from crm.services.imports.parse import ParsedFile, read_import_file
from crm.services.imports.validate import ImportResult, Registry, plan_import

IMPORT_REASON = "批量导入"
# A firm of the file was saved by someone else while the import ran (StaleDataError at the boundary).
STALE_IMPORT = "导入期间有企业档案被其他人修改，本次导入未做任何修改，请重新导入"


def _max_rows() -> int:
    return int(current_app.config.get("IMPORT_MAX_ROWS", 200_000))


def _apply(result: ImportResult, actor: User, today: date) -> None:
    """Write every planned row through the registry services (they validate, flush and audit)."""
    for plan in result.rows:
        try:
            firm = plan.firm
            if firm is None:
                firm = create_enterprise(plan.data, actor, check_unique=False)
            elif plan.data:
                update_enterprise(firm, plan.data, actor, check_unique=False)
            if plan.cadre is not None:
                assign_enterprise(firm, plan.cadre, actor, today, IMPORT_REASON)
        except ServiceError as exc:
            raise ServiceError(f"第{plan.row}行：{exc}，本次导入未做任何修改") from exc


def import_enterprises(path: str | Path, actor: User, today: date, dry_run: bool = False) -> ImportResult:
    """Validate an enterprise file and, unless dry_run or any error, apply every row (caller commits)."""
    if not can(actor, "enterprise.import"):
        raise ServiceError("没有导入企业的权限")
    # Holding the registry keeps parks and chains in the session's (weak) identity map, so the
    # per-row validation inside create_enterprise finds them without a query.
    reg = Registry(actor)
    result = plan_import(read_import_file(path, _max_rows()), actor, reg)
    if result.ok and not dry_run:
        _apply(result, actor, today)
        db.session.flush()
        result.applied = True
    return result


@dataclass
class ImportErrors:
    """What the error workbook shows: the parsed sheet, a message per bad row, the bad cells."""

    parsed: ParsedFile
    messages: dict[int, str]
    bad_cells: dict[int, set[int]]
    errors: list[str]


def import_errors(path: str | Path, actor: User) -> ImportErrors:
    """Check the uploaded sheet again and collect every row's errors (crm.reporting writes the workbook)."""
    if not can(actor, "enterprise.import"):
        raise ServiceError("没有导入企业的权限")
    parsed = read_import_file(path, _max_rows())
    result = plan_import(parsed, actor)
    messages = defaultdict(list)
    bad_cells = defaultdict(set)
    for error in result.row_errors:
        messages[error.row].append(str(error))
        if error.column in parsed.columns:
            bad_cells[error.row].add(parsed.columns[error.column])
    return ImportErrors(
        parsed, {row: "；".join(msgs) for row, msgs in messages.items()}, dict(bad_cells), result.errors
    )


def template_choices(actor: User) -> tuple[list[Park], list[IndustryChain]]:
    """The parks and industry chains the actor may import into (the template's drop-downs)."""
    reg = Registry(actor)
    return list(reg.allowed), list(reg.chains)
