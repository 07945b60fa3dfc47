"""Streaming checks of the XML parts python-calamine will load, in constant memory (expat, no tree).

The scans follow calamine's own rules, so that what is measured is what it will read: parts are found
ignoring case; a sheet's part comes from the workbook's r:id and xl/_rels/workbook.xml.rels; shared
strings always live in xl/sharedStrings.xml; a cell's position is its r attribute, else the one after
the previous cell of the row; a cell counts when it holds a <v> or an <is>. Measuring a little more than
calamine keeps (phonetic runs, a <v> it would skip) only ever refuses earlier.
"""

import re
import zipfile
from array import array
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional
from xml.parsers import expat

from crm.services.common.spreadsheets.limits import (
    CORRUPT,
    HEADER_ROWS_ALLOWED,
    SpreadsheetError,
    SpreadsheetLimits,
    cell_name,
    column_letter,
    too_long,
    too_wide,
)

CHUNK = 64 * 1024
WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
SHARED_STRINGS = "xl/sharedStrings.xml"
SHEET_ID_ATTRIBUTES = ("r:id", "relationships:id")  # calamine matches these raw names only
REF = re.compile(r"([A-Za-z]*)([0-9]+)")
MAX_MERGES = 1_000  # the header's merged cells are all the import needs
LOCAL_NAME_CACHE = 64
BOOK_ELEMENTS = 100_000
STRUCTURE = "文件结构异常（XML 元素过多），无法读取，请在 Excel 中打开后重新保存"


def _no_dtd(*_args: object) -> None:
    # No part of an .xlsx has a DOCTYPE; refusing one rules out entity expansion of any kind.
    raise SpreadsheetError(CORRUPT)


@lru_cache(maxsize=4096)
def _column_index(letters: str) -> int:
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return col - 1


def _parse_ref(text: str) -> tuple[int, Optional[int]]:
    """(row, column or None), 0-based, from A1-style text as calamine reads it; CORRUPT if malformed."""
    if text.isdigit() and text.isascii():  # a row's r attribute
        row, letters = int(text), ""
    else:
        match = REF.fullmatch(text)
        if match is None:
            raise SpreadsheetError(CORRUPT)
        letters, row = match.group(1), int(match.group(2))
    if row == 0:
        raise SpreadsheetError(CORRUPT)
    return row - 1, _column_index(letters) if letters else None


