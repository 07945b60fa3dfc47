"""Enterprise import, checking: every row of a parsed file against the registry, without changing anything."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crm.models import Enterprise, Park, User
from crm.services.common.creditcode import credit_code_error, fold_key
from crm.services.common.validators import CONTROL_CHARS
from crm.services.enterprises.registry import (
    FIELD_LABELS,
    name_clash_error,
    validate_enterprise_data,
)
from crm.services.imports.cells import control_chars, new_firm_problems, read_cells, size_reading
from crm.services.imports.parse import (
    COLUMNS,
    ParsedFile,
    cell_text,
    to_credit_code,
)
from crm.services.imports.profile_cells import plan_profile, read_profile, read_scale
from crm.services.imports.registry import Registry

PREVIEW_ROWS = 20
ACTION_LABELS = {
    "create": "新增",
    "update": "更新",
    "assign": "分配干部",
    "unchanged": "无变化",
    "error": "错误",
    "skip": "跳过",
}
HIDDEN_ROWS_LISTED = 10  # a notice names this many hidden rows, then says 等
# validate_enterprise_data reports by model field; these live in differently named columns.
FIELD_COLUMNS = {"park_id": "park", "chain_id": "chain"}


@dataclass
class RowError:
    """One problem in one cell (or the whole row when column is empty)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"第{self.row}行{self.short}"

    @property
    def short(self) -> str:
        """The message without the row number, for a cell beside the row."""
        label = COLUMNS.get(self.column)
        return f"【{label}】{self.message}" if label else f"：{self.message}"


@dataclass
class RowPlan:
    """What one spreadsheet row will do: create or update a firm and perhaps assign its cadre."""

    row: int
    name: str = ""
    credit_code: str = ""
    park: Park | None = None
    firm: Enterprise | None = None
    data: dict[str, Any] = field(default_factory=dict)  # create: every given field; update: changed ones
    cadre: User | None = None  # the cadre to assign; None leaves the liaison as it is
    cadre_text: str = ""
    errors: list[RowError] = field(default_factory=list)
    hidden: bool = False  # the row is hidden in the file (a filter, a collapsed group, 隐藏)
    skipped: bool = False  # a hidden row left out: not checked, not imported

    @property
    def action(self) -> str:
        if self.skipped:
            return "skip"
        if self.errors:
            return "error"
        if self.firm is None:
            return "create"
        if self.data:
            return "update"
        return "assign" if self.cadre else "unchanged"

    @property
    def action_label(self) -> str:
        return ACTION_LABELS[self.action]


@dataclass
class ImportResult:
    """The outcome of validating (and perhaps applying) one import file."""

    rows: list[RowPlan] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    applied: bool = False

    def _count(self, action: str) -> int:
        return sum(1 for plan in self.rows if plan.action == action)

    @property
    def planned(self) -> list[RowPlan]:
        """The rows to import: every row but the hidden ones left out."""
        return [plan for plan in self.rows if not plan.skipped]

    @property
    def hidden(self) -> int:
        return sum(1 for plan in self.rows if plan.hidden)

    @property
    def skipped(self) -> int:
        return self._count("skip")

    @property
    def created(self) -> int:
        return self._count("create")

    @property
    def updated(self) -> int:
        return self._count("update")

    @property
    def unchanged(self) -> int:
        return self._count("unchanged")

    @property
    def assigned(self) -> int:
        return sum(1 for plan in self.rows if plan.cadre is not None and not plan.errors)

    @property
    def row_errors(self) -> list[RowError]:
        return [error for plan in self.rows for error in plan.errors]

    @property
    def errors(self) -> list[str]:
        return self.file_errors + [str(error) for error in self.row_errors]

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + sum(len(plan.errors) for plan in self.rows)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def preview_rows(self) -> list[RowPlan]:
        """The first rows, then the hidden rows further down (each is shown, marked 隐藏行)."""
        later_hidden = [plan for plan in self.rows[PREVIEW_ROWS:] if plan.hidden]
        return self.rows[:PREVIEW_ROWS] + later_hidden[:PREVIEW_ROWS]

    def summary(self) -> str:
        text = (
            f"新增 {self.created} 家，更新 {self.updated} 家，分配干部 {self.assigned} 家，"
            f"无变化 {self.unchanged} 家"
        )
        return text + (f"，跳过隐藏行 {self.skipped} 行" if self.skipped else "")


