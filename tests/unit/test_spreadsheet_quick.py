"""The bulk sheet check (spreadsheets/quick.py) against the element-by-element one (scan.py): on a sheet in
the plain form it gives the same result; on anything else, and near every cap, it gives up (None) and
scan_sheet decides, so every refusal and its message still come from scan_sheet."""

import io
import random
import zipfile
from datetime import date

import pytest
import xlsxwriter
from openpyxl import Workbook

from crm.services.common.spreadsheets import (
    SpreadsheetError,
    SpreadsheetLimits,
    column_letter,
    quick,
    read_xlsx_sheets,
)
from crm.services.common.spreadsheets.quick import quick_scan_sheet
from crm.services.common.spreadsheets.scan import scan_book, scan_shared_strings, scan_sheet
from tests.support import spreadsheets as build

ROWS = [["企业名称", "统一社会信用代码"], ["湘潭电机有限公司", "91430300MA4T8K2X1X"]]
SHEET = "xl/worksheets/sheet1.xml"


def both(data: bytes, limits: SpreadsheetLimits | None = None):
    """(quick's result, scan_sheet's result or its refusal) for the first sheet of an .xlsx."""
    limits = limits or SpreadsheetLimits()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (_name, part), *_ = scan_book(archive, limits)
        shared = scan_shared_strings(archive, limits)
        fast = quick_scan_sheet(archive, part, shared, limits)
        try:
            exact: object = scan_sheet(archive, part, shared, limits)
        except SpreadsheetError as exc:
            exact = exc
    return fast, exact


def same(data: bytes, limits: SpreadsheetLimits | None = None):
    """The sheet is read in bulk, with scan_sheet's result."""
    fast, exact = both(data, limits)
    assert fast is not None, "the sheet should be read in bulk"
    assert fast == exact
    return fast


def gives_up(data: bytes, limits: SpreadsheetLimits | None = None):
    """quick leaves the sheet to scan_sheet; what scan_sheet said (a SheetScan or a SpreadsheetError)."""
    fast, exact = both(data, limits)
    assert fast is None
    return exact


def with_sheet(xml: bytes, shared: bytes | None = None) -> bytes:
    return build.package(xml, shared)


def replaced(old: bytes, new: bytes, rows=ROWS) -> bytes:
    xml = build.sheet_xml(rows)
    assert old in xml
    return with_sheet(xml.replace(old, new, 1))


def xlsxwriter_book(rows: int = 50) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = book.add_worksheet("企业")
    bold, day = book.add_format({"bold": True}), book.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, ["企业名称", "统一社会信用代码", "成立日期", "从业人数", "重点", "备注"], bold)
    for n in range(1, rows + 1):
        ws.write_string(n, 0, f"湘潭{n}号机械有限公司 & <子公司>")
        ws.write_string(n, 1, f"9143030000000{n:05d}")
        ws.write_datetime(n, 2, date(2015, 3, 1 + n % 28), day)
        ws.write_number(n, 3, n * 1.5)
        ws.write_boolean(n, 4, n % 2 == 0)
        ws.write_formula(n, 5, f"=D{n + 1}*2", None, n * 3)
    ws.set_row(3, 30)
    ws.merge_range("G1:H1", "联系方式")
    book.close()
    return out.getvalue()


def openpyxl_book(hidden: bool = False) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in [["企业名称", "联系方式", None], [None, "联系人", "联系电话"], ["甲&乙", "张三", 139], ["丙"]]:
        ws.append(row)
    ws["D4"] = "=B3&C3"
    ws["E5"].style = "Percent"  # a styled cell without a value
    ws.merge_cells("B1:C1")
    if hidden:
        ws.row_dimensions[4].hidden = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_the_writers_sheets_are_read_in_bulk():
    result = same(xlsxwriter_book())
    assert result.cells == 6 + 50 * 6 + 1 and result.merges == [(0, 6, 0, 7)]
    assert same(openpyxl_book()).merges == [(0, 1, 0, 2)]
    assert same(with_sheet(build.sheet_xml(ROWS))).cells == 4


