"""A sheet's checks in bulk, for the sheets Excel, WPS, openpyxl and xlsxwriter write.

scan_sheet (scan.py) calls back into Python for every XML element: three calls per cell, about 3 s
for a sheet of 100,000 rows. The cells between <sheetData> and </sheetData> are nearly always written
in one plain form, though, so this pass reads them with regular expressions, a megabyte at a time: one
split() tokenizes the rows and cells and hands out each valued cell's reference, shared-string index
or text, and sets, counts and sums measure them without a Python call per cell. The rest of the part
(what comes before and after the cells: a few elements, the merged cells) still goes through expat
with scan.py's own handler.

It only ever proves a sheet fine. It gives up (None: the caller runs scan_sheet) on anything outside
that plain form: a namespace prefix, a comment or DOCTYPE, pretty-printed whitespace, a cell without
a reference, a hidden row, a character reference to a character XML forbids; and whenever a cap may
be reached: a cell whose text may pass the cell cap (its bytes are counted, never fewer than its
characters), the row cap, the used range, the total of text. Every refusal, its message and the cell
it names, therefore still comes from scan_sheet, and a sheet read here measures as it would there.
"""

import re
import zipfile
from array import array
from typing import IO, Optional, cast

from crm.services.common.spreadsheets.limits import HEADER_ROWS_ALLOWED, SpreadsheetError, SpreadsheetLimits
from crm.services.common.spreadsheets.scan import SheetScan, _column_index, _feed, _Sheet

CHUNK = 1024 * 1024
MAX_SIDE = 1024 * 1024  # what may come before or after the cells (the merged cells of a big sheet fit)
MAX_CARRY = 4 * 1024 * 1024  # one row of this much text is no plain row
SHEET_DATA = b"sheetData"
OPEN, EMPTY, CLOSE = b"<sheetData>", b"<sheetData/>", b"</sheetData>"
ROW_OPEN, ROW_CLOSE = b"<row ", b"</row>"
NONCHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")  # U+FFFE, U+FFFF: valid UTF-8 that XML refuses
DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml [^<>]*\?>")
ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")
CHARACTER_REFERENCE = re.compile(rb"&#(x?)([0-9a-fA-F]{1,8});")

