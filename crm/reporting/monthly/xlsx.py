"""Styling helpers of the monthly workbook: a table sheet with a styled header, number formats, 三色
fills, totals, print setup, and native Excel charts (written by crm.reporting.monthly.book).

A style is a set of xlsxwriter format properties (font, fill, alignment, border) plus a number format;
user text goes through crm.reporting.exports.xlsx.escape_cell so it never reads as a formula and never
carries a character an .xlsx cannot hold.
"""

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Optional

from openpyxl.utils import get_column_letter

from crm.reporting.exports.xlsx import TEXTS_KEPT, escape_cell
from crm.reporting.monthly.book import Book, Cell, Sheet

PCT = "0.0%"
INT = "#,##0"
WAN = "#,##0.00"
DATE = "yyyy-mm-dd"
DELTA_INT = "+#,##0;-#,##0;0"
DELTA_PCT = '+0.0"个百分点";-0.0"个百分点";0.0"个百分点"'
AVG = "0.0"  # an average (平均办结工作日)
DELTA_AVG = "+0.0;-0.0;0.0"

NAVY = "1F3864"
Style = dict[str, Any]  # xlsxwriter format properties


def _colour(rgb: str) -> str:
    """An RGB hex colour as xlsxwriter takes it: with a leading hash sign."""
    return "#" + rgb


def _fill(rgb: str) -> Style:
    return {"pattern": 1, "bg_color": _colour(rgb)}


HEADER_FILL = _fill("2F5597")
HEADER_FONT: Style = {"bold": True, "font_color": "#FFFFFF"}
SECTION_FILL = _fill("DDEBF7")
TOTAL_FILL = _fill("F2F2F2")
BOLD: Style = {"bold": True}
MUTED: Style = {"font_color": _colour("7F7F7F"), "font_size": 9}
TITLE_FONT: Style = {"bold": True, "font_size": 16, "font_color": _colour(NAVY)}
HEADER_BORDER: Style = {"bottom": 2, "bottom_color": _colour(NAVY)}  # medium
WRAP_CENTER: Style = {"align": "center", "valign": "vcenter", "text_wrap": True}
# 三色预警 fills (Excel's own "good / neutral / bad" palette) and the grey of closed problems.
COLOUR_STYLES = {
    "red": (_fill("FFC7CE"), {"font_color": _colour("9C0006"), "bold": True}),
    "yellow": (_fill("FFEB9C"), {"font_color": _colour("9C5700"), "bold": True}),
    "green": (_fill("C6EFCE"), {"font_color": _colour("006100")}),
    "grey": (_fill("EDEDED"), {"font_color": _colour("595959")}),
}
CHART_COLOURS = {"red": "E0474C", "yellow": "F2B134", "green": "4CAF50", "grey": "A6A6A6"}
SERIES_COLOURS = ["2F5597", "ED7D31", "70AD47", "FFC000", "5B9BD5", "A5A5A5"]
CM_PX = 96 / 2.54  # a chart's size is given in centimetres


# Values written as they are (escape_cell would return them unchanged).
PLAIN = frozenset({int, float, bool, date, datetime})


class Column:
    """A table column: header, width and number format."""

    def __init__(self, header: str, width: float = 12, fmt: Optional[str] = None):
        self.header, self.width, self.fmt = header, width, fmt


def style_of(ws: Sheet, fmt: Optional[str] = None, font=None, fill=None, align=None, border=None) -> Any:
    """The workbook's format for a number format and style parts (None: the default), made once per
    combination (the parts are the module's constants, so their ids name them)."""
    if fmt is None and font is None and fill is None and align is None and border is None:
        return None
    key = (fmt, id(font), id(fill), id(align), id(border))
    found = ws.book.formats.get(key)
    if found is None:
        properties: Style = {"num_format": fmt} if fmt else {}
        for part in (font, fill, align, border):
            properties.update(part or {})
        found = ws.book.format_of(key, properties)
    return found


def styled(ws: Sheet, value: Any, fmt: Optional[str] = None, font=None, fill=None, align=None, border=None):
    """A cell with the given style (text is escaped and kept as text)."""
    if type(value) not in PLAIN:
        value = escape_cell(value)
    return Cell(value, style_of(ws, fmt, font, fill, align, border))


def number_cell(ws: Sheet, value: float, fmt: str) -> Cell:
    """styled(ws, value, fmt) for an int or a float (nothing to escape)."""
    return Cell(value, style_of(ws, fmt))


