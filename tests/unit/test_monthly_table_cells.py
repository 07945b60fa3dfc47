"""The monthly workbook's table rows: the short cuts for numbers and repeated texts write exactly what
styled() and escape_cell() write, and cells sharing a style array never restyle one another."""

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from crm.reporting.exports.xlsx import escape_cell
from crm.reporting.monthly.xlsx import COLOUR_STYLES, INT, PCT, WAN, Column, TableSheet, styled

COLUMNS = [Column("名称", 20), Column("件数", 10, INT), Column("比率", 10, PCT), Column("金额", 12, WAN)]
COLUMNS += [Column("日期", 12), Column("备注", 20)]
ROWS = [
    ["甲公司", 1234, 0.456, Decimal("12.50"), date(2026, 10, 8), "=HYPERLINK(1)"],
    ["甲公司", 7, 1.0, 3.25, datetime(2026, 10, 9, 8, 30), "正常\x01文本"],
    ["乙公司", None, None, None, None, None],
    ["+乙", True, 0, Decimal("0"), date(2026, 10, 31), "-1"],
    ["甲公司", "未填", "—", "文本", "2026-10-01", 12],
]


def _through_styled(ws, values):
    """The row as styled() and escape_cell() alone would write it (the rule the short cuts keep)."""
    return [
        styled(ws, v, c.fmt) if c.fmt and v is not None and not isinstance(v, date) else escape_cell(v)
        for c, v in zip(COLUMNS, values, strict=True)
    ]


def _cells(data: BytesIO, title: str):
    ws = load_workbook(BytesIO(data.getvalue()))[title]
    return [
        [(c.value, c.data_type, c.number_format, c.font.b, c.fill.fgColor.rgb) for c in row]
        for row in ws.iter_rows(min_row=2)
    ]


def test_table_rows_match_styled_cells():
    wb = Workbook(write_only=True)
    sheet = TableSheet(wb, "表", COLUMNS)
    for row in ROWS:
        sheet.append(row)
    plain = TableSheet(wb, "对照", COLUMNS)
    for row in ROWS:
        plain.ws.append(_through_styled(plain.ws, row))
    out = BytesIO()
    wb.save(out)
    got, want = _cells(out, "表"), _cells(out, "对照")
    assert got == want
    assert got[0][0][0] == "甲公司" and got[0][5][0] == "'=HYPERLINK(1)"
    assert got[1][5][0] == "正常文本"  # the control character is gone
    assert got[0][1][2] == INT and got[0][2][2] == PCT and got[1][3][2] == WAN
    assert got[4][1][:2] == ("未填", "s")  # text in a number column stays text


def test_shared_styles_stay_apart():
    """A fill on one cell leaves the other cells of its format plain, in every row."""
    wb = Workbook(write_only=True)
    sheet = TableSheet(wb, "表", COLUMNS)
    red = COLOUR_STYLES["red"]
    sheet.append(["甲", 5000, 0.5, 1.0, None, None], fills={1: red})
    sheet.append(["乙", 6000, 0.25, 2.0, None, None])
    sheet.append(["丙", 7000, 0.75, 3.0, None, None], fills={2: red})
    out = BytesIO()
    wb.save(out)
    cells = _cells(out, "表")
    fills = [[c[4] for c in row[1:3]] for row in cells]
    assert fills == [["00FFC7CE", "00000000"], ["00000000", "00000000"], ["00000000", "00FFC7CE"]]
    assert [row[1][2] for row in cells] == [INT] * 3 and [row[2][2] for row in cells] == [PCT] * 3


def test_a_row_of_the_wrong_width_is_refused():
    wb = Workbook(write_only=True)
    sheet = TableSheet(wb, "表", COLUMNS)
    with pytest.raises(ValueError):
        sheet.append(["甲", 1])
    wb.save(BytesIO())  # the sheet is still whole: nothing of the refused row was written


def test_a_date_after_an_unstyled_cell_leaves_the_next_unstyled_cell_plain():
    """openpyxl writes a row's next plain value through the cell before it when that one has no style;
    a date there must not give every later unstyled cell a date format."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("表")
    for _ in range(2):  # the second pass takes the cached (shared) path
        ws.append([styled(ws, "甲"), date(2026, 10, 8)])
        ws.append([styled(ws, "乙"), 7])
    out = BytesIO()
    wb.save(out)
    rows = list(load_workbook(BytesIO(out.getvalue()))["表"].iter_rows())
    assert [r[1].number_format for r in rows] == ["yyyy-mm-dd", "General"] * 2
    assert [r[0].number_format for r in rows] == ["General"] * 4