# Text as XML writes it: no markup, no control character, no entity but the predefined ones and
# character references (each checked below, once per distinct reference).
_PLAIN = rb"[^<&\x00-\x08\x0b\x0c\x0e-\x1f]*"
_TEXT = _PLAIN + rb"(?:&(?:amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});" + _PLAIN + rb")*"
# Attributes in the order Excel writes them; each at most once, so no element repeats an attribute.
_CELL_EXTRA = rb'(?: cm="[0-9]{1,9}")?(?: vm="[0-9]{1,9}")?(?: ph="(?:0|1|true|false)")?'
_FORMULA = (
    rb'(?:<f(?: t="(?:normal|shared|array)")?(?: aca="[01]")?(?: ref="[A-Z0-9:$]{1,32}")?'
    rb'(?: ca="[01]")?(?: si="[0-9]{1,9}")?(?:/>|>' + _TEXT + rb"</f>))?"
)
_TYPES = rb"(?:s|n|b|e|str|d|inlineStr)"
_STYLE = rb'(?: s="[0-9]{1,9}")?'
# One token: a cell with a value (groups 1-2 its column letters and row number, then 3 a shared
# string's index, 4 a value's text or 5 an inline string's text), a cell without one (no group: it
# counts for nothing), a row's start tag or its end tag. A row never says hidden="1" here.
TOKEN = re.compile(
    rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"' + _STYLE + rb"(?:"
    rb' t="s"' + _CELL_EXTRA + rb"><v>([0-9]{1,9})</v>"
    rb'|(?: t="(?:n|b|e|str|d)")?' + _CELL_EXTRA + rb">" + _FORMULA + rb"<v>(" + _TEXT + rb")</v>"
    rb'| t="inlineStr"' + _CELL_EXTRA + rb'><is><t(?: xml:space="preserve")?>(' + _TEXT + rb")</t></is>"
    rb")</c>"
    rb'|<c r="[A-Z]{1,3}[1-9][0-9]{0,6}"' + _STYLE + rb'(?: t="' + _TYPES + rb'")?' + _CELL_EXTRA
    + rb"(?:/>|>" + _FORMULA + rb"</c>)"
    rb'|<row r="[1-9][0-9]{0,6}"(?: spans="[0-9: ]{1,64}")?' + _STYLE + rb'(?: customFormat="[01]")?'
    rb'(?: ht="[0-9]{1,4}(?:\.[0-9]{1,20})?")?(?: customHeight="(?:0|1|true|false)")?'
    rb'(?: outlineLevel="[0-7]")?(?: x14ac:dyDescent="[0-9.]{1,24}")?>'
    rb"|</row>"
)  # fmt: skip
GROUPS = TOKEN.groups + 1  # split() gives the text before each token, then the token's groups


class _NotPlain(Exception):
    """The sheet leaves the plain form, or may reach a cap: scan_sheet decides."""


def _xml_char(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


class _Cells:
    """The cells between <sheetData> and </sheetData>, measured a run of whole rows at a time."""

    def __init__(self, shared: array, limits: SpreadsheetLimits) -> None:
        self.shared = shared
        self.limits = limits
        self.rows: set[Optional[bytes]] = set()  # row numbers as written (no leading zero: one spelling)
        self.columns: set[Optional[bytes]] = set()
        self.cells = 0
        self.elements = 0
        self.chars = 0  # a bound: shared strings by their length, other text by its UTF-8 bytes
        self.references: set[tuple[bytes, bytes]] = set()

    def measure(self, rows: bytes) -> None:
        """One run of whole rows: <row ...>...</row> repeated."""
        if not rows:
            return
        opened = rows.count(ROW_OPEN)
        # Tokens tile the run (checked below), so a row start or end is these bytes and nothing else:
        # every row but the first starts right after the previous one ended, so rows neither nest nor
        # leave a cell outside them.
        if not (rows.startswith(ROW_OPEN) and rows.endswith(ROW_CLOSE)):
            raise _NotPlain
        if rows.count(ROW_CLOSE) != opened or rows.count(ROW_CLOSE + ROW_OPEN) != opened - 1:
            raise _NotPlain
        if b"]]>" in rows or any(bad in rows for bad in NONCHARACTERS):
            raise _NotPlain
        try:
            rows.decode()
        except UnicodeDecodeError:
            raise _NotPlain from None
        parts = TOKEN.split(rows)
        if any(parts[0::GROUPS]):
            raise _NotPlain  # something between the tokens that is no token
        letters, numbers = parts[1::GROUPS], parts[2::GROUPS]
        self.columns.update(letters)
        self.rows.update(numbers)
        self.cells += len(letters) - letters.count(None)
        self.elements += rows.count(b"<")  # start and end tags (text holds no "<"): a bound on elements
        if b"&#" in rows:
            self.references.update(CHARACTER_REFERENCE.findall(rows))
        indexes = list(map(int, filter(None, parts[3::GROUPS])))
        if indexes:
            size, lengths = len(self.shared), self.shared
            if max(indexes) < size:
                self._count(list(map(lengths.__getitem__, indexes)))
            else:  # as calamine reads an index past the table: an empty cell
                self._count([lengths[i] if i < size else 0 for i in indexes])
        self._count(list(map(len, filter(None, parts[4::GROUPS]))))
        self._count(list(map(len, filter(None, parts[5::GROUPS]))))
        if len(self.rows) - (None in self.rows) > self.limits.max_rows + HEADER_ROWS_ALLOWED:
            raise _NotPlain

    def _count(self, lengths: list[int]) -> None:
        if lengths:
            if max(lengths) > self.limits.max_cell_chars:
                raise _NotPlain
            self.chars += sum(lengths)
            if self.chars > self.limits.max_text_chars:
                raise _NotPlain

    def check(self) -> None:
        """What scan_sheet checks cell by cell, on the sheet as a whole (each check only grows)."""
        self.rows.discard(None)
        self.columns.discard(None)
        for kind, digits in self.references:
            if not _xml_char(int(digits, 16 if kind else 10)):
                raise _NotPlain
        if not self.cells:
            return
        rows, columns = cast(set[bytes], self.rows), cast(set[bytes], self.columns)
        last_row = max(map(int, rows))  # Excel's number, 1-based
        last_column = max(_column_index(letters.decode()) for letters in columns)
        if last_column >= self.limits.max_columns or last_row * (last_column + 1) > self.limits.cell_budget:
            raise _NotPlain


def _split(stream: IO[bytes]) -> tuple[bytes, bytes]:
    """Read up to <sheetData>: (what came before it, what was read after it)."""
    head = b""
    while True:
        chunk = stream.read(CHUNK)
        head += chunk
        at = head.find(SHEET_DATA) - 1  # where "<sheetData>" starts
        if at >= 0 and (len(head) >= at + len(OPEN) or not chunk):
            break
        if not chunk or len(head) > MAX_SIDE:
            raise _NotPlain  # no sheetData (or not in UTF-8): nothing to gain here
    if head.startswith(OPEN, at):
        return head[:at], head[at + len(OPEN) :]
    raise _NotPlain  # x:sheetData, <sheetData/> or the name elsewhere first


def _declared_utf8(head: bytes) -> bool:
    declaration = DECLARATION.match(head)
    if declaration is None:
        return not head.startswith(b"<?")
    encoding = ENCODING.search(declaration.group())
    return encoding is None or encoding.group(1).lower() in (b"utf-8", b"utf8")


def quick_scan_sheet(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, shared: array, limits: SpreadsheetLimits
) -> Optional[SheetScan]:
    """scan_sheet's result for a sheet in the plain form and well within the caps; None otherwise."""
    cells = _Cells(shared, limits)
    try:
        with archive.open(info) as stream:  # reads stop at the declared size and check the CRC
            head, rest = _split(stream)
            if not _declared_utf8(head):
                raise _NotPlain
            while (end := rest.find(CLOSE)) < 0:
                cut = rest.rfind(ROW_OPEN)
                if cut > 0:
                    cells.measure(rest[:cut])
                    rest = rest[cut:]
                chunk = stream.read(CHUNK)
                if not chunk or len(rest) > MAX_CARRY:
                    raise _NotPlain
                rest += chunk
            cells.measure(rest[:end])
            tail = rest[end + len(CLOSE) :]
            while chunk := stream.read(CHUNK):
                tail += chunk
                if len(tail) > MAX_SIDE:
                    raise _NotPlain
        cells.check()
        if b"<!" in head or b"<!" in tail:
            raise _NotPlain  # a comment could hold what looks like cells; a DOCTYPE is refused there
        # The rest of the part, as scan_sheet reads it, with the cells taken out.
        around = _Sheet(shared, limits)
        _feed(head + EMPTY + tail, around)
    except (_NotPlain, SpreadsheetError):
        return None
    if around.result.cells or around.elements + cells.elements > limits.element_budget:
        return None
    return SheetScan(cells=cells.cells, merges=around.result.merges)
