"""Stored import uploads: UPLOAD_FOLDER/imports/<token>.<ext>, with <token>.json naming the uploader.

An upload is kept only once it was read in full within the import page's limits; a refused file (or one
whose check failed in any way) is deleted at once, and unconfirmed uploads are deleted after a day.
"""

import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from crm.models import User
from crm.services import ServiceError
from crm.services.common.spreadsheets import SpreadsheetLimits
from crm.services.imports.enterprises import import_limits
from crm.services.imports.parse import SUPPORTED_EXTENSIONS, ImportFileError, file_extension, read_import_file


class UploadNotFound(ServiceError):
    """No stored upload with this token belongs to this user."""


TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
UPLOAD_MAX_AGE = 24 * 3600  # seconds an abandoned (never committed) upload is kept


@dataclass
class StoredUpload:
    token: str
    path: Path
    filename: str


def _upload_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "imports"


def _purge_stale(folder: Path) -> None:
    cutoff = time.time() - UPLOAD_MAX_AGE
    for item in folder.iterdir():
        try:
            if item.stat().st_mtime < cutoff:
                item.unlink()
        except OSError:  # another worker removed it first
            continue


def save_import_upload(stream: BinaryIO, filename: str, actor: User) -> str:
    """Store an uploaded import file for actor once it reads within the page's limits; returns its token."""
    return store_import_upload(stream, filename, actor, import_limits(web=True))[0]


def store_import_upload(
    stream: BinaryIO, filename: str, actor: User, limits: SpreadsheetLimits
) -> tuple[str, int]:
    """Store an uploaded import file for actor once it reads in full within limits; returns its token
    and its number of data rows."""
    ext = file_extension(filename)
    if ext not in SUPPORTED_EXTENSIONS:
        raise ImportFileError("只支持 .xlsx 或 .csv 文件（.xls 请在 Excel 中另存为 .xlsx）")
    folder = _upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    _purge_stale(folder)
    token = secrets.token_hex(16)
    path = folder / f"{token}.{ext}"
    try:
        with path.open("wb") as out:
            shutil.copyfileobj(stream, out)
        meta = {"user_id": actor.id, "filename": Path(filename).name, "ext": ext, "uploaded_at": time.time()}
        (folder / f"{token}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        # The whole file is checked and read here, so a bomb is refused before a preview is offered.
        rows = len(read_import_file(path, limits).records)
    except BaseException:  # refused, or the check itself failed: nothing stays behind
        discard_import_upload(token)
        raise
    return token, rows


def get_import_upload(token: str, actor: User) -> StoredUpload:
    """The stored upload with this token if actor uploaded it, else UploadNotFound."""
    if not TOKEN_RE.match(token or ""):
        raise UploadNotFound("导入文件不存在或已过期")
    folder = _upload_folder()
    try:
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UploadNotFound("导入文件不存在或已过期") from None
    path = folder / f"{token}.{meta.get('ext')}"
    if meta.get("user_id") != actor.id or meta.get("ext") not in SUPPORTED_EXTENSIONS or not path.exists():
        raise UploadNotFound("导入文件不存在或已过期")
    return StoredUpload(token=token, path=path, filename=meta.get("filename") or path.name)


def stored_upload_path(token: str) -> Path | None:
    """The stored file of an upload whatever its owner (a queued import task's), or None once gone."""
    if not TOKEN_RE.match(token or ""):
        return None
    for item in _upload_folder().glob(f"{token}.*"):
        if item.suffix.lstrip(".") in SUPPORTED_EXTENSIONS:
            return item
    return None


def discard_import_upload(token: str) -> None:
    """Delete a stored upload and its owner record (after a commit, or when it cannot be read)."""
    if not TOKEN_RE.match(token or ""):
        return
    for item in _upload_folder().glob(f"{token}.*"):
        item.unlink(missing_ok=True)