def _same(old: Any, new: Any) -> bool:
    if old in (None, "") and new in (None, ""):
        return True
    return old == new  # Decimal('1.50') == Decimal('1.5'), so amounts compare by value


def _read_cells(values: dict[str, Any], add: Callable[[str, str], None], reg: Registry) -> dict[str, Any]:
    """The row's non-blank cells as cleaned model field values; conversion problems go to add()."""
    given = read_cells(reg.verdicts, values, add)
    read_scale(values, given, add, size_reading(reg.verdicts, values))
    return given


def _check_name(plan: RowPlan, name: str, reg: Registry, add: Callable[[str, str], None]) -> None:
    """The row's name may not fold to the name of a firm with another credit code, registered or
    earlier in the file."""
    key = fold_key(name)
    clash = next((f for f in reg.firms_by_name_key.get(key, ()) if f.credit_code != plan.credit_code), None)
    if clash is not None:
        add("name", name_clash_error(clash).removeprefix(FIELD_LABELS["name"]))
    elif key in reg.seen_names and reg.seen_names[key][1] != plan.credit_code:
        add("name", f"与第{reg.seen_names[key][0]}行的企业名称相同，请核对")
    else:
        reg.seen_names.setdefault(key, (plan.row, plan.credit_code))


def _resolve_park(plan: RowPlan, text: str, reg: Registry, add: Callable[[str, str], None]) -> None:
    """The row's park: the cell, else the existing firm's park, else the importer's only park."""
    if text:
        park = reg.find_park(text)
        if park is None:
            add("park", f"园区“{text}”不存在")
        elif park.id not in reg.allowed_ids:
            add("park", f"只能导入本园区（{'、'.join(p.name for p in reg.allowed)}）的企业")
        else:
            plan.park = park
    elif plan.firm is not None:
        plan.park = reg.parks_by_id[plan.firm.park_id]
    elif reg.default_park is not None:
        plan.park = reg.default_park
    else:
        add("park", "不能为空")


def _plan_row(row: int, values: dict[str, Any], reg: Registry, columns: dict[str, int]) -> RowPlan:
    plan = RowPlan(row=row)

    def add(column: str, message: str) -> None:
        if all(error.column != column for error in plan.errors):  # the first problem of a cell is enough
            plan.errors.append(RowError(row, column, message))

    for key in control_chars(reg.verdicts, values):  # what a cell holds as typed, before any normalising
        add(key, CONTROL_CHARS)
    given = _read_cells(values, add, reg)
    from_tags = read_profile(values, given, add, reg)
    code = plan.credit_code = given.get("credit_code", "")
    code_error = credit_code_error(code) if code else None
    if not code:
        add("credit_code", "不能为空")
    elif (msg := code_error) is not None:
        if isinstance(values["credit_code"], (int, float)):
            msg += "（该单元格被 Excel 存成了数字，请把这一列设为文本格式后重新填写）"
        add("credit_code", msg.removeprefix(FIELD_LABELS["credit_code"]))
    elif code in reg.seen_codes:
        add("credit_code", f"{code} 与第{reg.seen_codes[code]}行重复")
    else:
        reg.seen_codes[code] = row
        plan.firm = reg.firms.get(code)
    firm = plan.firm
    if firm is not None and firm.park_id not in reg.allowed_ids:
        add("credit_code", f"{code} 已登记在其他园区，无权通过导入修改")
    _resolve_park(plan, reg.verdicts.text("park", values.get("park")), reg, add)
    if plan.park is not None:
        given["park_id"] = plan.park.id
    chain_text = reg.verdicts.text("chain", values.get("chain"))
    if chain_text:
        chain = reg.find_chain(chain_text)
        if chain is None:
            add("chain", f"产业链“{chain_text}”不存在，可选：{'、'.join(c.name for c in reg.chains)}")
        else:
            given["chain_id"] = chain.id

    plan_profile(plan.firm, given, from_tags, reg, add)
    profile: dict[str, Any] = {key: given.pop(key) for key in ("qualifications", "tag_ids") if key in given}
    if firm is None:
        plan.data = given
        problems = new_firm_problems(reg.verdicts, given, code_error)
    else:
        plan.data = {k: v for k, v in given.items() if k != "credit_code" and not _same(getattr(firm, k), v)}
        merged = {f: getattr(firm, f) for f in FIELD_LABELS} | plan.data
        problems = validate_enterprise_data(merged, firm_id=firm.id, check_unique=False)
    plan.data |= profile
    for fld, message in problems.items():
        column = FIELD_COLUMNS.get(fld, fld)
        if fld == "scale_type" and "is_above" in columns:
            column = "is_above"
        elif fld == "scale_type" and "scale_type" not in columns:
            column = "size"
        add(column, message.removeprefix(FIELD_LABELS[fld]))
    if given.get("name") and code:
        _check_name(plan, given["name"], reg, add)
    plan.name = given.get("name") or (firm.name if firm else "")

    plan.cadre_text = reg.verdicts.text("cadre", values.get("cadre"))
    if plan.cadre_text:
        cadre, why = reg.find_cadre(plan.cadre_text, plan.park)
        if why:
            add("cadre", why)
        else:
            assert cadre is not None, "find_cadre() gives a cadre or the reason why not"
            if plan.park is not None and (firm is None or reg.current_cadre.get(firm.id) != cadre.id):
                plan.cadre = cadre
    plan.errors.sort(key=lambda e: columns.get(e.column, len(columns)))
    return plan


