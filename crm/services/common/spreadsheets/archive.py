"""The .xlsx container, judged from the zip's end record and central directory: nothing is inflated."""

import struct
import zipfile
from pathlib import Path

from crm.services.common.spreadsheets.limits import (
    CORRUPT,
    SPLIT_HINT,
    UNREADABLE,
    SpreadsheetError,
    SpreadsheetLimits,
    size_text,
)

ZIP_LOCAL_HEADER = b"PK\x03\x04"
ZIP_END_RECORD = b"PK\x05\x06"
ZIP_END_RECORD_SIZE = 22
ZIP_MAX_COMMENT = 0xFFFF
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted .xlsx or a legacy .xls
CENTRAL_ENTRY_BYTES = 1024  # a generous size for one central-directory entry, name and extras included
WORKBOOK_PART = "xl/workbook.xml"


def check_file_size(path: Path, limits: SpreadsheetLimits) -> int:
    """The file's size in bytes, or SpreadsheetError when it is over the limit."""
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise SpreadsheetError(
            f"文件有 {size_text(size)}，超过 {size_text(limits.max_file_bytes)} 的上限，{SPLIT_HINT}"
        )
    return size


def _too_many_members(limits: SpreadsheetLimits) -> SpreadsheetError:
    return SpreadsheetError(
        f"文件中的部件过多（上限 {limits.max_members} 个），不是正常的 Excel 表格，"
        "请在 Excel 中另存为 .xlsx 后重新上传"
    )


def _check_end_record(path: Path, size: int, limits: SpreadsheetLimits) -> None:
    """Count the parts from the end record before zipfile parses the directory.

    zipfile builds every central-directory entry before anyone can count them: a 17 MB zip of
    200,000 empty parts takes Python over 20 seconds just to open.
    """
    with path.open("rb") as fh:
        head = fh.read(len(OLE2_MAGIC))
        if head == OLE2_MAGIC:
            raise SpreadsheetError(
                "该文件已加密或是旧版 .xls 格式：请在 Excel 中取消密码，另存为 .xlsx 后重新上传"
            )
        if not head.startswith(ZIP_LOCAL_HEADER):  # also refuses a zip appended to something else
            raise SpreadsheetError(UNREADABLE)
        tail_size = min(size, ZIP_END_RECORD_SIZE + ZIP_MAX_COMMENT)
        fh.seek(size - tail_size)
        tail = fh.read(tail_size)
    at = tail.rfind(ZIP_END_RECORD)
    if at < 0 or len(tail) - at < ZIP_END_RECORD_SIZE:
        raise SpreadsheetError(UNREADABLE)
    entries, directory_size = struct.unpack("<HL", tail[at + 10 : at + 16])
    # 0xFFFF entries marks ZIP64, which only archives of over 65,535 parts (or 4 GB) need.
    if entries > limits.max_members or directory_size > limits.max_members * CENTRAL_ENTRY_BYTES:
        raise _too_many_members(limits)


def check_xlsx_archive(path: str | Path, limits: SpreadsheetLimits) -> None:
    """Refuse an .xlsx by its zip directory alone: not a zip, too many parts, too big or too compressed."""
    path = Path(path)
    size = check_file_size(path, limits)
    _check_end_record(path, size, limits)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise SpreadsheetError(UNREADABLE) from exc
    if len(members) > limits.max_members:
        raise _too_many_members(limits)
    names: set[str] = set()
    total = 0
    for info in members:
        # calamine looks parts up ignoring case: two names differing only in case could hide one.
        name = info.filename.lower()
        if name in names:
            raise SpreadsheetError(CORRUPT)
        names.add(name)
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise SpreadsheetError("文件使用了不支持的加密或压缩方式，请在 Excel 中另存为 .xlsx 后重新上传")
        if info.file_size > limits.max_member_bytes:
            raise SpreadsheetError(
                f"文件中有一个部件解压后约 {size_text(info.file_size)}，超过单个部件 "
                f"{size_text(limits.max_member_bytes)} 的上限，请删除多余的内容或拆分成多个文件"
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_floor_bytes and ratio > limits.max_ratio:
            raise SpreadsheetError(
                f"文件的压缩比异常（{ratio:.0f}:1，上限 {limits.max_ratio}:1），可能是恶意构造的文件，已拒绝"
            )
        total += info.file_size
        if total > limits.max_unpacked_bytes:
            raise SpreadsheetError(
                f"文件解压后超过 {size_text(limits.max_unpacked_bytes)} 的上限，"
                "请删除无关的工作表、图片后重新保存，或拆分成多个文件"
            )
    if WORKBOOK_PART not in names:
        raise SpreadsheetError(UNREADABLE)
