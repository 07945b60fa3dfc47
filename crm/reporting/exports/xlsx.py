"""Streaming .xlsx writer for list exports: Chinese headers, frozen header row, filters, widths.

Written with xlsxwriter in constant-memory mode: each row goes to the file as it comes, and a cell is a
call, not an object (openpyxl's write-only mode builds a cell object per value and is about twice as
slow on a 100,000-row export).
"""

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import PatternFill
from xlsxwriter import Workbook  # type: ignore[import-untyped]  # it ships no type information

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")  # for the openpyxl workbooks (the import's)
HEADER_FORMAT = {"bold": True, "bg_color": "#DDEBF7", "pattern": 1, "align": "center"}
WIDTH_PADDING = 5 / 7
TEXTS_KEPT = 50_000  # distinct texts whose written form a sheet keeps
# What an .xlsx (XML 1.0) cannot hold: the C0 controls but tab, LF and CR (openpyxl refuses them), and
# the noncharacters U+FFFE/U+FFFF and lone surrogates (lxml refuses them while saving).
ILLEGAL_XML_RE = re.compile(f"{ILLEGAL_CHARACTERS_RE.pattern}|[\ufffe\uffff\ud800-\udfff]")


def stored_width(width: float) -> float:
    """What to give xlsxwriter's set_column for a column to be stored width characters wide (it pads
    what it is given by 5 px of a 7 px digit)."""
    return width - WIDTH_PADDING if width > 1 + WIDTH_PADDING else width


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


def _write_sheet(
    book: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], widths
) -> None:
    ws = book.add_worksheet(title[:31])
    for idx, width in enumerate(widths or [16] * len(headers)):
        # The stored width as before (xlsxwriter pads what it is given by 5 px of a 7 px digit).
        ws.set_column(idx, idx, stored_width(width))
    ws.freeze_panes(1, 0)
    header = book.add_format(HEADER_FORMAT)
    for col, label in enumerate(headers):
        if isinstance(label, str):
            ws.write_string(0, col, label, header)
        else:
            ws.write(0, col, label, header)
    on_day, at_time = (
        book.add_format({"num_format": "yyyy-mm-dd"}),
        book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
    )
    write_string, write_number, write_datetime = ws.write_string, ws.write_number, ws.write_datetime
    count = 0
    # Texts as written, by text: a list repeats most of its texts (names, labels), each cleaned once.
    written: dict[str, str] = {}
    for count, row in enumerate(rows, start=1):  # count: the number of rows, afterwards
        for col, value in enumerate(row):
            kind = type(value)
            if kind is str:  # escape_cell's work (the commonest cell); never written as a formula
                text = written.get(value)
                if text is None:
                    text = _cell_text(value)
                    if len(written) < TEXTS_KEPT:
                        written[value] = text
                if text:  # an empty text is an empty cell
                    write_string(count, col, text)
            elif kind is int or kind is float:
                write_number(count, col, value)
            elif kind is date:
                write_datetime(count, col, value, on_day)
            elif value is None:
                continue
            elif kind is datetime:
                write_datetime(count, col, value, at_time)
            else:
                _write_other(ws, count, col, escape_cell(value), on_day, at_time)
    ws.autofilter(0, 0, count, len(headers) - 1)


def _cell_text(value: str) -> str:
    """A text as written: escape_cell's result ("" for a text that is empty once cleaned)."""
    value = xml_safe(value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _write_other(ws: Any, row: int, col: int, value: Any, on_day: Any, at_time: Any) -> None:
    """A cell of a less common type: bool, Decimal (as float), a str or date subclass, numpy's numbers."""
    if isinstance(value, bool):
        ws.write_boolean(row, col, value)
    elif isinstance(value, str):
        if value:
            ws.write_string(row, col, str(value))
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value)
    elif isinstance(value, datetime):
        ws.write_datetime(row, col, value, at_time)
    elif isinstance(value, date):
        ws.write_datetime(row, col, value, on_day)
    else:
        ws.write(row, col, value)


Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]], Sequence[int] | None]


def write_sheets(sheets: Iterable[Sheet]) -> BytesIO:
    """A workbook of several (title, headers, rows, widths) sheets, each row written and dropped as it
    comes (constant memory), as BytesIO."""
    out = BytesIO()
    book = Workbook(out, {"constant_memory": True, "nan_inf_to_errors": True})
    for title, headers, rows, widths in sheets:
        _write_sheet(book, title, headers, rows, widths)
    book.close()
    out.seek(0)
    return out


def write_table(
    title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[int] | None = None
) -> BytesIO:
    """One-sheet workbook in write-only mode (constant memory), returned as BytesIO."""
    return write_sheets([(title, headers, rows, widths)])
