"""Upload builders for attachment tests: small files whose bytes really are what their names say."""

import struct
import zlib
from io import BytesIO

from werkzeug.datastructures import FileStorage

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


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


PNG = png_bytes()
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
DOCX = b"PK\x03\x04" + b"\x00" * 100


def upload(filename: str, data: bytes, content_type: str = "application/octet-stream") -> FileStorage:
    """A werkzeug FileStorage as a form post would deliver it."""
    return FileStorage(stream=BytesIO(data), filename=filename, content_type=content_type)


def form_file(filename: str, data: bytes) -> tuple:
    """A (stream, filename) pair for the Flask test client's data={...}."""
    return (BytesIO(data), filename)