def _hidden_notice(rows: list[int], kept: bool) -> str:
    listed = "、".join(str(row) for row in rows[:HIDDEN_ROWS_LISTED])
    more = "等" if len(rows) > HIDDEN_ROWS_LISTED else ""
    what = "按您的选择一并导入" if kept else "默认跳过，不导入"
    return f"文件中有 {len(rows)} 行在 Excel 中被隐藏（第{listed}行{more}），{what}"


def plan_import(
    parsed: ParsedFile, actor: User, reg: Registry | None = None, keep_hidden: bool = False
) -> ImportResult:
    """Check every row of a parsed file against the registry; changes nothing.

    Rows hidden in the file are left out (shown, marked 跳过) unless keep_hidden.
    """
    result = ImportResult(file_errors=list(parsed.file_errors), notices=list(parsed.notices))
    hidden = [row for row, _ in parsed.records if row in parsed.hidden_rows]
    if hidden:
        result.notices.append(_hidden_notice(hidden, keep_hidden))
    if parsed.ignored:
        result.notices.insert(0, "以下列无法识别，已忽略：" + "、".join(parsed.ignored))
    reg = reg or Registry(actor)
    if not reg.allowed:
        result.file_errors.append("您的账号未关联园区，不能导入企业")
    missing = [COLUMNS[key] for key in ("name", "credit_code") if key not in parsed.columns]
    if "park" not in parsed.columns:
        if reg.default_park is None:
            missing.append(COLUMNS["park"])
        else:
            result.notices.append(f"文件中没有【所属园区】列，新增企业将归入{reg.default_park.name}")
    if missing and parsed.columns:
        result.file_errors.append("缺少必填列：" + "".join(f"【{label}】" for label in missing))
    if result.file_errors:
        return result
    skip = set() if keep_hidden else parsed.hidden_rows
    reg.tag_words_as_quals.clear()
    reg.prefetch([(row, values) for row, values in parsed.records if row not in skip])
    for row, values in parsed.records:
        if row in skip:
            plan = RowPlan(
                row=row,
                name=cell_text(values.get("name")),
                skipped=True,
                credit_code=to_credit_code(values.get("credit_code")),
                cadre_text=cell_text(values.get("cadre")),
            )
        else:
            plan = _plan_row(row, values, reg, parsed.columns)
        plan.hidden = row in parsed.hidden_rows
        result.rows.append(plan)
    if reg.tag_words_as_quals:
        words = "、".join(sorted(reg.tag_words_as_quals))
        result.notices.append(f"【标签】列中的“{words}”是资质，已按资质记录（不替换企业已有的资质）")
    return result
