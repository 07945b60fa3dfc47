"""The monthly workbook's floors write the workbook's own cells again: xlsxwriter's with the same styles."""

from datetime import datetime
from io import BytesIO

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from bench.floors import format_properties, styled_shapes, write_styled_floor, write_xlsxwriter_floor
from crm.reporting.monthly.xlsx import DATE, WAN


def _workbook() -> BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.title = "问题清单"
    ws.append(["编号", "企业", "提出日期", "金额"])
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="2F5597")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(bottom=Side(style="medium", color="1F3864"))
    ws.append([1, "红星机械", datetime(2026, 10, 9), 1234.5])
    ws["C2"].number_format = DATE
    ws["D2"].number_format = WAN
    ws.append([2, "城关镇 第2园区", None, 7])
    out = BytesIO()
    wb.save(out)
    return out


def test_format_properties_carry_an_openpyxl_style_over_to_xlsxwriter():
    styles, _ = styled_shapes(_workbook())
    header = next(s for s in styles.values() if s[1].b)
    props = format_properties(header)
    assert props["bold"] is True and props["font_color"][1:] == "FFFFFF" and props["bg_color"][1:] == "2F5597"
    assert props["align"] == "center" and props["valign"] == "vcenter" and props["text_wrap"] is True
    assert props["bottom"] == 2 and props["bottom_color"][1:] == "1F3864" and "top" not in props


def test_the_xlsxwriter_floor_writes_the_same_cells_with_the_same_styles():
    shaped = styled_shapes(_workbook())
    for writer in (
        lambda out: write_xlsxwriter_floor(shaped, True, out),
        lambda out: write_styled_floor(shaped, out),
    ):
        out = BytesIO()
        assert writer(out) > 0
        ws = load_workbook(BytesIO(out.getvalue())).worksheets[0]
        assert ws.title == "问题清单"
        assert [c.value for c in ws[2]] == [1, "红星机械", datetime(2026, 10, 9), 1234.5]
        assert [c.value for c in ws[3]] == [2, "城关镇 第2园区", None, 7]
        assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb.endswith("2F5597")
        assert ws["C2"].number_format == DATE and ws["D2"].number_format == WAN


def test_the_plain_xlsxwriter_floor_writes_values_only_and_dates_as_dates():
    out = BytesIO()
    write_xlsxwriter_floor(styled_shapes(_workbook()), False, out)
    ws = load_workbook(BytesIO(out.getvalue())).worksheets[0]
    assert ws["C2"].value == datetime(2026, 10, 9) and ws["C2"].is_date
    assert not ws["A1"].font.b and ws["D2"].number_format == "General"
