"""Upload content checks: a file must be, by signature and by structure, what its extension says.

Neither the browser's content type nor the extension alone is trusted. Office Open XML files must be
readable zips holding the package parts of their kind (sizes read from the central directory, nothing
inflated); legacy Office files must carry a sane OLE2 compound-file header; a PDF must start with the
PDF header and end with its end-of-file marker; images are parsed and verified by Pillow, within its
decompression-bomb pixel limit.
"""

import zipfile
from typing import BinaryIO, Optional

from PIL import Image

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE2_HEADER_BYTES = 512
# Password-protected .docx/.xlsx are OLE2 files holding this stream instead of a zip (MS-OFFCRYPTO).
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
OOXML_MAIN_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml"}
OLE2_EXTENSIONS = {"doc", "xls", "ppt"}
IMAGE_EXTENSIONS = {"jpg", "jpeg", "png", "gif", "webp"}
PDF_TAIL_BYTES = 1024  # readers look for %%EOF within the last kilobyte
ZIP_MAX_MEMBERS = 10_000
ZIP_MAX_RATIO = 100  # declared unpacked bytes per packed byte, over the whole archive
ZIP_RATIO_FLOOR = 16 * 1024 * 1024  # small archives may unpack to this much whatever their ratio
# Pillow format name -> the type the file is served as; MPO is a phone camera's multi-picture JPEG.
IMAGE_FORMATS = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
}


class ContentRefused(ValueError):
    """The content is not what the extension says; str() completes "文件「name」…"."""


MISMATCH = "的内容与扩展名不符"


def check_content(ext: str, stream: BinaryIO, size: int) -> Optional[str]:
    """Raise ContentRefused unless the content is what ext says; returns an image's real content type."""
    stream.seek(0)
    try:
        if ext in IMAGE_EXTENSIONS:
            return _image_type(stream)
        if ext in OOXML_MAIN_PARTS:
            ok = _is_ooxml(stream, size, OOXML_MAIN_PARTS[ext]) or _is_encrypted_ooxml(stream)
        elif ext in OLE2_EXTENSIONS:
            ok = _is_ole2(stream.read(OLE2_HEADER_BYTES))
        elif ext == "pdf":
            ok = _is_pdf(stream, size)
        else:  # an extension without a check here is never accepted
            ok = False
    finally:
        stream.seek(0)
    if not ok:
        raise ContentRefused(MISMATCH)
    return None


def zip_within_limits(archive: zipfile.ZipFile, packed_size: int) -> bool:
    """Whether the central directory declares a sane number of members and total unpacked size."""
    members = archive.infolist()
    unpacked = sum(info.file_size for info in members)
    return len(members) <= ZIP_MAX_MEMBERS and unpacked <= max(ZIP_MAX_RATIO * packed_size, ZIP_RATIO_FLOOR)


def _is_ooxml(stream: BinaryIO, size: int, main_part: str) -> bool:
    # The local header at offset 0: zipfile alone would also accept a zip appended to an executable.
    if stream.read(4) != b"PK\x03\x04":
        return False
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            names = {name.lower() for name in archive.namelist()}
            if not zip_within_limits(archive, size):
                return False
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return False
    return "[content_types].xml" in names and main_part in names


def _is_encrypted_ooxml(stream: BinaryIO) -> bool:
    stream.seek(0)
    if not _is_ole2(stream.read(OLE2_HEADER_BYTES)):
        return False
    stream.seek(0)
    return ENCRYPTED_PACKAGE in stream.read()  # the stream's name in the OLE2 directory


def _is_ole2(header: bytes) -> bool:
    # Magic, little-endian byte-order mark, and a sector size of 512 (version 3) or 4096 (version 4).
    return (
        len(header) == OLE2_HEADER_BYTES
        and header.startswith(OLE2_MAGIC)
        and header[28:30] == b"\xfe\xff"
        and header[30:32] in (b"\x09\x00", b"\x0c\x00")
    )


def _is_pdf(stream: BinaryIO, size: int) -> bool:
    if stream.read(5) != b"%PDF-":
        return False
    stream.seek(max(size - PDF_TAIL_BYTES, 0))
    return b"%%EOF" in stream.read(PDF_TAIL_BYTES)


def _image_type(stream: BinaryIO) -> str:
    try:
        # Only the formats we serve are tried: Pillow's other parsers never see an upload.
        with Image.open(stream, formats=["JPEG", "PNG", "GIF", "WEBP"]) as image:
            pixels = image.width * image.height
            kind = image.format
            image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):  # the warning, if made an error
        raise ContentRefused(_too_many_pixels()) from None
    except Exception:  # a malformed upload may break any parser step; each means "not this image"
        raise ContentRefused(MISMATCH) from None
    if Image.MAX_IMAGE_PIXELS and pixels > Image.MAX_IMAGE_PIXELS:
        raise ContentRefused(_too_many_pixels())
    if kind not in IMAGE_FORMATS:
        raise ContentRefused(MISMATCH)
    return IMAGE_FORMATS[kind]


def _too_many_pixels() -> str:
    return f"的图片像素过多（超过{(Image.MAX_IMAGE_PIXELS or 0) // 10_000}万像素）"
