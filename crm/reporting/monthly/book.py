"""The monthly workbook as an xlsxwriter workbook in constant-memory mode, behind a small sheet API.

Rows are written in order and leave memory as the next one starts (a city's report is 400,000 cells), and
a cell is a call, not an object. A style is a set of xlsxwriter format properties, made into a format
once per workbook. Text is written as text (never read as a formula); user text still goes through
crm.reporting.exports.xlsx.escape_cell, so Excel and other readers show it the way the list exports do.
"""

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any, NamedTuple, Optional

from xlsxwriter import Workbook  # type: ignore[import-untyped]  # it ships no type information
from xlsxwriter.utility import xl_cell_to_rowcol, xl_range_abs  # type: ignore[import-untyped]

from crm.reporting.exports.xlsx import stored_width

DAY_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm"
PAPER_A4 = 9


class Cell(NamedTuple):
    """A value with its format (None: the default)."""

    value: Any
    format: Any


class Book:
    """A workbook written to a BytesIO on close(); its sheets in the order they are added."""

    def __init__(self) -> None:
        self.out = BytesIO()
        self.xl = Workbook(self.out, {"constant_memory": True, "nan_inf_to_errors": True})
        self.title = ""
        self.formats: dict[Any, Any] = {}  # key: the workbook's format (see format_of)
        self.day = self.format_of((DAY_FORMAT,), {"num_format": DAY_FORMAT})
        self.time = self.format_of((TIME_FORMAT,), {"num_format": TIME_FORMAT})

    def format_of(self, key: Any, properties: dict[str, Any]) -> Any:
        """The workbook's format for key, made from properties the first time it is asked for."""
        found = self.formats.get(key)
        if found is None:
            found = self.formats[key] = self.xl.add_format(properties)
        return found

    def create_sheet(self, title: str) -> "Sheet":
        return Sheet(self, title)

    def add_chart(self, kind: str) -> Any:
        return self.xl.add_chart({"type": kind})

    def close(self) -> BytesIO:
        self.xl.set_properties({"title": self.title, "author": "联企通"})
        self.xl.close()
        self.out.seek(0)
        return self.out


class Sheet:
    """One worksheet, written row after row: append() writes the next row."""

    def __init__(self, book: Book, title: str):
        self.book, self.title = book, title
        self.ws = book.xl.add_worksheet(title)
        self.row = 0  # rows written so far (the next row's index, from 0)
        self._merges: dict[int, list[tuple[int, int, int]]] = {}  # first row: (first col, last row, col)
        self._heights: dict[int, float] = {}  # rows not written yet: their height
        self._last: list[Any] = []

    # ---- layout

    def width(self, column: int, width: float) -> None:
        """Column (from 1) width in characters, stored as given (xlsxwriter adds its own padding)."""
        self.ws.set_column(column - 1, column - 1, stored_width(width))

    def widths(self, widths: list[float]) -> None:
        for idx, width in enumerate(widths, start=1):
            self.width(idx, width)

    def height(self, row: int, height: float) -> None:
        """Row (from 1) height in points: before or right after the row is written (a row is set when
        it is written: setting a later one would close the rows before it)."""
        index = row - 1
        if index >= self.row:
            self._heights[index] = height
        elif index == self.row - 1:
            self.ws.set_row(index, height)
        else:
            raise ValueError(f"row {row} is already written")

    def freeze(self, cell: str) -> None:
        """Freeze the rows above and the columns left of cell ("A2": the first row)."""
        row, col = xl_cell_to_rowcol(cell)
        self.ws.freeze_panes(row, col)

    def merge(self, ref: str) -> None:
        """Merge a range of one row ("A1:E1"): before its row is written, or right after."""
        first, last = ref.split(":")
        (row, col), (last_row, last_col) = xl_cell_to_rowcol(first), xl_cell_to_rowcol(last)
        if row == self.row - 1:  # the row just written: write its first cell again, merged
            value = self._last[col] if col < len(self._last) else None
            self._write_merged(row, col, last_row, last_col, value)
        else:
            self._merges.setdefault(row, []).append((col, last_row, last_col))

    def filter(self, ref: str) -> None:
        self.ws.autofilter(ref)

    def repeat_rows(self, first: int, last: Optional[int] = None) -> None:
        """Rows (from 1) printed at the top of every page."""
        self.ws.repeat_rows(first - 1, (last or first) - 1)

    def print_setup(self, landscape: bool = True) -> None:
        """A4, fit to one page wide, landscape for wide tables."""
        self.ws.set_paper(PAPER_A4)
        if landscape:
            self.ws.set_landscape()
        else:
            self.ws.set_portrait()
        self.ws.fit_to_pages(1, 0)

    def add_chart(self, chart: Any, anchor: str) -> None:
        self.ws.insert_chart(anchor, chart)

    def reference(self, column: int, first: int, last: int) -> str:
        """The absolute range of one column (from 1), rows first to last (from 1), with the sheet name."""
        quoted = "'" + self.title.replace("'", "''") + "'"
        return f"={quoted}!{xl_range_abs(first - 1, column - 1, last - 1, column - 1)}"

    # ---- cells

    def append(self, values: list[Any]) -> None:
        """The next row: plain values (text as text, numbers, dates with the workbook's date format) and
        Cells."""
        row = self.row
        if self._heights:
            height = self._heights.pop(row, None)
            if height is not None:
                self.ws.set_row(row, height)
        merges = self._merges.pop(row, None)
        write = self.write
        for col, value in enumerate(values):
            if value is not None:
                write(row, col, value)
        if merges:
            for col, last_row, last_col in merges:
                self._write_merged(row, col, last_row, last_col, values[col] if col < len(values) else None)
        self._last = values
        self.row = row + 1

    def write(self, row: int, col: int, value: Any) -> None:
        """One cell (from 0) of the current row."""
        fmt = None
        if type(value) is Cell:
            value, fmt = value
            if value is None:
                if fmt is not None:
                    self.ws.write_blank(row, col, None, fmt)
                return
        kind = type(value)
        if kind is str:
            if value:
                self.ws.write_string(row, col, value, fmt)
            elif fmt is not None:  # an empty text is no value: the cell keeps only its style
                self.ws.write_blank(row, col, None, fmt)
        elif kind is int or kind is float:
            self.ws.write_number(row, col, value, fmt)
        elif kind is bool:
            self.ws.write_boolean(row, col, value, fmt)
        elif kind is datetime:
            self.ws.write_datetime(row, col, value, fmt or self.book.time)
        elif kind is date:
            self.ws.write_datetime(row, col, value, fmt or self.book.day)
        elif kind is Decimal:
            self.ws.write_number(row, col, float(value), fmt)
        else:
            self.ws.write_string(row, col, str(value), fmt)

    def _write_merged(self, row: int, col: int, last_row: int, last_col: int, value: Any) -> None:
        fmt = None
        if type(value) is Cell:
            value, fmt = value
        self.ws.merge_range(row, col, last_row, last_col, "", fmt)
        if value is not None:
            self.write(row, col, Cell(value, fmt))
