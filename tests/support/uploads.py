"""Upload builders for attachment tests: small files whose bytes really are what their names say."""

import struct
import zipfile
import zlib
from io import BytesIO

from openpyxl import Workbook
from PIL import Image
from werkzeug.datastructures import FileStorage


def png_bytes(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (13, 110, 253)) -> bytes:
    """A valid RGB PNG of one colour (browsers render it, so screenshots show a real thumbnail)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (8, 8)) -> bytes:
    """A real one-colour image in a Pillow format (JPEG, GIF, WEBP, ...)."""
    out = BytesIO()
    Image.new("RGB", size, (13, 110, 253)).save(out, fmt)
    return out.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A deflated zip of the given members, in order."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def docx_bytes() -> bytes:
    """A minimal Word package: content types, package relationships and the main document part."""
    main = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    rels = "application/vnd.openxmlformats-package.relationships+xml"
    ns = "http://schemas.openxmlformats.org"
    return zip_bytes(
        {
            "[Content_Types].xml": (
                f'<?xml version="1.0"?><Types xmlns="{ns}/package/2006/content-types">'
                f'<Default Extension="rels" ContentType="{rels}"/>'
                f'<Override PartName="/word/document.xml" ContentType="{main}"/></Types>'
            ).encode(),
            "_rels/.rels": (
                f'<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships">'
                f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument"'
                ' Target="word/document.xml"/></Relationships>'
            ).encode(),
            "word/document.xml": (
                f'<?xml version="1.0"?><w:document xmlns:w="{ns}/wordprocessingml/2006/main">'
                "<w:body><w:p><w:r><w:t>走访纪要</w:t></w:r></w:p></w:body></w:document>"
            ).encode(),
        }
    )


def xlsx_bytes() -> bytes:
    """A real one-sheet workbook written by openpyxl."""
    book = Workbook()
    book.active.append(["企业", "问题"])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def ole2_bytes(*streams: str) -> bytes:
    """A minimal OLE2 compound file (.doc/.xls): header, one FAT sector, one directory sector.

    The directory holds the root entry and an empty stream per name given (for instance
    "EncryptedPackage", which makes it a password-protected Office Open XML file)."""
    end, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)  # CLSID
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)  # versions, byte order, 512/64-byte sectors
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)  # one FAT sector, directory at 1
        + struct.pack("<109I", 0, *[free] * 108)  # the FAT is sector 0
    )
    fat = struct.pack("<128I", fat_sector, end, *[free] * 126)

    def entry(name: str, kind: int, child: int = free, right: int = free) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB", len(encoded), kind, 1)  # name length, object type, black
            + struct.pack("<III", free, right, child)  # left, right sibling, child
            + bytes(16 + 4 + 16)  # CLSID, state bits, times
            + struct.pack("<IQ", end, 0)  # start sector, size
        )

    entries = [entry("Root Entry", 5, child=1 if streams else free)]
    entries += [
        entry(name, 2, right=i + 2 if i + 1 < len(streams) else free) for i, name in enumerate(streams)
    ]
    directory = b"".join(entries).ljust(512, b"\0")
    return header + fat + directory


PNG = png_bytes()
JPEG = image_bytes("JPEG")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
DOCX = docx_bytes()
XLSX = xlsx_bytes()
OLE2 = ole2_bytes()


def upload(filename: str, data: bytes, content_type: str = "application/octet-stream") -> FileStorage:
    """A werkzeug FileStorage as a form post would deliver it."""
    return FileStorage(stream=BytesIO(data), filename=filename, content_type=content_type)


def form_file(filename: str, data: bytes) -> tuple:
    """A (stream, filename) pair for the Flask test client's data={...}."""
    return (BytesIO(data), filename)
