"""Reading an enterprise import file (.xlsx/.csv): Chinese header aliases (one or two header rows),
hidden rows, cell conversion. The file itself is read within limits by crm.services.common.spreadsheets.
"""

import re
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from crm.models.enterprise import SCALE_TYPES, SIZES, STATUSES
from crm.services.common.creditcode import keep_text, normalize_credit_code, normalize_text
from crm.services.common.spreadsheets import (
    Sheet,
    SpreadsheetError,
    SpreadsheetLimits,
    read_csv_sheet,
    read_xlsx_sheets,
)

SUPPORTED_EXTENSIONS = ("xlsx", "csv")
ERROR_COLUMN = "错误信息"
# The template's example row starts with this; such rows are skipped, not imported.
EXAMPLE_PREFIX = "示例"

# Column key -> the canonical Chinese header (the template's header and the name used in messages).
COLUMNS: dict[str, str] = {
    "name": "企业名称",
    "credit_code": "统一社会信用代码",
    "park": "所属园区",
    "chain": "所属产业链",
    "size": "企业规模",
    "scale_type": "规模类型",
    "is_key": "是否重点企业",
    "legal_rep": "法定代表人",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "address": "地址",
    "cadre": "联系干部",
    "founded_on": "成立日期",
    "headcount": "从业人数",
    "output_last_year": "上年产值(万元)",
    "tax_last_year": "上年税收(万元)",
    "status": "经营状态",
    "qualifications": "资质",
    "tags": "标签",
    "note": "备注",
    # Not in the template: a yes/no alternative to 规模类型 that many park ledgers use.
    "is_above": "是否规上",
}
_EXTRA_ALIASES = {
    "name": ("名称", "企业", "企业全称"),
    "credit_code": ("信用代码", "社会信用代码"),
    "park": ("园区",),
    "chain": ("产业链",),
    "is_key": ("重点企业",),
    "legal_rep": ("法人", "法人代表"),
    "contact_phone": ("电话",),
    "cadre": ("联企干部",),
    "output_last_year": ("上年产值",),
    "tax_last_year": ("上年税收",),
    "qualifications": ("企业资质", "资质认定", "认定资质", "资质荣誉"),
    "tags": ("企业标签",),
}


def header_key(text: Any) -> str:
    """Comparable form of a header: half-width, no spaces, no required-field asterisks."""
    return normalize_text(text).replace(" ", "").strip("*")


ALIASES: dict[str, str] = {header_key(label): key for key, label in COLUMNS.items()}
ALIASES |= {header_key(alias): key for key, aliases in _EXTRA_ALIASES.items() for alias in aliases}

TEXT_LIMITS = {
    "name": 200,
    "legal_rep": 64,
    "contact_name": 64,
    "contact_phone": 64,
    "address": 300,
    "tags": 300,
    "qualifications": 300,
    "note": 2000,
}
TRUE_WORDS = {"是", "Y", "YES", "1", "√", "✓", "TRUE", "T", "重点", "规上"}
FALSE_WORDS = {"否", "N", "NO", "0", "×", "✗", "X", "FALSE", "F", "非重点", "规下"}
CHOICES: dict[str, dict[str, str]] = {
    # accepted cell text (upper-cased) -> stored code; the Chinese labels and the codes themselves
    "size": {v: k for k, v in SIZES.items()} | {k.upper(): k for k in SIZES},
    "scale_type": {v: k for k, v in SCALE_TYPES.items()}
    | {k.upper(): k for k in SCALE_TYPES}
    | {"规模以上": "above", "规模以下": "below"},
    "status": {v: k for k, v in STATUSES.items()} | {k.upper(): k for k in STATUSES} | {"存续": "active"},
}
HEADER_SEARCH_ROWS = 5


class ImportFileError(SpreadsheetError):
    """The file cannot be read at all: empty, corrupt, wrong type or encoding, or over a limit."""


@dataclass
class ParsedFile:
    """A sheet as read: every row (for the error workbook) and the data records keyed by column."""

    rows: list[list[Any]]
    header_index: int = 0
    header_rows: int = 1  # 2 when a group such as 联系方式 sits above its columns 联系人, 联系电话
    hidden_rows: set[int] = field(default_factory=set)  # Excel row numbers hidden in the file
    columns: dict[str, int] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    error_column: int | None = None  # index of an 错误信息 column from an earlier error report
    file_errors: list[str] = field(default_factory=list)
    # (row number as Excel shows it, {column key: raw cell value})
    records: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    @property
    def header(self) -> list[Any]:
        return self.rows[self.header_index] if self.rows else []

    @property
    def data_start(self) -> int:
        """Index in rows of the first row below the header."""
        return self.header_index + self.header_rows


