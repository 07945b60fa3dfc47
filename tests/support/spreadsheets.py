"""Spreadsheets built byte by byte for import tests: minimal .xlsx packages, and decompression bombs.

A bomb's deflate stream is one block repeated: after the first megabyte the compressor's window holds
the same bytes before every further megabyte, so the same compressed block decodes to the next one.
A gigabyte part thus takes about a megabyte and well under a second to build, and is a valid zip that
any reader would really inflate (sizes and CRC are true).
"""

import io
import resource
import struct
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from crm.services.common.spreadsheets import column_letter

MB = 1024 * 1024
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "{shared}</Types>"
)
SHARED_STRINGS_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
).encode()
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
    '<sheets><sheet name="企业信息" sheetId="1" r:id="rId1"/></sheets></workbook>'
).encode()
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
).encode()


@dataclass(frozen=True)
class Deflated:
    """A part given as its raw deflate stream, with the size and CRC of what it inflates to."""

    data: bytes
    size: int
    crc: int


def deflated(data: bytes) -> Deflated:
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    return Deflated(co.compress(data) + co.flush(), len(data), zlib.crc32(data))


def repeated(head: bytes, unit: bytes, times: int, tail: bytes) -> Deflated:
    """head + unit * times + tail, deflated by repeating one block (unit must exceed the 32 KB window)."""
    assert len(unit) > 32 * 1024 and times >= 2
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = co.compress(head + unit) + co.flush(zlib.Z_SYNC_FLUSH)
    block = co.compress(unit) + co.flush(zlib.Z_SYNC_FLUSH)
    last = co.compress(tail) + co.flush()
    crc = zlib.crc32(head + unit)
    for _ in range(times - 1):
        crc = zlib.crc32(unit, crc)
    crc = zlib.crc32(tail, crc)
    return Deflated(first + block * (times - 1) + last, len(head) + len(unit) * times + len(tail), crc)


def zip_bytes(parts: Sequence[tuple[str, bytes | Deflated]]) -> bytes:
    """A zip written by hand (zipfile cannot take a ready deflate stream), every part deflated."""
    out = io.BytesIO()
    central = []
    for name, content in parts:
        part = content if isinstance(content, Deflated) else deflated(content)
        raw, offset = name.encode(), out.tell()
        sizes = (part.crc, len(part.data), part.size, len(raw))
        # version, flags, method 8 (deflate), time, date (1980-01-01), then CRC and sizes
        out.write(struct.pack("<4s5H3LHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, *sizes, 0) + raw + part.data)
        entry = struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, *sizes, 0, 0, 0, 0, 0, offset
        )
        central.append(entry + raw)
    start = out.tell()
    out.write(b"".join(central))
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), out.tell() - start, start, 0
    )
    return out.getvalue() + end


def cell(ref: str, value: Any) -> str:
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def sheet_xml(
    rows: Sequence[Sequence[Any]], dimension: str | None = None, hidden: Sequence[int] = ()
) -> bytes:
    """A worksheet of inline strings and numbers; hidden lists Excel row numbers marked hidden."""
    body = []
    for number, row in enumerate(rows, start=1):
        cells = "".join(cell(f"{column_letter(i)}{number}", v) for i, v in enumerate(row) if v is not None)
        flag = ' hidden="1"' if number in hidden else ""
        body.append(f'<row r="{number}"{flag}>{cells}</row>')
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<worksheet xmlns="{MAIN_NS}">{dim}<sheetData>{"".join(body)}</sheetData></worksheet>'.encode()


def package(
    sheet: bytes | Deflated,
    shared: bytes | Deflated | None = None,
    extra: Sequence[tuple[str, bytes | Deflated]] = (),
) -> bytes:
    """A minimal but complete .xlsx around one sheet (and a shared-string table when given)."""
    types = CONTENT_TYPES.format(shared=SHARED_STRINGS_TYPE if shared is not None else "")
    parts: list[tuple[str, bytes | Deflated]] = [
        ("[Content_Types].xml", types.encode()),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/worksheets/sheet1.xml", sheet),
    ]
    if shared is not None:
        parts.append(("xl/sharedStrings.xml", shared))
    return zip_bytes(parts + list(extra))