def test_the_benchmark_shape_in_small_chunks(monkeypatch):
    """Chunks of a few bytes cut everywhere: inside <sheetData>, a row, a cell, </sheetData>."""
    data = xlsxwriter_book(rows=30)
    expected = same(data)
    for size in (1, 7, 64, 1000):
        monkeypatch.setattr(quick, "CHUNK", size)
        assert same(data) == expected


def test_shared_strings_count_by_their_length_and_an_index_past_the_table_as_empty():
    xml = build.sheet_xml([]).replace(
        b"<sheetData></sheetData>",
        b'<sheetData><row r="1"><c r="A1" t="s"><v>1</v></c><c r="B1" t="s"><v>7</v></c></row></sheetData>',
    )
    long = SpreadsheetLimits(max_cell_chars=5)
    assert same(with_sheet(xml, build.shared_strings("短", "五个字长的")), long).cells == 2
    assert isinstance(
        gives_up(with_sheet(xml, build.shared_strings("短", "六个字太长了")), long), SpreadsheetError
    )


@pytest.mark.parametrize(
    "old, new",
    [
        (b'<row r="2">', b'<row r="2" hidden="1">'),  # hidden rows: scan_sheet lists them
        (b"<sheetData>", b"<sheetData><!-- a comment -->"),
        (b"<worksheet ", b"<!-- before --><worksheet "),
        (b'<c r="A2" ', b"<c "),  # a cell placed by the one before it
        (b'<row r="2">', b"<row>"),
        (b"<sheetData>", b"<sheetData>\n  "),  # pretty-printed
        (b'<c r="A1"', b'<c r="a1"'),
        (b'<row r="1">', b'<row r="01">'),
        (b'<row r="2">', b'<row r="2"><row r="3"></row>'),  # rows nested, as many ends as starts
    ],
    ids=[
        "hidden",
        "comment-in-data",
        "comment-before",
        "no-ref",
        "row-no-ref",
        "whitespace",
        "lower",
        "zero",
        "nested",
    ],
)
def test_what_is_not_the_plain_form_goes_element_by_element(old, new):
    exact = gives_up(replaced(old, new))
    assert not isinstance(exact, SpreadsheetError)


def test_a_prefixed_sheet_goes_element_by_element():
    xml = build.sheet_xml(ROWS)
    for name in (b"worksheet", b"sheetData", b"row", b"c", b"is", b"t"):
        xml = xml.replace(b"<" + name + b">", b"<x:" + name + b">").replace(
            b"<" + name + b" ", b"<x:" + name + b" "
        )
        xml = xml.replace(b"</" + name + b">", b"</x:" + name + b">")
    xml = xml.replace(b"xmlns=", b"xmlns:x=")
    assert gives_up(with_sheet(xml)).cells == 4


@pytest.mark.parametrize(
    "old, new",
    [
        (b"<t>\xe6\xb9\x98", b"<t>&#x1;\xe6\xb9\x98"),  # a character XML forbids, by reference
        (b"<t>\xe6\xb9\x98", b"<t>\xef\xbf\xbe"),  # U+FFFE
        (b"<t>\xe6\xb9\x98", b"<t>\xe6\xb9"),  # broken UTF-8
        (b"<t>\xe6\xb9\x98", b"<t>]]>"),
        (b'<row r="2">', b'<row r="2"><row r="3">'),  # rows nested
        (b"</row></sheetData>", b"</row></row></sheetData>"),
        (b"</sheetData>", b"</sheetData><sheetData>"),
        (b"</sheetData></worksheet>", b"</sheetData></worksheet><extra/>"),
        (b"<worksheet ", b'<!DOCTYPE worksheet [<!ENTITY a "aaaa">]><worksheet '),
    ],
    ids=[
        "char-ref",
        "noncharacter",
        "utf8",
        "cdata-end",
        "nested",
        "unopened",
        "second-data",
        "two-roots",
        "dtd",
    ],
)
def test_what_expat_refuses_is_refused_by_scan_sheet(old, new):
    assert isinstance(gives_up(replaced(old, new)), SpreadsheetError)


