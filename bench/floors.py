"""The write-only floors of the monthly workbook: the same cells written again by a writer alone.

Four floors, each from the workbook as read back (not timed):
- openpyxl write-only, values only (the plain floor the target is set against);
- openpyxl write-only with the workbook's styles, each style's index array shared (openpyxl's cheapest);
- xlsxwriter constant-memory, values only, and with the same styles as formats.
A floor leaves out what no writer of this workbook can skip either way (charts, merges, print setup).
"""

import time
from copy import copy
from datetime import date, datetime
from io import BytesIO
from typing import Any, Optional

Shapes = list[tuple[str, list[tuple]]]
StyledShapes = tuple[dict[tuple, tuple], list[tuple[str, list[list[tuple[Any, Optional[tuple]]]]]]]

# openpyxl's border styles as xlsxwriter's border indices.
BORDER_INDEX = {"thin": 1, "medium": 2, "dashed": 3, "dotted": 4, "thick": 5, "double": 6, "hair": 7}


def shapes(source) -> Shapes:
    """Every sheet's rows of values, as openpyxl reads them back (the cells the floor writes)."""
    from openpyxl import load_workbook

    book = load_workbook(source, read_only=True)
    out = [(ws.title, list(ws.iter_rows(values_only=True))) for ws in book.worksheets]
    book.close()
    return out


def write_floor(sheets: Shapes, target) -> tuple[float, int]:
    """The same cells, sheet by sheet, written by openpyxl write-only: (seconds, cells)."""
    from openpyxl import Workbook

    began = time.perf_counter()
    wb = Workbook(write_only=True)
    cells = 0
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(list(row))
            cells += len(row)
    wb.save(target)
    return time.perf_counter() - began, cells


def styled_shapes(source) -> StyledShapes:
    """Every sheet's cells as (value, style key), with each distinct style's number format, font, fill,
    alignment and border: what the workbook holds beyond its values (read back in full, not timed)."""
    from openpyxl import load_workbook

    book = load_workbook(source)
    styles: dict[tuple, tuple] = {}
    sheets = []
    for ws in book.worksheets:
        rows = []
        for row in ws.iter_rows():
            cells = []
            for cell in row:
                key = None
                if cell.has_style:
                    key = tuple(cell._style)
                    if key not in styles:
                        styles[key] = (
                            cell.number_format,
                            copy(cell.font),
                            copy(cell.fill),
                            copy(cell.alignment),
                            copy(cell.border),
                        )
                cells.append((cell.value, key))
            rows.append(cells)
        sheets.append((ws.title, rows))
    book.close()
    return styles, sheets


def write_styled_floor(shaped: StyledShapes, target) -> float:
    """The same cells with the same styles, written by openpyxl write-only as cheaply as it can: each
    style is set up once per workbook and its index array shared by every cell that has it."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    styles, sheets = shaped
    began = time.perf_counter()
    wb = Workbook(write_only=True)
    arrays: dict[tuple, Any] = {}
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            out: list[Any] = []
            for value, key in row:
                if key is None:
                    out.append(value)
                    continue
                cell = WriteOnlyCell(ws, value)
                array = arrays.get(key)
                if array is None:
                    fmt, font, fill, alignment, border = styles[key]
                    cell.number_format, cell.font, cell.fill = fmt, font, fill
                    cell.alignment, cell.border = alignment, border
                    arrays[key] = cell._style
                else:
                    cell._style = array
                out.append(cell)
            ws.append(out)
    wb.save(target)
    return time.perf_counter() - began


def format_properties(style: tuple) -> dict[str, Any]:
    """An openpyxl style (number format, font, fill, alignment, border) as xlsxwriter format properties."""
    number_format, font, fill, alignment, border = style
    props: dict[str, Any] = {"num_format": number_format}
    if font.b:
        props["bold"] = True
    if font.i:
        props["italic"] = True
    if font.sz:
        props["font_size"] = font.sz
    if font.color is not None and isinstance(font.color.rgb, str):
        props["font_color"] = "#" + font.color.rgb[-6:]
    if fill.fill_type == "solid" and isinstance(fill.fgColor.rgb, str):
        props["bg_color"] = "#" + fill.fgColor.rgb[-6:]
    if alignment.horizontal:
        props["align"] = alignment.horizontal
    if alignment.vertical:
        props["valign"] = {"center": "vcenter"}.get(alignment.vertical, alignment.vertical)
    if alignment.wrap_text:
        props["text_wrap"] = True
    for side in ("left", "right", "top", "bottom"):
        edge = getattr(border, side)
        if edge is not None and edge.style in BORDER_INDEX:
            props[side] = BORDER_INDEX[edge.style]
            if edge.color is not None and isinstance(edge.color.rgb, str):
                props[f"{side}_color"] = "#" + edge.color.rgb[-6:]
    return props


def write_xlsxwriter_floor(shaped: StyledShapes, with_styles: bool, target=None) -> float:
    """The same cells written by xlsxwriter constant-memory, with the workbook's styles as formats (each
    made once) or with values only (dates with one date format, as a date must have one)."""
    import xlsxwriter

    styles, sheets = shaped
    began = time.perf_counter()
    out = BytesIO() if target is None else target
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    on_day = book.add_format({"num_format": "yyyy-mm-dd"})
    formats: dict[tuple, Any] = {}
    for title, rows in sheets:
        ws = book.add_worksheet(title)
        write_string, write_number = ws.write_string, ws.write_number
        write_datetime, write_blank = ws.write_datetime, ws.write_blank
        for r, row in enumerate(rows):
            for c, (value, key) in enumerate(row):
                fmt = None
                if with_styles and key is not None:
                    fmt = formats.get(key)
                    if fmt is None:
                        fmt = formats[key] = book.add_format(format_properties(styles[key]))
                if value is None:
                    if fmt is not None:
                        write_blank(r, c, None, fmt)
                elif isinstance(value, str):
                    write_string(r, c, value, fmt)
                elif isinstance(value, (datetime, date)):
                    write_datetime(r, c, value, fmt or on_day)
                else:
                    write_number(r, c, value, fmt)
    book.close()
    return time.perf_counter() - began