def file_extension(filename: str) -> str:
    """Lower-case extension without the dot ('' when there is none)."""
    return Path(filename or "").suffix.lower().lstrip(".")


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_sheet(path: Path, ext: str, limits: SpreadsheetLimits) -> Sheet:
    """The sheet to import: a CSV's only one, else the first sheet with a header (else the first one)."""
    if ext == "csv":
        return read_csv_sheet(path, limits)
    first: Sheet | None = None
    with closing(read_xlsx_sheets(path, limits)) as sheets:  # later sheets are then never read
        for sheet in sheets:
            if _find_header(sheet.rows) is not None:
                return sheet
            if first is None or (not first.rows and sheet.rows):
                first = sheet
    if first is None:
        raise ImportFileError("文件中没有工作表")
    return first


def _column_key(text: Any) -> str | None:
    key = header_key(text)
    if key in ALIASES:
        return ALIASES[key]
    # 从业人数(人), 联系电话(手机): try again without a trailing bracketed unit or hint.
    return ALIASES.get(re.sub(r"\(.*\)$", "", key))


def _find_header(rows: list[list[Any]]) -> int | None:
    """Index of the header row: the first of the top rows naming the firm and its credit code."""
    for idx, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        keys = {_column_key(cell) for cell in row}
        if {"name", "credit_code"} <= keys:
            return idx
    return None


def _is_group(top: list[Any], owner: int | None) -> bool:
    """Whether the header cell at owner is a label naming no field (联系方式), so it may group columns."""
    if owner is None or owner >= len(top) or _is_blank(top[owner]):
        return False
    return _column_key(top[owner]) is None and header_key(top[owner]) != ERROR_COLUMN


def _owners(top: list[Any], header_index: int, merges: list[tuple[int, int, int, int]], width: int) -> list:
    """For every column, the header cell above it: its own, the merged cell spanning it, else (merges
    are lost in a CSV) the nearest label to its left."""
    merged = {
        col: c1
        for r1, c1, r2, c2 in merges
        if r1 <= header_index <= r2 and c2 > c1
        for col in range(c1, min(c2 + 1, width))
    }
    owners: list[int | None] = []
    last = None
    for idx in range(width):
        if idx in merged:
            owners.append(merged[idx])
            last = None  # a merge says where its group ends
        elif idx < len(top) and not _is_blank(top[idx]):
            owners.append(idx)
            last = idx
        else:
            owners.append(last)
    return owners


def _header_cells(parsed: ParsedFile, merges: list[tuple[int, int, int, int]]) -> list[tuple[int, Any, str]]:
    """(column, header cell, its name in messages) of every labelled column.

    A second header row is used when every cell of the row below the header sits under a group label
    and one of them names a field: 联系方式 over 联系人 | 联系电话 reads as those two columns.
    """
    top, at = parsed.header, parsed.header_index
    plain = [(idx, cell, normalize_text(cell)) for idx, cell in enumerate(top) if not _is_blank(cell)]
    sub = parsed.rows[at + 1] if at + 1 < len(parsed.rows) else []
    owners = _owners(top, at, merges, max(len(top), len(sub)))
    below = {idx: cell for idx, cell in enumerate(sub) if not _is_blank(cell)}
    if not any(_column_key(cell) for cell in below.values()):
        return plain
    if not all(_is_group(top, owners[idx]) for idx in below):
        return plain  # a value under a field's own column: the row below is data
    parsed.header_rows = 2
    cells: list[tuple[int, Any, str]] = []
    found: dict[str, list[str]] = {}
    for idx, owner in enumerate(owners):
        if not _is_group(top, owner):
            if idx < len(top) and not _is_blank(top[idx]):
                cells.append((idx, top[idx], normalize_text(top[idx])))
        elif idx in below:
            group, label = normalize_text(top[owner]), normalize_text(below[idx])
            cells.append((idx, below[idx], f"{group}/{label}"))
            if _column_key(below[idx]) is not None:
                found.setdefault(group, []).append(label)
        elif owner == idx:  # a label with nothing below it keeps its own name (序号)
            cells.append((idx, top[idx], normalize_text(top[idx])))
    groups = "；".join(f"【{group}】下的 {'、'.join(labels)}" for group, labels in found.items())
    parsed.notices.append(f"表头占两行（第{at + 1}、{at + 2}行），已识别{groups}")
    return cells


