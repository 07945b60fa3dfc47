"""Reading an enterprise import file (.xlsx/.csv): decoding, Chinese header aliases, cell conversion."""
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from crm.models.enterprise import SCALE_TYPES, SIZES, STATUSES
from crm.services import ServiceError
from crm.services.common.creditcode import normalize_credit_code, normalize_text

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
}


def header_key(text: Any) -> str:
    """Comparable form of a header: half-width, no spaces, no required-field asterisks."""
    return normalize_text(text).replace(" ", "").strip("*")


ALIASES: dict[str, str] = {header_key(label): key for key, label in COLUMNS.items()}
ALIASES |= {header_key(alias): key for key, aliases in _EXTRA_ALIASES.items() for alias in aliases}

TEXT_LIMITS = {"name": 200, "legal_rep": 64, "contact_name": 64, "contact_phone": 64, "address": 300,
               "tags": 300, "note": 2000}
TRUE_WORDS = {"是", "Y", "YES", "1", "√", "✓", "TRUE", "T", "重点", "规上"}
FALSE_WORDS = {"否", "N", "NO", "0", "×", "✗", "X", "FALSE", "F", "非重点", "规下"}
CHOICES: dict[str, dict[str, str]] = {
    # accepted cell text (upper-cased) -> stored code; the Chinese labels and the codes themselves
    "size": {v: k for k, v in SIZES.items()} | {k.upper(): k for k in SIZES},
    "scale_type": {v: k for k, v in SCALE_TYPES.items()} | {k.upper(): k for k in SCALE_TYPES}
    | {"规模以上": "above", "规模以下": "below"},
    "status": {v: k for k, v in STATUSES.items()} | {k.upper(): k for k in STATUSES} | {"存续": "active"},
}
# Rows we stop after when a sheet carries thousands of formatted but empty rows below the data.
BLANK_RUN_LIMIT = 5000
HEADER_SEARCH_ROWS = 5


class ImportFileError(ServiceError):
    """The file cannot be read at all: empty, corrupt, wrong type or encoding."""


@dataclass
class ParsedFile:
    """A sheet as read: every row (for the error workbook) and the data records keyed by column."""

    rows: list[list[Any]]
    header_index: int = 0
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


def file_extension(filename: str) -> str:
    """Lower-case extension without the dot ('' when there is none)."""
    return Path(filename or "").suffix.lower().lstrip(".")


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _trim(row: list[Any]) -> list[Any]:
    end = len(row)
    while end and _is_blank(row[end - 1]):
        end -= 1
    return row[:end]


def _read_rows_xlsx(path: Path, max_rows: int) -> list[list[Any]]:
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, key errors) for a broken file
        raise ImportFileError(
            "无法读取该文件，请确认是有效的 .xlsx 文件（旧版 .xls 请在 Excel 中另存为 .xlsx）"
        ) from exc
    try:
        sheets = wb.worksheets
        if not sheets:
            raise ImportFileError("文件中没有工作表")
        best: list[list[Any]] = []
        for ws in sheets:
            rows = _collect(([*r] for r in ws.iter_rows(values_only=True)), max_rows)
            if _find_header(rows) is not None:
                return rows
            best = best or rows
        return best
    except ImportFileError:
        raise
    except Exception as exc:  # a damaged sheet part surfaces only while iterating
        raise ImportFileError("文件内容已损坏，无法读取，请在 Excel 中打开后重新保存") from exc
    finally:
        wb.close()


def _decode_csv(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GBK 编码")


def _read_rows_csv(path: Path, max_rows: int) -> list[list[Any]]:
    text = _decode_csv(path.read_bytes())
    try:
        return _collect((list(r) for r in csv.reader(io.StringIO(text, newline=""))), max_rows)
    except csv.Error as exc:
        raise ImportFileError("CSV 文件格式有误，无法读取，请用 Excel 重新保存为 CSV") from exc


def _collect(rows, max_rows: int) -> list[list[Any]]:
    """Keep rows as read (blank rows too, so numbering matches Excel); stop a little past max_rows."""
    out: list[list[Any]] = []
    blank_run = data_rows = 0
    for row in rows:
        row = _trim(row)
        if not row:
            blank_run += 1
            if blank_run > BLANK_RUN_LIMIT:
                break
        else:
            blank_run = 0
            data_rows += 1
        out.append(row)
        if data_rows > max_rows + HEADER_SEARCH_ROWS:
            break
    while out and not out[-1]:
        out.pop()
    return out


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


def read_import_file(path: str | Path, max_rows: int) -> ParsedFile:
    """Read an .xlsx/.csv import file into rows and records; ImportFileError if it cannot be read."""
    path = Path(path)
    ext = file_extension(path.name)
    if ext not in SUPPORTED_EXTENSIONS:
        raise ImportFileError("只支持 .xlsx 或 .csv 文件")
    if not path.exists() or path.stat().st_size == 0:
        raise ImportFileError("上传的文件是空的")
    rows = _read_rows_xlsx(path, max_rows) if ext == "xlsx" else _read_rows_csv(path, max_rows)
    if not any(rows):
        raise ImportFileError("文件中没有任何内容")
    header_index = _find_header(rows)
    parsed = ParsedFile(rows=rows, header_index=header_index or 0)
    for idx, cell in enumerate(parsed.header):
        if _is_blank(cell):
            continue
        key = _column_key(cell)
        if key is None:
            if header_key(cell) == ERROR_COLUMN:  # our own error report, fixed and uploaded again
                parsed.error_column = idx
            else:
                parsed.ignored.append(normalize_text(cell))
        elif key in parsed.columns:
            first = normalize_text(parsed.header[parsed.columns[key]])
            parsed.file_errors.append(f"表头【{normalize_text(cell)}】与【{first}】是同一列，请删除其中一列")
        else:
            parsed.columns[key] = idx
    if "scale_type" in parsed.columns and "is_above" in parsed.columns:
        parsed.file_errors.append("表头【规模类型】与【是否规上】不能同时出现，请保留其中一列")
    if not parsed.columns:
        parsed.file_errors.append(
            "未找到可识别的表头：第1行应为列名，如 企业名称、统一社会信用代码，请使用导入模板"
        )
        return parsed
    for offset, row in enumerate(rows[parsed.header_index + 1:], start=parsed.header_index + 2):
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
    if len(parsed.records) > max_rows:
        parsed.file_errors.append(f"文件数据超过单次导入上限 {max_rows} 行，请拆分成多个文件后分别导入")
        parsed.records = parsed.records[:max_rows]
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

