"""Bounded spreadsheet reading (crm.services.common.spreadsheets): bombs are refused within seconds and
without memory growth, caps name the row and column, and what is read never depends on <dimension>."""

import io

import pytest
from openpyxl import Workbook

from crm.services.common.spreadsheets import (
    SpreadsheetError,
    SpreadsheetLimits,
    check_xlsx_archive,
    column_letter,
    read_csv_sheet,
    read_xlsx_sheets,
)
from tests.support import spreadsheets as build
from tests.support.spreadsheets import measured

ROWS = [["企业名称", "统一社会信用代码"], ["湘潭电机有限公司", "91430300MA4T8K2X1X"]]
SECONDS, MEGABYTES = 5, 300  # "within a few seconds and without large memory"


def sheets(path, limits=None):
    return list(read_xlsx_sheets(path, limits or SpreadsheetLimits()))


def saved(tmp_path, data, name="firms.xlsx"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refused(path, message, limits=None, read=sheets):
    """Read path expecting a refusal with message, fast and small; returns what it cost."""
    with measured() as spent, pytest.raises(SpreadsheetError, match=message):
        read(path, limits or SpreadsheetLimits())
    assert spent.seconds < SECONDS, spent
    assert spent.python_mb < MEGABYTES and spent.rss_growth_mb < MEGABYTES, spent
    return spent


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 27, 99, 16383)] == ["A", "Z", "AA", "AB", "CV", "XFD"]


def test_a_dimension_claiming_the_whole_sheet_is_ignored(tmp_path):
    path = saved(tmp_path, build.dimension_bomb(ROWS))
    with measured() as spent:
        (sheet,) = sheets(path)
    assert sheet.rows == ROWS
    assert spent.seconds < 1 and spent.python_mb < 50 and spent.rss_growth_mb < 50, spent


def test_an_understated_dimension_reads_every_row(tmp_path):
    wb = Workbook()
    for i in range(6):
        wb.active.append([f"r{i}", i])
    out = io.BytesIO()
    wb.save(out)
    path = saved(tmp_path, build.with_dimension(out.getvalue(), "A1:B2"))
    (sheet,) = sheets(path)
    assert [row[0] for row in sheet.rows] == [f"r{i}" for i in range(6)]


def test_a_value_in_the_last_cell_of_the_sheet_is_refused_by_its_name(tmp_path):
    # Without the scan, calamine would allocate the A1:XFD1048576 rectangle and abort the process.
    path = saved(tmp_path, build.far_corner_bomb(ROWS))
    refused(path, "第1048576行 XFD列有内容，超过 100 列的上限")


def test_a_far_cell_within_the_columns_is_refused_by_the_area_it_spans(tmp_path):
    xml = build.sheet_xml(ROWS).replace(
        b"</sheetData>", b'<row r="900000"><c r="J900000"><v>1</v></c></row></sheetData>'
    )
    refused(
        saved(tmp_path, build.package(xml)),
        "使用范围过大：内容延伸到第900000行、J列",
        SpreadsheetLimits(max_rows=2000),
    )


@pytest.mark.parametrize(
    "bomb, message",
    [
        (build.shared_strings_bomb, "部件解压后约 1024MB，超过单个部件 64MB 的上限"),
        (build.huge_cell_bomb, "部件解压后约 1024MB，超过单个部件 64MB 的上限"),
        (lambda: build.ratio_bomb(ROWS), r"压缩比异常（\d+:1，上限 100:1）"),
        (lambda: build.many_members_bomb(ROWS), "部件过多（上限 1000 个）"),
    ],
    ids=["shared-strings-1GB", "one-cell-1GB", "ratio-800", "5000-members"],
)
def test_bombs_are_refused_from_the_zip_directory(tmp_path, bomb, message):
    path = saved(tmp_path, bomb())
    refused(path, message)
    refused(path, message, read=lambda p, limits: check_xlsx_archive(p, SpreadsheetLimits()))


def test_each_zip_cap_holds_on_its_own(tmp_path):
    """With the part cap lifted, the ratio refuses the gigabyte; with that lifted too, the total does."""
    path = saved(tmp_path, build.shared_strings_bomb())
    big = SpreadsheetLimits(max_member_bytes=2**31)
    refused(path, r"压缩比异常（\d+:1", big)
    refused(path, "解压后超过 100MB 的上限", SpreadsheetLimits(max_member_bytes=2**31, max_ratio=10**6))


def test_declared_sizes_that_lie_are_refused(tmp_path):
    xlsx = build.package(build.sheet_xml(ROWS), build.shared_strings("企业名称"))
    path = saved(tmp_path, build.lying_sizes(xlsx, "xl/sharedStrings.xml"))
    refused(path, "文件内容已损坏")


def test_a_shared_string_counts_at_every_cell_using_it(tmp_path):
    """One 1,999-character string used by 12,000 cells is 24 million characters once read."""
    row = "".join(f'<c r="{column_letter(c)}{{n}}" t="s"><v>0</v></c>' for c in range(10))
    body = "".join(f'<row r="{n}">{row.format(n=n)}</row>' for n in range(1, 1201))
    xml = f'<worksheet xmlns="{build.MAIN_NS}"><sheetData>{body}</sheetData></worksheet>'.encode()
    path = saved(tmp_path, build.package(xml, build.shared_strings("长" * 1999)))
    refused(path, "文字合计超过 2000 万字的上限")


