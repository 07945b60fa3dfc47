"""Streaming .xlsx writer for list exports: Chinese headers, frozen header row, filters, widths."""

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
# What an .xlsx (XML 1.0) cannot hold: the C0 controls but tab, LF and CR (openpyxl refuses them), and
# the noncharacters U+FFFE/U+FFFF and lone surrogates (lxml refuses them while saving).
ILLEGAL_XML_RE = re.compile(f"{ILLEGAL_CHARACTERS_RE.pattern}|[\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: str) -> str:
    """text without the characters an .xlsx cannot hold. Input refuses them, but rows stored before that
    (or written round the services) may still carry some, and one would make the whole workbook fail."""
    return ILLEGAL_XML_RE.sub("", text)


def escape_cell(value: Any) -> Any:
    """User text loses what an .xlsx cannot hold; text Excel could read as a formula gets a leading
    apostrophe (OWASP CSV-injection advice)."""
    if isinstance(value, str):
        value = xml_safe(value)
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    if isinstance(value, Decimal):
        return float(value)
    return value


def _fill_sheet(
    ws, headers: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[int] | None
) -> None:
    for idx, width in enumerate(widths or [16] * len(headers), start=1):
        ws.column_dimensions[get_column_letter(idx)].width = width
    ws.freeze_panes = "A2"
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        header_cells.append(cell)
    ws.append(header_cells)
    count = 0
    for row in rows:
        cells = []
        for value in row:
            value = escape_cell(value)
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever it starts with
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        ws.append(cells)
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"


Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]], Sequence[int] | None]


def write_sheets(sheets: Iterable[Sheet]) -> BytesIO:
    """A workbook of several (title, headers, rows, widths) sheets in write-only mode, as BytesIO."""
    wb = Workbook(write_only=True)
    for title, headers, rows, widths in sheets:
        _fill_sheet(wb.create_sheet(title=title[:31]), headers, rows, widths)
    out = BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def write_table(
    title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[int] | None = None
) -> BytesIO:
    """One-sheet workbook in write-only mode (constant memory), returned as BytesIO."""
    return write_sheets([(title, headers, rows, widths)])
