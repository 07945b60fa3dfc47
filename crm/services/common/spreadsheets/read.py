"""Reading values once the checks passed: python-calamine for .xlsx, the csv module for .csv."""

import csv
import io
import zipfile
import zlib
from collections.abc import Generator
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from crm.services.common.spreadsheets.archive import check_file_size, check_xlsx_archive
from crm.services.common.spreadsheets.limits import (
    CORRUPT,
    HEADER_ROWS_ALLOWED,
    Sheet,
    SpreadsheetError,
    SpreadsheetLimits,
    cell_name,
    too_long,
    too_wide,
)
from crm.services.common.spreadsheets.quick import quick_scan_sheet
from crm.services.common.spreadsheets.scan import scan_book, scan_shared_strings, scan_sheet

CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # Excel on a Chinese Windows saves CSV as GBK


def _clean_row(row: list[Any]) -> list[Any]:
    """Trailing empty cells dropped and every empty cell None (calamine gives "", csv gives "")."""
    end = len(row)
    while end and (row[end - 1] is None or row[end - 1] == ""):
        end -= 1
    return [None if value == "" else value for value in row[:end]]


def read_xlsx_sheets(path: str | Path, limits: SpreadsheetLimits) -> Generator[Sheet, None, None]:
    """The workbook's sheets in order; each is read only after its XML passed the streaming checks.

    A caller that stops early (the first sheet with a header) never has the later sheets checked or read.
    """
    path = Path(path)
    check_xlsx_archive(path, limits)
    try:
        with zipfile.ZipFile(path) as archive:
            book = scan_book(archive, limits)
            shared = scan_shared_strings(archive, limits)  # calamine loads them all on opening
            with _open_workbook(path) as workbook:
                if workbook.sheet_names != [name for name, _ in book]:
                    raise SpreadsheetError(CORRUPT)  # it would read sheets other than the ones checked
                for name, part in book:
                    scan = quick_scan_sheet(archive, part, shared, limits)
                    if scan is None:  # not in the plain form, or near a cap: element by element
                        scan = scan_sheet(archive, part, shared, limits)
                    values = _sheet_values(workbook, name) if scan.cells else []
                    yield Sheet(name, [_clean_row(row) for row in values], scan.hidden_rows, scan.merges)
    # A part's data does not match its CRC or declared size, or is no deflate stream at all.
    except (zipfile.BadZipFile, zlib.error, OSError) as exc:
        raise SpreadsheetError(CORRUPT) from exc


# The parser's own errors vary with what is broken (zip, XML, a number, a missing part): each one
# means the file cannot be read, never a fault of ours.
def _open_workbook(path: Path) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise SpreadsheetError(CORRUPT) from exc


def _sheet_values(workbook: CalamineWorkbook, name: str) -> list[list[Any]]:
    try:
        return workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:
        raise SpreadsheetError(CORRUPT) from exc


def _decode_csv(raw: bytes) -> str:
    for encoding in CSV_ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GBK 编码")


def read_csv_sheet(path: str | Path, limits: SpreadsheetLimits) -> Sheet:
    """A CSV file as one sheet, held to the same row, column and cell limits as an .xlsx."""
    path = Path(path)
    check_file_size(path, limits)
    reader = csv.reader(io.StringIO(_decode_csv(path.read_bytes()), newline=""))
    rows: list[list[Any]] = []
    filled = 0
    try:
        for row in reader:
            cells = _clean_row(row)
            for col, value in enumerate(cells):
                if value is not None and len(value) > limits.max_cell_chars:
                    raise too_long(cell_name(len(rows), col), len(value), limits)
            if len(cells) > limits.max_columns:
                raise too_wide(cell_name(len(rows), len(cells) - 1), limits)
            filled += bool(cells)
            if filled > limits.max_rows + HEADER_ROWS_ALLOWED:
                raise SpreadsheetError(limits.too_many_rows())
            rows.append(cells)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):  # the csv module's own cap, 131,072 characters
            raise SpreadsheetError(
                f"第{reader.line_num}行有单元格内容过长，超过单元格 {limits.max_cell_chars} 字的上限"
            ) from exc
        raise SpreadsheetError("CSV 文件格式有误，无法读取，请用 Excel 重新保存为 CSV") from exc
    return Sheet(path.stem, rows)
