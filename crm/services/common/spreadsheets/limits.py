"""What a spreadsheet may hold, how a refusal is raised, and how a sheet looks once read."""

from dataclasses import dataclass, field
from typing import Any

from crm.services import ServiceError

MB = 1024 * 1024
HEADER_ROWS_ALLOWED = 10  # title and header rows above the data do not count against max_rows
UNREADABLE = "无法读取该文件，请确认是有效的 .xlsx 文件（旧版 .xls 请在 Excel 中另存为 .xlsx）"
CORRUPT = "文件内容已损坏，无法读取，请在 Excel 中打开后重新保存"
SPLIT_HINT = "请拆分成多个文件后分别导入"


class SpreadsheetError(ServiceError):
    """The file is refused before or while it is read; the message is Chinese and names the place."""


@dataclass(frozen=True)
class SpreadsheetLimits:
    """What one spreadsheet may hold. Each import builds its own from the app's configuration."""

    max_rows: int = 200_000  # data rows (title and header rows come on top)
    max_columns: int = 100
    max_cell_chars: int = 2_000
    max_file_bytes: int = 50 * MB
    max_unpacked_bytes: int = 100 * MB  # all parts of an .xlsx together, as the zip declares them
    max_member_bytes: int = 64 * MB  # one part
    max_members: int = 1_000
    max_ratio: int = 100  # unpacked : packed, for parts bigger than ratio_floor_bytes
    ratio_floor_bytes: int = 1 * MB
    max_cells: int = 3_000_000  # the rectangle a reader allocates: (last row) x (last column)
    max_text_chars: int = 20_000_000  # all cell text, a shared string counted at every cell using it
    max_sheets: int = 100
    rows_hint: str = SPLIT_HINT  # what to do with a file over max_rows

    @property
    def cell_budget(self) -> int:
        """Cells a sheet may span: max_rows of max_columns (and some header rows), at most max_cells."""
        return min(self.max_cells, (self.max_rows + HEADER_ROWS_ALLOWED) * self.max_columns)

    @property
    def max_shared_strings(self) -> int:
        """Entries of the shared-string table, which the reader loads whole whatever sheet is read."""
        return min(self.max_cells, 4 * self.cell_budget)

    @property
    def element_budget(self) -> int:
        """XML elements one part may hold: a cell takes a few (c, v or is/r/t), the rest is overhead."""
        return 12 * self.cell_budget + 100_000

    def too_many_rows(self) -> str:
        return f"表格数据超过单次导入上限 {self.max_rows} 行，{self.rows_hint}"


@dataclass
class Sheet:
    """One sheet as read: rows[i] is Excel row i + 1 (trailing empty cells trimmed, empty cells None)."""

    name: str
    rows: list[list[Any]]
    hidden_rows: set[int] = field(default_factory=set)  # Excel row numbers hidden in the file
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # 0-based r1, c1, r2, c2


def column_letter(index: int) -> str:
    """Excel's name of a 0-based column index: 0 -> A, 27 -> AB."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_name(row: int, col: int) -> str:
    """第5行 C列, from 0-based indexes: how messages name a cell."""
    return f"第{row + 1}行 {column_letter(col)}列"


def size_text(size: int) -> str:
    """A byte count as people read it: 12MB, 300KB."""
    return f"{size / MB:.0f}MB" if size >= MB else f"{max(size // 1024, 1)}KB"


def too_long(where: str, chars: int, limits: SpreadsheetLimits) -> SpreadsheetError:
    return SpreadsheetError(
        f"{where}的内容有 {chars} 字，超过单元格 {limits.max_cell_chars} 字的上限，请精简后重新上传"
    )


def too_wide(where: str, limits: SpreadsheetLimits) -> SpreadsheetError:
    return SpreadsheetError(f"{where}有内容，超过 {limits.max_columns} 列的上限，请删除多余的列后重新上传")