def test_a_declared_encoding_other_than_utf8_goes_element_by_element():
    xml = b'<?xml version="1.0" encoding="ISO-8859-1"?>' + build.sheet_xml([["abc", "d"]])
    gives_up(with_sheet(xml))
    same(with_sheet(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + build.sheet_xml(ROWS)))


@pytest.mark.parametrize(
    "rows, limits, message",
    [
        ([*ROWS, ["企业", "代码", "备" * 2001]], None, "第3行 C列的内容有 2001 字"),
        ([ROWS[0], ROWS[1] + [None] * 98 + ["多余"]], None, "第2行 CW列有内容，超过 100 列的上限"),
        ([ROWS[0]] * 16, SpreadsheetLimits(max_rows=5), "超过单次导入上限 5 行"),
        ([["长" * 1000] * 4] * 6, SpreadsheetLimits(max_text_chars=20_000), "文字合计超过 2 万字的上限"),
        ([["x"] * 30] * 12, SpreadsheetLimits(max_rows=5, max_columns=30, max_cells=300), "使用范围过大"),
    ],
    ids=["cell", "column", "rows", "text", "range"],
)
def test_near_a_cap_scan_sheet_refuses_and_names_the_cell(tmp_path, rows, limits, message):
    data = with_sheet(build.sheet_xml(rows))
    exact = gives_up(data, limits)
    assert isinstance(exact, SpreadsheetError) and message in str(exact)
    path = tmp_path / "cap.xlsx"
    path.write_bytes(data)
    with pytest.raises(SpreadsheetError, match=message):
        list(read_xlsx_sheets(path, limits or SpreadsheetLimits()))


def test_a_far_corner_goes_element_by_element():
    exact = gives_up(build.far_corner_bomb(ROWS))
    assert "第1048576行 XFD列有内容" in str(exact)


def test_text_is_bounded_by_its_bytes_and_scan_sheet_counts_characters():
    """700 characters of Chinese are 2,100 bytes: past the 2,000 cap by bytes, within it by characters."""
    exact = gives_up(with_sheet(build.sheet_xml([["企业名称"], ["备" * 700]])))
    assert exact.cells == 2


def test_random_damage_never_makes_quick_disagree():
    """Bytes of plain sheets overwritten at random: quick gives up or agrees with scan_sheet."""
    rng = random.Random(20261102)
    sources = [
        build.sheet_xml([["企业名称", "代码", 1.5], ["甲&乙", "X1", 2], [None, "丙", "丁"]] * 3),
        zipfile.ZipFile(io.BytesIO(xlsxwriter_book(rows=6))).read(SHEET),
    ]
    shared = zipfile.ZipFile(io.BytesIO(xlsxwriter_book(rows=6))).read("xl/sharedStrings.xml")
    alphabet = b'<>/="&#;rc vts0123456789AZ\x01\xef\xbf'
    agreed = 0
    for _ in range(300):
        xml = bytearray(rng.choice(sources))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(xml))
            xml[at : at + rng.randint(0, 2)] = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 3)))
        fast, exact = both(with_sheet(bytes(xml), shared))
        if fast is not None:
            assert fast == exact, bytes(xml)
            agreed += 1
    assert agreed > 20  # damage outside the cells' markup (in a text) leaves them plain


def test_a_large_sheet_is_read_in_bulk_across_chunks(monkeypatch):
    monkeypatch.setattr(quick, "CHUNK", 4096)
    rows = [[f"第{n}号企业有限公司", f"9143{n:014d}", n, "湘潭"] for n in range(3000)]
    result = same(with_sheet(build.sheet_xml([["企业名称", "代码", "序号", "地址"], *rows])))
    assert result.cells == 4 * 3001
    assert column_letter(3) == "D"
