"""Styling helpers of the monthly workbook: a write-only table sheet with a styled header, number
formats, 三色 fills, totals, print setup, and native Excel charts.

Only cells that need a style become WriteOnlyCells; plain values stream as they are (user text goes
through crm.reporting.exports.xlsx.escape_cell so it never becomes a formula and never carries a
character an .xlsx cannot hold).
"""

from collections.abc import Sequence
from copy import copy
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Optional

from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from crm.reporting.exports.xlsx import TEXTS_KEPT, escape_cell

PCT = "0.0%"
INT = "#,##0"
WAN = "#,##0.00"
DATE = "yyyy-mm-dd"
DELTA_INT = "+#,##0;-#,##0;0"
DELTA_PCT = '+0.0"个百分点";-0.0"个百分点";0.0"个百分点"'
AVG = "0.0"  # an average (平均办结工作日)
DELTA_AVG = "+0.0;-0.0;0.0"

NAVY = "1F3864"
HEADER_FILL = PatternFill("solid", fgColor="2F5597")
HEADER_FONT = Font(bold=True, color="FFFFFF")
SECTION_FILL = PatternFill("solid", fgColor="DDEBF7")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
BOLD = Font(bold=True)
MUTED = Font(color="7F7F7F", size=9)
TITLE_FONT = Font(bold=True, size=16, color=NAVY)
THIN = Side(style="thin", color="BFBFBF")
HEADER_BORDER = Border(bottom=Side(style="medium", color=NAVY))
WRAP_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
# 三色预警 fills (Excel's own "good / neutral / bad" palette) and the grey of closed problems.
COLOUR_STYLES = {
    "red": (PatternFill("solid", fgColor="FFC7CE"), Font(color="9C0006", bold=True)),
    "yellow": (PatternFill("solid", fgColor="FFEB9C"), Font(color="9C5700", bold=True)),
    "green": (PatternFill("solid", fgColor="C6EFCE"), Font(color="006100")),
    "grey": (PatternFill("solid", fgColor="EDEDED"), Font(color="595959")),
}
CHART_COLOURS = {"red": "E0474C", "yellow": "F2B134", "green": "4CAF50", "grey": "A6A6A6"}
SERIES_COLOURS = ["2F5597", "ED7D31", "70AD47", "FFC000", "5B9BD5", "A5A5A5"]


# Values written as they are (escape_cell would return them unchanged).
PLAIN = frozenset({int, float, bool, date, datetime})


class Column:
    """A table column: header, width and number format."""

    def __init__(self, header: str, width: float = 12, fmt: Optional[str] = None):
        self.header, self.width, self.fmt = header, width, fmt