class _Scan:
    """Handler base: counts elements against a budget and maps raw names (x:c) to local names (c)."""

    def __init__(self, budget: int):
        self.budget = budget
        self.elements = 0
        self._names: dict[str, str] = {}

    def local(self, name: str) -> str:
        local = self._names.get(name)
        if local is None:
            local = name.rpartition(":")[2]
            if len(self._names) < LOCAL_NAME_CACHE:
                self._names[name] = local
        return local

    def counted(self, name: str) -> str:
        self.elements += 1
        if self.elements > self.budget:
            raise SpreadsheetError(STRUCTURE)
        return self.local(name)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        raise NotImplementedError

    def end(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


def _members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    return {info.filename.lower(): info for info in archive.infolist()}


def _parser(scan: _Scan) -> expat.XMLParserType:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _no_dtd
    parser.EntityDeclHandler = _no_dtd
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    parser.CharacterDataHandler = scan.text
    return parser


def _run(archive: zipfile.ZipFile, info: zipfile.ZipInfo, scan: _Scan) -> None:
    parser = _parser(scan)
    try:
        with archive.open(info) as stream:  # reads stop at the declared size and check the CRC
            while chunk := stream.read(CHUNK):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise SpreadsheetError(CORRUPT) from exc


def _feed(data: bytes, scan: _Scan) -> None:
    """_run over a part already in memory (quick.py's: the part without its cells)."""
    try:
        _parser(scan).Parse(data, True)
    except expat.ExpatError as exc:
        raise SpreadsheetError(CORRUPT) from exc


class _Relationships(_Scan):
    def __init__(self) -> None:
        super().__init__(BOOK_ELEMENTS)
        self.targets: dict[str, str] = {}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.counted(name) == "Relationship" and "Id" in attrs:
            self.targets[attrs["Id"]] = attrs.get("Target", "")


class _Workbook(_Scan):
    def __init__(self, max_sheets: int) -> None:
        super().__init__(BOOK_ELEMENTS)
        self.max_sheets = max_sheets
        self.sheets: list[tuple[str, Optional[str]]] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.counted(name) != "sheet":
            return
        if len(self.sheets) >= self.max_sheets:
            raise SpreadsheetError(
                f"文件中的工作表过多（上限 {self.max_sheets} 个），请删除无关的工作表后重新上传"
            )
        rid = next((attrs[key] for key in SHEET_ID_ATTRIBUTES if key in attrs), None)
        self.sheets.append((attrs.get("name", ""), rid))


def _sheet_part(target: str) -> str:
    """A relationship target as calamine resolves it to a part name."""
    if target.startswith("/xl/"):
        return target[1:]
    return target if target.startswith("xl/") else f"xl/{target}"


def scan_book(archive: zipfile.ZipFile, limits: SpreadsheetLimits) -> list[tuple[str, zipfile.ZipInfo]]:
    """The sheets in workbook order: (name, the part calamine will read for it)."""
    members = _members(archive)
    if WORKBOOK_RELS not in members or WORKBOOK not in members:
        raise SpreadsheetError(CORRUPT)
    rels = _Relationships()
    _run(archive, members[WORKBOOK_RELS], rels)
    book = _Workbook(limits.max_sheets)
    _run(archive, members[WORKBOOK], book)
    sheets: list[tuple[str, zipfile.ZipInfo]] = []
    for name, rid in book.sheets:
        target = rels.targets.get(rid or "")
        part = members.get(_sheet_part(target).lower()) if target else None
        if part is None or any(name == seen for seen, _ in sheets):
            raise SpreadsheetError(CORRUPT)
        sheets.append((name, part))
    return sheets


class _SharedStrings(_Scan):
    def __init__(self, limits: SpreadsheetLimits) -> None:
        super().__init__(6 * limits.max_shared_strings + BOOK_ELEMENTS)
        self.max_count = limits.max_shared_strings
        self.hint = limits.rows_hint
        self.lengths = array("L")
        self.current: Optional[int] = None

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.counted(name) == "si":
            self.current = 0

    def text(self, data: str) -> None:
        if self.current is not None:
            self.current += len(data)

    def end(self, name: str) -> None:
        if self.current is not None and self.local(name) == "si":
            self.lengths.append(self.current)
            self.current = None
            if len(self.lengths) > self.max_count:
                raise SpreadsheetError(f"文件中的文字条目过多（上限 {self.max_count} 条），{self.hint}")


def scan_shared_strings(archive: zipfile.ZipFile, limits: SpreadsheetLimits) -> array:
    """The length of every shared string, in order (empty when the workbook has none)."""
    info = _members(archive).get(SHARED_STRINGS.lower())
    if info is None:
        return array("L")
    scan = _SharedStrings(limits)
    _run(archive, info, scan)
    return scan.lengths


@dataclass
class SheetScan:
    """What the streaming pass learned about one sheet."""

    cells: int = 0  # cells holding a value
    hidden_rows: set[int] = field(default_factory=set)  # Excel row numbers of hidden rows with values
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)