def read_import_file(path: str | Path, limits: SpreadsheetLimits) -> ParsedFile:
    """Read an .xlsx/.csv import file into rows and records; ImportFileError if it cannot be read."""
    path = Path(path)
    ext = file_extension(path.name)
    if ext not in SUPPORTED_EXTENSIONS:
        raise ImportFileError("只支持 .xlsx 或 .csv 文件")
    if not path.exists() or path.stat().st_size == 0:
        raise ImportFileError("上传的文件是空的")
    try:
        sheet = _read_sheet(path, ext, limits)
    except ImportFileError:
        raise
    except SpreadsheetError as exc:
        raise ImportFileError(str(exc)) from exc
    rows = sheet.rows
    while rows and not rows[-1]:
        rows.pop()
    if not any(rows):
        raise ImportFileError("文件中没有任何内容")
    header_index = _find_header(rows)
    parsed = ParsedFile(rows=rows, header_index=header_index or 0, hidden_rows=sheet.hidden_rows)
    header = _header_cells(parsed, sheet.merges)
    names = {idx: name for idx, _, name in header}
    for idx, cell, name in header:
        key = _column_key(cell)
        if key is None:
            if header_key(cell) == ERROR_COLUMN:  # our own error report, fixed and uploaded again
                parsed.error_column = idx
            else:
                parsed.ignored.append(name)
        elif key in parsed.columns:
            parsed.file_errors.append(
                f"表头【{name}】与【{names[parsed.columns[key]]}】是同一列，请删除其中一列"
            )
        else:
            parsed.columns[key] = idx
    if "scale_type" in parsed.columns and "is_above" in parsed.columns:
        parsed.file_errors.append("表头【规模类型】与【是否规上】不能同时出现，请保留其中一列")
    if not parsed.columns:
        parsed.file_errors.append(
            "未找到可识别的表头：第1行应为列名，如 企业名称、统一社会信用代码，请使用导入模板"
        )
        return parsed
    for offset, row in enumerate(rows[parsed.data_start :], start=parsed.data_start + 1):
        if not row:
            continue
        values = {key: row[idx] if idx < len(row) else None for key, idx in parsed.columns.items()}
        if all(_is_blank(v) for v in values.values()):
            continue
        if cell_text(values.get("name")).startswith(EXAMPLE_PREFIX):
            parsed.notices.append(f"第{offset}行是模板中的示例，已跳过")
            continue
        parsed.records.append((offset, values))
    if not parsed.records and not parsed.file_errors:
        raise ImportFileError("文件中没有可导入的数据行（第1行应为表头，从第2行起每行填写一家企业）")
    if len(parsed.records) > limits.max_rows:
        raise ImportFileError(limits.too_many_rows())
    return parsed


# --- cell conversion: each returns the value or raises ValueError with a Chinese reason ---


def cell_text(value: Any) -> str:
    """A cell as normalised text; whole-number floats lose their '.0', dates become YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return normalize_text(value)


def cell_keep(value: Any) -> str:
    """A text cell as typed (full-width brackets and punctuation kept), whitespace collapsed, trimmed;
    numbers and dates read as in cell_text."""
    if isinstance(value, str):
        return keep_text(value)
    return cell_text(value)


def to_credit_code(value: Any) -> str:
    """Normalised credit code text."""
    return normalize_credit_code(cell_text(value))


def to_bool(value: Any) -> bool:
    """是/否, Y/N, 1/0, √/× and the like."""
    if isinstance(value, bool):
        return value
    text = cell_text(value).replace(" ", "").upper()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(f"“{cell_text(value)}”无法识别，请填写 是 或 否")


def to_choice(key: str, value: Any) -> str:
    """A choice column's stored code from its Chinese label (or the code itself)."""
    text = cell_text(value).replace(" ", "")
    code = CHOICES[key].get(text) or CHOICES[key].get(text.upper())
    if code is None:
        allowed = {"size": SIZES, "scale_type": SCALE_TYPES, "status": STATUSES}[key]
        raise ValueError(f"“{text}”不是有效取值，可选：{'/'.join(allowed.values())}")
    return code


_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def to_date(value: Any) -> date:
    """A date from an Excel date cell or text such as 2015-03-01, 2015/3/1, 2015年3月1日, 20150301."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value).replace(" ", "")
    match = _DATE_RE.match(text)
    if match is None and re.fullmatch(r"\d{8}", text):
        match = re.match(r"(\d{4})(\d{2})(\d{2})", text)
    try:
        if match is None:
            raise ValueError
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValueError(f"“{text}”不是有效日期，请按 2015-03-01 的格式填写") from None


def to_int(value: Any) -> int:
    """A whole number; thousands separators are accepted."""
    text = cell_text(value).replace(",", "").replace(" ", "")
    if not re.fullmatch(r"-?\d+", text):
        raise ValueError(f"“{cell_text(value)}”不是整数")
    return int(text)


def to_amount(value: Any) -> Decimal:
    """An amount in 万元, rounded to 2 decimals as stored."""
    text = cell_text(value).replace(",", "").replace(" ", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"“{cell_text(value)}”不是有效数字") from None
    if not amount.is_finite() or abs(amount) >= Decimal("1e12"):
        raise ValueError(f"“{cell_text(value)}”不是有效数字")
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
