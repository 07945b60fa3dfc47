"""The monthly workbook's table rows: the short cuts for numbers and repeated texts write exactly what
styled() and escape_cell() write, and cells sharing a format never restyle one another."""

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from crm.reporting.exports.xlsx import escape_cell
from crm.reporting.monthly.book import Book
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
    wb = Book()
    sheet = TableSheet(wb, "表", COLUMNS)
    for row in ROWS:
        sheet.append(row)
    plain = TableSheet(wb, "对照", COLUMNS)
    for row in ROWS:
        plain.ws.append(_through_styled(plain.ws, row))
    out = wb.close()
    got, want = _cells(out, "表"), _cells(out, "对照")
    assert got == want
    assert got[0][0][0] == "甲公司" and got[0][5][0] == "'=HYPERLINK(1)"
    assert got[1][5][0] == "正常文本"  # the control character is gone
    assert got[0][1][2] == INT and got[0][2][2] == PCT and got[1][3][2] == WAN
    assert got[4][1][:2] == ("未填", "s")  # text in a number column stays text


def test_shared_styles_stay_apart():
    """A fill on one cell leaves the other cells of its format plain, in every row."""
    wb = Book()
    sheet = TableSheet(wb, "表", COLUMNS)
    red = COLOUR_STYLES["red"]
    sheet.append(["甲", 5000, 0.5, 1.0, None, None], fills={1: red})
    sheet.append(["乙", 6000, 0.25, 2.0, None, None])
    sheet.append(["丙", 7000, 0.75, 3.0, None, None], fills={2: red})
    cells = _cells(wb.close(), "表")
    fills = [[c[4][-6:] for c in row[1:3]] for row in cells]
    assert fills == [["FFC7CE", "000000"], ["000000", "000000"], ["000000", "FFC7CE"]]
    assert [row[1][2] for row in cells] == [INT] * 3 and [row[2][2] for row in cells] == [PCT] * 3


def test_a_row_of_the_wrong_width_is_refused():
    wb = Book()
    sheet = TableSheet(wb, "表", COLUMNS)
    with pytest.raises(ValueError):
        sheet.append(["甲", 1])
    sheet.append(ROWS[0])  # the sheet is still whole: nothing of the refused row was written
    rows = list(load_workbook(wb.close())["表"].iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == "甲公司"


def test_empty_texts_leave_their_cells_empty():
    wb = Book()
    sheet = TableSheet(wb, "表", COLUMNS)
    sheet.append(["", 1, None, None, None, ""], fills={0: COLOUR_STYLES["grey"]})
    ws = load_workbook(wb.close())["表"]
    assert ws["A2"].value is None and ws["A2"].fill.fgColor.rgb.endswith("EDEDED")  # kept its fill
    assert ws["F2"].value is None and ws["B2"].value == 1