class _Sheet(_Scan):
    def __init__(self, shared: array, limits: SpreadsheetLimits) -> None:
        super().__init__(limits.element_budget)
        self.shared = shared
        self.limits = limits
        self.result = SheetScan()
        self.in_data = False
        self.row = self.col = 0  # calamine's cursor: where a cell without an r attribute goes
        self.row_hidden = False
        self.cell: Optional[tuple[int, int, Optional[str]]] = None  # the open <c>: row, col, type
        self.has_value = False
        self.depth = 0  # inside the open cell's <v> or <is>
        self.chars = 0
        self.index = ""  # a shared-string cell's <v> text
        self.rows: set[int] = set()
        self.last_row = self.last_col = -1
        self.total_chars = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        # The hot path of the scan (a few calls per cell): counted() and local() inlined.
        self.elements += 1
        if self.elements > self.budget:
            raise SpreadsheetError(STRUCTURE)
        local = self._names.get(name) or self.local(name)
        if local == "c" and self.in_data:
            if self.cell is not None:
                raise SpreadsheetError(CORRUPT)  # calamine refuses a cell inside a cell too
            ref = attrs.get("r")
            row, col = _parse_ref(ref) if ref is not None else (self.row, self.col)
            if col is None:
                raise SpreadsheetError(CORRUPT)
            self.col = col
            self.cell = (row, col, attrs.get("t"))
            self.has_value, self.chars, self.index = False, 0, ""
        elif local in ("v", "is") and self.cell is not None:
            self.depth += 1
            self.has_value = True
        elif local == "row" and self.in_data:
            ref = attrs.get("r")
            if ref is not None:
                self.row = _parse_ref(ref)[0]
            self.row_hidden = attrs.get("hidden") in ("1", "true")
        elif local == "sheetData":
            self.in_data = True
        elif local == "mergeCell" and len(self.result.merges) < MAX_MERGES:
            self._merge(attrs.get("ref", ""))

    def text(self, data: str) -> None:
        if self.depth:
            self.chars += len(data)
            if self.cell is not None and self.cell[2] == "s" and len(self.index) < 32:
                self.index += data

    def end(self, name: str) -> None:
        local = self._names.get(name) or self.local(name)
        if local in ("v", "is"):
            self.depth = max(self.depth - 1, 0)
        elif local == "c" and self.cell is not None:
            row, col, kind = self.cell
            self.cell = None
            self.col = col + 1
            if self.has_value:
                self._record(row, col, kind)
        elif local == "row" and self.in_data:
            self.row += 1
            self.col = 0
            self.row_hidden = False
        elif local == "sheetData":
            self.in_data = False

    def _record(self, row: int, col: int, kind: Optional[str]) -> None:
        limits = self.limits
        chars = self.chars
        if kind == "s":  # calamine reads an unparsable index as 0
            index = int(self.index.strip()) if self.index.strip().isdigit() else 0
            chars = self.shared[index] if index < len(self.shared) else 0
        if col >= limits.max_columns:
            raise too_wide(cell_name(row, col), limits)
        if chars > limits.max_cell_chars:
            raise too_long(cell_name(row, col), chars, limits)
        self.total_chars += chars
        if self.total_chars > limits.max_text_chars:
            raise SpreadsheetError(
                f"表格中的文字合计超过 {limits.max_text_chars // 10_000} 万字的上限，{limits.rows_hint}"
            )
        self.result.cells += 1
        if row not in self.rows:
            self.rows.add(row)
            if len(self.rows) > limits.max_rows + HEADER_ROWS_ALLOWED:
                raise SpreadsheetError(limits.too_many_rows())
            if self.row_hidden and row == self.row:
                self.result.hidden_rows.add(row + 1)
        if row > self.last_row or col > self.last_col:
            self.last_row, self.last_col = max(row, self.last_row), max(col, self.last_col)
            if (self.last_row + 1) * (self.last_col + 1) > limits.cell_budget:
                raise SpreadsheetError(
                    f"表格的使用范围过大：内容延伸到第{self.last_row + 1}行、{column_letter(self.last_col)}列"
                    f"（{cell_name(row, col)}有内容），请删除表格下方或右侧多余的内容后重新上传"
                )

    def _merge(self, ref: str) -> None:
        first, _, last = ref.partition(":")
        try:
            (r1, c1), (r2, c2) = _parse_ref(first), _parse_ref(last or first)
        except SpreadsheetError:
            return  # a malformed merge only loses the header's grouping
        if c1 is not None and c2 is not None:
            self.result.merges.append((r1, c1, r2, c2))


def scan_sheet(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, shared: array, limits: SpreadsheetLimits
) -> SheetScan:
    """Check one sheet's part cell by cell; SpreadsheetError names the first cell over a limit."""
    scan = _Sheet(shared, limits)
    _run(archive, info, scan)
    return scan.result
