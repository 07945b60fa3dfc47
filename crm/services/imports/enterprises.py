"""Enterprise import: preview, all-or-nothing apply, and what the error report and template show.

The import page (preview and commit) and `flask crm import-enterprises` call the same import_enterprises().
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app

from crm.extensions import db
from crm.models import Assignment, Enterprise, IndustryChain, Park, User
from crm.permissions import can
from crm.services import ServiceError
from crm.services.assignments.operations import assign_enterprise, start_first_assignment
from crm.services.common.spreadsheets import SpreadsheetLimits
from crm.services.enterprises.registry import update_enterprise
from crm.services.imports.bulk import RowRefused, insert_new_firms, roomy_cache, write_first_liaisons
from crm.services.imports.parse import ParsedFile, read_import_file
from crm.services.imports.registry import Registry
from crm.services.imports.validate import ImportResult, RowPlan, plan_import

IMPORT_REASON = "批量导入"
# A firm of the file was saved by someone else while the import ran (StaleDataError at the boundary).
STALE_IMPORT = "导入期间有企业档案被其他人修改，本次导入未做任何修改，请重新导入"
CLI_HINT = "请拆分成多个文件后分别导入"
WEB_HINT = (
    "网页导入需在几秒内完成，请拆分成多个文件；更大的文件请系统管理员在服务器上运行 "
    "flask crm import-enterprises 文件名 导入"
)


def import_limits(web: bool = False) -> SpreadsheetLimits:
    """The caps on an import file; the page's row cap keeps every request within a few seconds."""
    config = current_app.config
    web_rows, cli_rows = config.get("IMPORT_WEB_MAX_ROWS", 1_000), config.get("IMPORT_MAX_ROWS", 200_000)
    return SpreadsheetLimits(
        max_rows=int(web_rows if web else cli_rows),
        max_columns=int(config.get("IMPORT_MAX_COLUMNS", 100)),
        max_cell_chars=int(config.get("IMPORT_MAX_CELL_CHARS", 2_000)),
        max_file_bytes=int(config.get("SPREADSHEET_MAX_FILE_BYTES", 50 * 1024 * 1024)),
        max_unpacked_bytes=int(config.get("SPREADSHEET_MAX_UNPACKED_BYTES", 100 * 1024 * 1024)),
        max_member_bytes=int(config.get("SPREADSHEET_MAX_MEMBER_BYTES", 64 * 1024 * 1024)),
        max_members=int(config.get("SPREADSHEET_MAX_MEMBERS", 1_000)),
        max_ratio=int(config.get("SPREADSHEET_MAX_RATIO", 100)),
        max_cells=int(config.get("SPREADSHEET_MAX_CELLS", 3_000_000)),
        rows_hint=WEB_HINT if web else CLI_HINT,
    )


def _refused(plan: RowPlan, exc: ServiceError) -> ServiceError:
    return ServiceError(f"第{plan.row}行：{exc}，本次导入未做任何修改")


def _apply(result: ImportResult, actor: User, today: date) -> None:
    """Write every planned row (caller commits; a refused row leaves the caller to roll back).

    Firms already on file go one by one through the registry and assignment services (each update is
    compared and audited field by field). New firms, usually nearly all of a park's first 台账, were
    checked by plan_import already: they are written together by insert_new_firms with their 画像 and
    audit rows, a few bulk INSERTs instead of an ORM object and a second check per row; then each gets
    its first liaison from the assignment service, written and audited in bulk too.
    """
    created: list[RowPlan] = []
    for plan in result.planned:
        try:
            if plan.firm is None:
                created.append(plan)
                continue
            if plan.data:
                update_enterprise(plan.firm, plan.data, actor, check_unique=False)
            if plan.cadre is not None:
                assign_enterprise(plan.firm, plan.cadre, actor, today, IMPORT_REASON)
        except ServiceError as exc:
            raise _refused(plan, exc) from exc
    if not created:
        return
    try:
        firm_ids = insert_new_firms(created, actor)
    except RowRefused as exc:
        raise _refused(exc.plan, exc) from exc
    liaisons: list[tuple[Assignment, User]] = []
    for plan, firm_id in zip(created, firm_ids, strict=True):
        if plan.cadre is None:
            continue
        assert plan.park is not None, "plan_import gives every valid row its park"
        # The new firm as far as the assignment service reads it: its id and park (not loaded again).
        firm = Enterprise(id=firm_id, park_id=plan.park.id)
        try:
            liaisons.append(
                (start_first_assignment(firm, plan.cadre, actor, today, IMPORT_REASON), plan.cadre)
            )
        except ServiceError as exc:
            raise _refused(plan, exc) from exc
    write_first_liaisons(actor, liaisons)


def import_enterprises(
    path: str | Path,
    actor: User,
    today: date,
    dry_run: bool = False,
    keep_hidden: bool = False,
    web: bool = False,
) -> ImportResult:
    """Validate an enterprise file and, unless dry_run or any error, apply every row (caller commits).

    Rows hidden in the file are left out unless keep_hidden; web applies the import page's row cap.
    """
    if not can(actor, "enterprise.import"):
        raise ServiceError("没有导入企业的权限")
    # Holding the registry keeps parks and chains in the session's (weak) identity map, so the
    # per-row validation inside create_enterprise finds them without a query.
    reg = Registry(actor)
    result = plan_import(read_import_file(path, import_limits(web)), actor, reg, keep_hidden)
    if result.ok and not dry_run:
        with roomy_cache():
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


def import_errors(
    path: str | Path, actor: User, keep_hidden: bool = False, web: bool = False
) -> ImportErrors:
    """Check the uploaded sheet again and collect every row's errors (crm.reporting writes the workbook)."""
    if not can(actor, "enterprise.import"):
        raise ServiceError("没有导入企业的权限")
    parsed = read_import_file(path, import_limits(web))
    result = plan_import(parsed, actor, keep_hidden=keep_hidden)
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
    """The parks and industry chains the actor may import into (the template's drop-downs); retired ones
    are left out (a row naming one is refused unless its firm already has it)."""
    reg = Registry(actor)
    return [p for p in reg.allowed if p.is_active], [c for c in reg.chains if c.is_active]