def test_cell_length_and_column_caps_name_the_cell(tmp_path):
    long_inline = build.package(build.sheet_xml([*ROWS, ["企业", "代码", "备" * 2001]]))
    refused(saved(tmp_path, long_inline), "第3行 C列的内容有 2001 字，超过单元格 2000 字的上限")
    xml = build.sheet_xml(ROWS).replace(
        b"</row></sheetData>", b'<c r="D2" t="s"><v>1</v></c></row></sheetData>'
    )
    long_shared = build.package(xml, build.shared_strings("短", "注" * 2500))
    refused(saved(tmp_path, long_shared, "s.xlsx"), "第2行 D列的内容有 2500 字")
    wide = build.package(build.sheet_xml([ROWS[0], ROWS[1] + [None] * 98 + ["多余"]]))
    refused(saved(tmp_path, wide, "w.xlsx"), "第2行 CW列有内容，超过 100 列的上限")


def test_rows_over_the_cap_are_refused_with_the_given_hint(tmp_path):
    limits = SpreadsheetLimits(max_rows=5, rows_hint="请改用命令行导入")
    xlsx = saved(tmp_path, build.package(build.sheet_xml([ROWS[0]] * 16)))
    refused(xlsx, "超过单次导入上限 5 行，请改用命令行导入", limits)
    csv_path = saved(tmp_path, ("a,b\n" * 16).encode(), "big.csv")
    refused(csv_path, "超过单次导入上限 5 行", limits, read=read_csv_sheet)
    assert len(read_csv_sheet(saved(tmp_path, ("a,b\n" * 15).encode(), "ok.csv"), limits).rows) == 15


def test_csv_caps_name_the_cell_and_bytes_are_capped(tmp_path):
    read = read_csv_sheet
    long_cell = saved(tmp_path, ("企业名称,备注\n甲," + "备" * 2001 + "\n").encode("gbk"), "long.csv")
    refused(long_cell, "第2行 B列的内容有 2001 字", read=read)
    huge_cell = saved(tmp_path, ("a,b\nc," + "x" * 200_000 + "\n").encode(), "huge.csv")
    refused(huge_cell, "第2行有单元格内容过长", read=read)
    wide = saved(tmp_path, ("a," * 100 + "z\n").encode(), "wide.csv")
    refused(wide, "第1行 CW列有内容，超过 100 列的上限", read=read)
    refused(
        saved(tmp_path, b"a,b\n" * 1000, "b.csv"),
        "超过 1KB 的上限",
        SpreadsheetLimits(max_file_bytes=1024),
        read,
    )


def test_hidden_rows_and_merged_cells_are_reported(tmp_path):
    wb = Workbook()
    ws = wb.active
    for row in [
        ["企业名称", "联系方式", None],
        [None, "联系人", "联系电话"],
        ["甲", "张三", "1"],
        ["乙"],
        ["丙"],
    ]:
        ws.append(row)
    ws.merge_cells("B1:C1")
    ws.merge_cells("A1:A2")
    ws.row_dimensions[4].hidden = True
    wb.save(tmp_path / "h.xlsx")
    (sheet,) = sheets(tmp_path / "h.xlsx")
    assert sheet.hidden_rows == {4}
    assert sorted(sheet.merges) == [(0, 0, 1, 0), (0, 1, 0, 2)]
    assert sheet.rows[3] == ["乙"]


def test_a_doctype_is_refused(tmp_path):
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&b;</t></si></sst>'
    )
    refused(saved(tmp_path, build.package(build.sheet_xml(ROWS), laughs)), "文件内容已损坏")


@pytest.mark.parametrize(
    "content, message",
    [
        (b"PK\x03\x04 not really a workbook", "无法读取该文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "已加密或是旧版 .xls 格式"),
        (b"<html>not a workbook</html>", "无法读取该文件"),
    ],
)
def test_what_is_not_an_xlsx_is_refused(tmp_path, content, message):
    refused(saved(tmp_path, content), message)


def test_an_end_record_understating_the_parts_is_refused_by_the_directory_size(tmp_path):
    data = bytearray(build.many_members_bomb(ROWS, members=20_000))
    end = data.rfind(b"PK\x05\x06")
    data[end + 8 : end + 12] = (5).to_bytes(2, "little") * 2  # "5 parts", the directory still holds 20,005
    refused(saved(tmp_path, bytes(data)), "部件过多")


def test_a_part_that_is_no_deflate_stream_is_refused(tmp_path):
    """Damage early in a part's compressed data breaks the deflate stream itself, before any CRC check."""
    import zipfile

    rows = [[f"第{n}号企业", f"{n:018d}"] for n in range(3000)]
    data = bytearray(build.package(build.sheet_xml([ROWS[0], *rows])))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 200] ^= 0xFF
    refused(saved(tmp_path, bytes(data)), "文件内容已损坏")