def shared_strings(*texts: str) -> bytes:
    items = "".join(f"<si><t>{escape(text)}</t></si>" for text in texts)
    return f'<sst xmlns="{MAIN_NS}" count="{len(texts)}" uniqueCount="{len(texts)}">{items}</sst>'.encode()


# --- the bombs ---------------------------------------------------------------------------------


def dimension_bomb(rows: Sequence[Sequence[Any]]) -> bytes:
    """A few real rows under a <dimension> claiming the whole sheet, A1:XFD1048576 (a few KB)."""
    return package(sheet_xml(rows, dimension="A1:XFD1048576"))


def far_corner_bomb(rows: Sequence[Sequence[Any]]) -> bytes:
    """Real rows plus one value in the sheet's last cell: a reader allocates the rectangle up to it."""
    xml = sheet_xml(rows).replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    )
    return package(xml)


def shared_strings_bomb(megabytes: int = 1024) -> bytes:
    """A sheet of two cells whose shared-string table inflates to megabytes (1 GB in about 1 MB)."""
    sheet = sheet_xml([]).replace(
        b"<sheetData></sheetData>",
        b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row></sheetData>',
    )
    head = f'<sst xmlns="{MAIN_NS}"><si><t>企业名称</t></si><si><t>'.encode()
    return package(sheet, repeated(head, b"A" * MB, megabytes, b"</t></si></sst>"))


def huge_cell_bomb(megabytes: int = 1024) -> bytes:
    """One inline-string cell of megabytes of text (1 GB in about 1 MB)."""
    head = f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'.encode()
    return package(repeated(head, b"A" * MB, megabytes, b"</t></is></c></row></sheetData></worksheet>"))


def ratio_bomb(rows: Sequence[Sequence[Any]], megabytes: int = 8) -> bytes:
    """A small valid sheet plus a part of zeros inflating over 1000 times its packed size."""
    return package(
        sheet_xml(rows), extra=[("xl/media/image1.bin", repeated(b"", b"\0" * MB, megabytes, b""))]
    )


def many_members_bomb(rows: Sequence[Sequence[Any]], members: int = 5_000) -> bytes:
    """A valid sheet drowned in thousands of empty parts."""
    return package(sheet_xml(rows), extra=[(f"xl/custom/{i}.xml", b"") for i in range(members)])


def lying_sizes(xlsx: bytes, part: str) -> bytes:
    """The same package with part's declared unpacked size (and CRC) shrunk to its first 16 bytes."""
    data = bytearray(xlsx)
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        info = archive.getinfo(part)
        first = archive.read(part)[:16]
    fake = (zlib.crc32(first), 16)
    struct.pack_into("<L", data, info.header_offset + 14, fake[0])
    struct.pack_into("<L", data, info.header_offset + 22, fake[1])
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + name_len]) == part.encode():
            struct.pack_into("<L", data, at + 16, fake[0])
            struct.pack_into("<L", data, at + 24, fake[1])
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def with_dimension(xlsx: bytes, ref: str) -> bytes:
    """A workbook written by openpyxl, its first sheet's <dimension> replaced by ref (e.g. understated)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                start = data.index(b"<dimension ")
                end = data.index(b"/>", start) + 2
                data = data[:start] + f'<dimension ref="{ref}"/>'.encode() + data[end:]
            target.writestr(info, data)
    return out.getvalue()


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Spent:
    seconds: float = 0.0
    python_mb: float = 0.0  # peak of Python allocations (tracemalloc)
    rss_growth_mb: float = 0.0  # growth of the process's peak resident size: native (Rust) memory too


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


@contextmanager
def measured() -> Iterator[Spent]:
    """Wall time, Python peak and native peak growth of the block (the block may raise)."""
    spent = Spent()
    rss, started = _max_rss_mb(), time.perf_counter()
    tracemalloc.start()
    try:
        yield spent
    finally:
        spent.python_mb = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()
        spent.seconds = time.perf_counter() - started
        spent.rss_growth_mb = _max_rss_mb() - rss