class TableSheet:
    """A sheet holding one table: header on row 1 (frozen, filtered), rows, an optional total."""

    def __init__(self, wb: Book, title: str, columns: Sequence[Column], landscape: bool = True):
        self.ws = wb.create_sheet(title)
        self.columns = list(columns)
        self.formats = [style_of(self.ws, c.fmt) for c in self.columns]
        self.texts: dict[str, Any] = {}  # text as given: text as written
        self.rows = 0
        self.ws.widths([c.width for c in self.columns])
        self.ws.freeze("A2")
        self.ws.height(1, 32)  # two lines of a wrapped header
        self.ws.repeat_rows(1)
        self.ws.print_setup(landscape)
        self.ws.append(
            [
                styled(self.ws, c.header, font=HEADER_FONT, fill=HEADER_FILL, align=WRAP_CENTER)
                for c in self.columns
            ]
        )

    def append(self, values: Sequence[Any], fills: Optional[dict[int, tuple]] = None) -> None:
        """One data row; fills: {column index: (fill, font)} for highlighted cells.

        The sheets of a city run to tens of thousands of rows, so each value is written straight to the
        sheet with its column's format (a Decimal as a float), and a sheet's repeated texts are cleaned
        once; the result is what styled() would write."""
        formats = self.formats
        if len(values) != len(formats):
            raise ValueError(f"{len(values)} values for {len(formats)} columns")
        sheet, texts = self.ws, self.texts
        ws, row = sheet.ws, sheet.row
        for idx, value in enumerate(values):
            if value is None:
                continue
            style = fills.get(idx) if fills else None
            kind = type(value)
            if style is not None:
                sheet.write(
                    row, idx, styled(sheet, value, self.columns[idx].fmt, font=style[1], fill=style[0])
                )
            elif kind is str:
                if not value:
                    continue
                text = texts.get(value)
                if text is None:
                    text = escape_cell(value)
                    if len(texts) < TEXTS_KEPT:
                        texts[value] = text
                ws.write_string(row, idx, text, formats[idx])
            elif kind is int or kind is float:
                ws.write_number(row, idx, value, formats[idx])
            elif kind is Decimal:
                ws.write_number(row, idx, float(value), formats[idx])
            else:
                sheet.write(row, idx, styled(sheet, value, self.columns[idx].fmt))
        sheet.row = row + 1
        self.rows += 1

    def total(self, values: Sequence[Any]) -> None:
        """A bold 合计 row after the data (outside the filter range, so sorting leaves it last)."""
        self.ws.append(
            [
                styled(self.ws, v, c.fmt if v is not None else None, font=BOLD, fill=TOTAL_FILL)
                for c, v in zip(self.columns, values, strict=True)
            ]
        )

    def finish(self) -> None:
        """Set the auto-filter over the header and data rows."""
        self.ws.filter(f"A1:{get_column_letter(len(self.columns))}{self.rows + 1}")


def setup_print(ws: Sheet, landscape: bool = True) -> None:
    """A4, fit to one page wide, landscape for wide tables."""
    ws.print_setup(landscape)


def bar_chart(
    ws: Sheet,
    title: str,
    categories: tuple[int, int, int],
    series: Sequence[tuple[int, int, int]],
    horizontal: bool = False,
    percent: bool = False,
    colours: Optional[Sequence[str]] = None,
    size: tuple[float, float] = (16, 8),
) -> Any:
    """A native bar chart of ws; categories/series are (column, first row, last row), series with their
    header row first (the series' name); size in centimetres."""
    chart = ws.book.add_chart("bar" if horizontal else "column")
    chart.set_title({"name": title})
    chart.set_style(10)
    chart.set_size({"width": round(size[0] * CM_PX), "height": round(size[1] * CM_PX)})
    col, first, last = categories
    names = ws.reference(col, first, last)
    palette = colours or SERIES_COLOURS
    labels: dict[str, Any] = {"value": True, **({"num_format": "0%"} if percent else {})}
    for idx, (col, first, last) in enumerate(series):
        colour = _colour(palette[idx % len(palette)])
        chart.add_series(
            {
                "name": ws.reference(col, first, first),
                "categories": names,
                "values": ws.reference(col, first + 1, last),
                "fill": {"color": colour},
                "border": {"color": colour},
                "data_labels": labels,
            }
        )
    if len(series) == 1:
        chart.set_legend({"none": True})
    values_axis: dict[str, Any] = {"major_gridlines": {"visible": False}}
    if percent:
        values_axis |= {"num_format": "0%", "min": 0, "max": 1}
    # A bar chart's category axis is its vertical one: listed from the top, as in the table.
    categories_axis: dict[str, Any] = {"reverse": True} if horizontal else {}
    if horizontal:
        chart.set_x_axis(values_axis)
        chart.set_y_axis(categories_axis)
    else:
        chart.set_x_axis(categories_axis)
        chart.set_y_axis(values_axis)
    return chart


def pie_chart(ws: Sheet, title: str, labels: tuple[int, int, int], values: tuple[int, int, int], colours):
    """A native pie chart with one colour per slice (e.g. 红/黄/绿)."""
    chart = ws.book.add_chart("pie")
    chart.set_title({"name": title})
    chart.set_size({"width": round(12 * CM_PX), "height": round(8 * CM_PX)})
    col, first, last = values
    label_col, label_first, label_last = labels
    chart.add_series(
        {
            "name": ws.reference(col, first, first),
            "categories": ws.reference(label_col, label_first, label_last),
            "values": ws.reference(col, first + 1, last),
            "points": [{"fill": {"color": _colour(colour)}} for colour in colours],
            "data_labels": {"value": True},
        }
    )
    return chart