def styled(ws, value: Any, fmt: Optional[str] = None, font=None, fill=None, align=None, border=None):
    """A WriteOnlyCell with the given style (text is escaped and kept as text).

    Assigning Font/Fill objects hashes them on every cell; the style's index array is computed once per
    combination and per workbook, then shared by every cell with that style, which keeps a 20,000-row
    sheet fast. The array is shared, so a cell from here must not be restyled: ask for another one. An
    unstyled cell has no array (copy(None)), so openpyxl may reuse it for its row's next plain value.
    """
    if type(value) not in PLAIN:
        value = escape_cell(value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    key = (fmt, id(font), id(fill), id(align), id(border))
    cache = ws.parent.__dict__.setdefault("_crm_style_cache", {})
    style = cache.get(key)
    if style is None:
        if fmt:
            cell.number_format = fmt
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        if align is not None:
            cell.alignment = align
        if border is not None:
            cell.border = border
        # _style (the cell's StyleArray) is a slot the openpyxl stubs do not declare.
        cache[key] = copy(cell._style)  # type: ignore[attr-defined]
    else:
        cell._style = style  # type: ignore[attr-defined]
    return cell


def number_cell(ws, value: float, fmt: str, arrays: dict[str, Any]):
    """styled(ws, value, fmt) for an int or a float, with the format's style array set up once (arrays:
    number format → array, one dict per sheet) and shared."""
    array = arrays.get(fmt)
    if array is None:
        arrays[fmt] = array = styled(ws, 0, fmt)._style
    cell = WriteOnlyCell(ws, value=value)
    cell._style = array  # type: ignore[attr-defined]
    return cell


class TableSheet:
    """A write-only sheet holding one table: header on row 1 (frozen, filtered), rows, an optional total."""

    def __init__(self, wb, title: str, columns: Sequence[Column], landscape: bool = True):
        self.ws = wb.create_sheet(title=title)
        self.columns = list(columns)
        self.formats = [c.fmt for c in self.columns]
        self.texts: dict[str, Any] = {}  # text as given: text as written
        self.number_styles: dict[str, Any] = {}  # number format: the style array its numbers share
        self.rows = 0
        for idx, col in enumerate(self.columns, start=1):
            self.ws.column_dimensions[get_column_letter(idx)].width = col.width
        self.ws.freeze_panes = "A2"
        self.ws.row_dimensions[1].height = 32  # two lines of a wrapped header
        self.ws.print_title_rows = "1:1"
        setup_print(self.ws, landscape)
        self.ws.append(
            [
                styled(self.ws, c.header, font=HEADER_FONT, fill=HEADER_FILL, align=WRAP_CENTER)
                for c in self.columns
            ]
        )

    def append(self, values: Sequence[Any], fills: Optional[dict[int, tuple]] = None) -> None:
        """One data row; fills: {column index: (fill, font)} for highlighted cells.

        The sheets of a city run to tens of thousands of rows, so the commonest cells take short cuts
        with the same result as styled() and escape_cell(): a number (a Decimal as a float) in a
        formatted column shares its format's style, and a sheet's repeated texts are cleaned once."""
        formats = self.formats
        if len(values) != len(formats):
            raise ValueError(f"{len(values)} values for {len(formats)} columns")
        ws, texts, numbers, out = self.ws, self.texts, self.number_styles, []
        for idx, value in enumerate(values):
            fmt = formats[idx]
            style = fills.get(idx) if fills else None
            kind = type(value)
            if style is not None:
                out.append(styled(ws, value, fmt, font=style[1], fill=style[0]))
            elif value is None:
                out.append(None)
            elif fmt and (kind is int or kind is float):
                out.append(number_cell(ws, value, fmt, numbers))
            elif fmt and kind is Decimal:  # written as a float, as escape_cell would
                out.append(number_cell(ws, float(value), fmt, numbers))
            elif fmt and not isinstance(value, date):
                out.append(styled(ws, value, fmt))
            elif kind is str:
                text = texts.get(value)
                if text is None:
                    text = escape_cell(value)
                    if len(texts) < TEXTS_KEPT:
                        texts[value] = text
                out.append(text)
            elif kind in PLAIN:
                out.append(value)
            else:
                out.append(escape_cell(value))
        ws.append(out)
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
        last = get_column_letter(len(self.columns))
        self.ws.auto_filter.ref = f"A1:{last}{self.rows + 1}"


def setup_print(ws, landscape: bool = True) -> None:
    """A4, fit to one page wide, landscape for wide tables."""
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def value_labels() -> DataLabelList:
    """Data labels showing the value only (LibreOffice reads unset flags as "show")."""
    return DataLabelList(
        showVal=True,
        showCatName=False,
        showSerName=False,
        showLegendKey=False,
        showPercent=False,
        showLeaderLines=False,
    )


def bar_chart(
    ws,
    title: str,
    categories: tuple[int, int, int],
    series: Sequence[tuple[int, int, int]],
    horizontal: bool = False,
    percent: bool = False,
    colours: Optional[Sequence[str]] = None,
    size: tuple[int, float] = (16, 8),
) -> BarChart:
    """A native bar chart of ws; categories/series are (column, first row, last row), series with their
    header row first (titles_from_data)."""
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.title = title
    chart.style = 10
    chart.width, chart.height = size
    chart.legend = None if len(series) == 1 else chart.legend
    for col, first, last in series:
        chart.add_data(Reference(ws, min_col=col, min_row=first, max_row=last), titles_from_data=True)
    col, first, last = categories
    chart.set_categories(Reference(ws, min_col=col, min_row=first, max_row=last))
    for idx, s in enumerate(chart.series):
        colour = (colours or SERIES_COLOURS)[idx % len(colours or SERIES_COLOURS)]
        s.graphicalProperties.solidFill = colour
        s.graphicalProperties.line.solidFill = colour
    chart.dataLabels = value_labels()
    if percent:
        chart.y_axis.number_format = "0%"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1
        chart.dataLabels.numFmt = "0%"
    if horizontal:
        chart.x_axis.scaling.orientation = "maxMin"  # first row on top, as in the table
    chart.y_axis.majorGridlines = None
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    return chart


def pie_chart(ws, title: str, labels: tuple[int, int, int], values: tuple[int, int, int], colours):
    """A native pie chart with one colour per slice (e.g. 红/黄/绿)."""
    from openpyxl.chart.marker import DataPoint

    chart = PieChart()
    chart.title = title
    chart.width, chart.height = 12, 8
    col, first, last = values
    chart.add_data(Reference(ws, min_col=col, min_row=first, max_row=last), titles_from_data=True)
    col, first, last = labels
    chart.set_categories(Reference(ws, min_col=col, min_row=first, max_row=last))
    series = chart.series[0]
    for idx, colour in enumerate(colours):
        point = DataPoint(idx=idx)
        point.graphicalProperties.solidFill = colour
        series.dPt.append(point)
    chart.dataLabels = value_labels()
    return chart
