"""Attachments: uploads checked before anything is written, then kept in the file store
(crm.services.storage: UPLOAD_FOLDER/attachments, or the database when FILE_STORAGE is "database").

In the database a file commits or rolls back with its Attachment row. On the filesystem files land on
disk before the transaction commits: paths written in a transaction are remembered on the session and
removed again if that transaction ends without a commit (a ServiceError rolled back by the view, a
failed commit, a request torn down), so a refused form never leaves a file behind.
What a file's content must look like for its extension is checked in filetypes.
"""

import logging
import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Optional

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from crm.extensions import db
from crm.models import Attachment, User
from crm.services import ServiceError
from crm.services.common.filetypes import ContentRefused, check_content
from crm.services.storage.store import FileStore, get_store
from crm.timeutil import today

MAX_FILES = 9
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ACCEPT = "image/*,.pdf,.doc,.docx,.xls,.xlsx"  # the file input's accept attribute
FILENAME_MAX = 200
# Reserved on Windows, or invisible: controls, line separators, bidi overrides ("txt.exe" shown as "exe.txt").
_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff<>:"|?*]')
_PENDING_KEY = "crm_pending_files"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upload:
    """An upload that passed validation: its stream, cleaned name, extension, real type and size."""

    stream: BinaryIO
    filename: str
    ext: str
    content_type: str
    size: int


def max_bytes() -> int:
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES") or DEFAULT_MAX_BYTES)


def human_size(size: int) -> str:
    """10485760 -> '10MB'; used in messages and hints."""
    mb = 1024 * 1024
    if size >= mb:
        return f"{size // mb}MB" if size % mb == 0 else f"{size / mb:.1f}MB"
    if size >= 1024:
        return f"{size // 1024}KB"
    return f"{size}字节"


def clean_filename(name: Optional[str]) -> str:
    """The original name without any path, control or reserved characters, at most 200 characters."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", name or ""))[-1]
    base = _UNSAFE_CHARS.sub("_", base).strip(" .")
    if len(base) > FILENAME_MAX:
        stem, dot, ext = base.rpartition(".")
        base = (
            stem[: FILENAME_MAX - len(ext) - 1] + dot + ext if dot and len(ext) <= 10 else base[:FILENAME_MAX]
        )
    return base


def _extension(filename: str) -> str:
    return filename.rsplit(".", 1)[1].lower() if "." in filename else ""


def _size(stream: BinaryIO) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def _is_blank_part(file: Any) -> bool:
    """A file input left empty still posts a part with no filename; that is not an upload."""
    return file is None or not getattr(file, "filename", None)


def validate_uploads(files: Iterable[Any]) -> list[Upload]:
    """Check count, type (extension and content), emptiness and size of uploads; raises ServiceError."""
    chosen = [f for f in files if not _is_blank_part(f)]
    if len(chosen) > MAX_FILES:
        raise ServiceError(f"每次最多上传{MAX_FILES}个文件（本次选择了{len(chosen)}个）")
    limit = max_bytes()
    uploads: list[Upload] = []
    errors: list[str] = []
    for file in chosen:
        if isinstance(file, Upload):  # checked already: services validate first, then pass these on
            uploads.append(file)
            continue
        name = clean_filename(file.filename) or "未命名文件"
        ext = _extension(name)
        if ext not in CONTENT_TYPES:
            errors.append(f"文件 {name} 类型不支持（仅限图片、PDF、Word、Excel）")
            continue
        size = _size(file.stream)
        if size == 0:
            errors.append(f"文件 {name} 是空文件")
            continue
        if size > limit:
            errors.append(f"文件 {name} 超过{human_size(limit)}")
            continue
        try:
            # The sniffed image type wins: a PNG saved as .jpg is still served as what it really is.
            content_type = check_content(ext, file.stream, size) or CONTENT_TYPES[ext]
        except ContentRefused as refused:
            errors.append(f"文件「{name}」{refused}，未保存")
            continue
        uploads.append(Upload(file.stream, name, ext, content_type, size))
    if errors:
        raise ServiceError("；".join(errors))
    return uploads


def attachment_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "attachments"


def attachment_path(attachment: Attachment) -> Optional[Path]:
    """Where the attachment's file lives on the filesystem, or None if the stored name would leave the
    folder."""
    root = attachment_root().resolve()
    path = (root / attachment.stored_name).resolve()
    return path if path.is_relative_to(root) else None


def open_attachment(attachment: Attachment) -> Optional[BinaryIO]:
    """The attachment's content as a stream from wherever it is stored, or None if it is missing."""
    return get_store("attachments").open(attachment.stored_name)


def delete_files(paths: Iterable[Path]) -> None:
    """Remove files written for a transaction that did not commit; missing files are fine."""
    for path in paths:
        try:
            Path(path).unlink(missing_ok=True)
        except OSError:  # best effort: a leftover file is harmless, a crash here would hide the real error
            log.warning("could not remove attachment file %s", path)


def save_attachments(
    files: Iterable[Any], owner_type: str, owner_id: int, enterprise_id: int, actor: Optional[User]
) -> list[Path]:
    """Validate and store uploads, add their Attachment rows; returns the paths written."""
    uploads = validate_uploads(files)
    if not uploads:
        return []
    store = get_store("attachments")
    year = f"{today():%Y}"
    written: list[Path] = []
    try:
        for upload in uploads:
            stored_name = f"{year}/{uuid.uuid4().hex}.{upload.ext}"
            upload.stream.seek(0)
            if isinstance(store, FileStore):
                path = store.path(stored_name)
                assert path is not None, stored_name
                written.append(path)
            store.write(stored_name, upload.stream)
            db.session.add(
                Attachment(
                    owner_type=owner_type,
                    owner_id=owner_id,
                    enterprise_id=enterprise_id,
                    filename=upload.filename,
                    stored_name=stored_name,
                    content_type=upload.content_type,
                    size=upload.size,
                    uploaded_by_id=actor.id if actor else None,
                )
            )
        db.session.flush()
    except BaseException:
        delete_files(written)
        raise
    db.session.info.setdefault(_PENDING_KEY, []).extend(written)
    return written


@event.listens_for(Session, "after_commit")
def _keep_committed_files(session: Session) -> None:
    if not session.in_nested_transaction():  # releasing a savepoint is not the final word
        session.info.pop(_PENDING_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _remove_uncommitted_files(session: Session, transaction) -> None:
    # Runs after after_commit, so anything still pending belongs to a transaction that did not commit.
    if transaction.parent is None and session.info.get(_PENDING_KEY):
        delete_files(session.info.pop(_PENDING_KEY))
