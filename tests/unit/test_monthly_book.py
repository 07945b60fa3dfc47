"""The monthly workbook's sheets (xlsxwriter, constant memory): rows in order, heights and merges set
around their row, text kept as text, dates with a date format, and charts over the right cells."""

import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from crm.reporting.monthly.book import Book, Cell
from crm.reporting.monthly.xlsx import BOLD, bar_chart, pie_chart, styled


def test_values_keep_their_kind_and_text_is_never_a_formula():
    wb = Book()
    ws = wb.create_sheet("表")
    ws.append(["=1+1", 3, 2.5, Decimal("12.50"), True, date(2026, 10, 8), datetime(2026, 10, 9, 8, 30)])
    ws.append([None, "", styled(ws, "合计", font=BOLD), Cell(None, None)])
    sheet = load_workbook(wb.close())["表"]
    first = [c for c in sheet[1]]
    assert [c.value for c in first[:5]] == ["=1+1", 3, 2.5, 12.5, True]
    assert first[0].data_type == "s"  # text, not a formula
    assert first[5].value == datetime(2026, 10, 8) and first[5].number_format == "yyyy-mm-dd"
    assert first[6].value == datetime(2026, 10, 9, 8, 30) and first[6].number_format == "yyyy-mm-dd hh:mm"
    assert [c.value for c in sheet[2]][:3] == [None, None, "合计"] and sheet["C2"].font.b


def test_heights_and_merges_apply_to_their_row_whether_set_before_or_right_after_it():
    wb = Book()
    ws = wb.create_sheet("表")
    ws.height(3, 30)  # a row not written yet: set when it is
    ws.merge("A1:C1")
    ws.append(["标题"])
    ws.append(["核对行"])
    ws.merge("A2:C2")  # the row just written
    ws.height(2, 21)
    ws.append(["第三行"])
    with pytest.raises(ValueError):
        ws.height(1, 40)  # that row is gone
    sheet = load_workbook(wb.close())["表"]
    assert sorted(str(r) for r in sheet.merged_cells.ranges) == ["A1:C1", "A2:C2"]
    assert [sheet.cell(r, 1).value for r in (1, 2, 3)] == ["标题", "核对行", "第三行"]
    assert sheet.row_dimensions[3].height == 30 and sheet.row_dimensions[2].height == 21
    assert not sheet.row_dimensions[1].height


def test_layout_freeze_filter_widths_and_print_setup():
    wb = Book()
    ws = wb.create_sheet("表")
    ws.widths([30, 12])
    ws.freeze("B3")
    ws.filter("A2:B4")
    ws.repeat_rows(2)
    ws.print_setup(landscape=False)
    ws.append(["a", 1])
    sheet = load_workbook(wb.close())["表"]
    assert sheet.freeze_panes == "B3" and sheet.auto_filter.ref == "A2:B4"
    assert round(sheet.column_dimensions["A"].width) == 30 and round(sheet.column_dimensions["B"].width) == 12
    assert sheet.print_title_rows == "$2:$2" and sheet.page_setup.orientation == "portrait"
    assert sheet.page_setup.paperSize == 9 and sheet.sheet_properties.pageSetUpPr.fitToPage


def test_charts_read_the_cells_they_are_given():
    wb = Book()
    ws = wb.create_sheet("干部's 表")  # a quote in the name is doubled in the references
    ws.append(["干部", "覆盖率"])
    for name, rate in (("甲", 0.5), ("乙", 0.25)):
        ws.append([name, rate])
    ws.add_chart(bar_chart(ws, "覆盖率", (1, 2, 3), [(2, 1, 3)], horizontal=True, percent=True), "D2")
    ws.add_chart(pie_chart(ws, "分布", (1, 2, 3), (2, 1, 3), ["E0474C", "4CAF50"]), "D20")
    out = wb.close()
    with zipfile.ZipFile(out) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart"))
    assert "<c:f>'干部''s 表'!$B$2:$B$3</c:f>" in xml and "<c:f>'干部''s 表'!$A$2:$A$3</c:f>" in xml
    assert "<c:f>'干部''s 表'!$B$1</c:f>" in xml  # the series' name from its header
    assert '<a:srgbClr val="E0474C"/>' in xml and '<c:barDir val="bar"/>' in xml
    assert '<c:orientation val="maxMin"/>' in xml  # the first row on top, as in the table
    charts = load_workbook(out)["干部's 表"]._charts
    assert sorted(type(c).__name__ for c in charts) == ["BarChart", "PieChart"]
