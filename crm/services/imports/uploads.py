"""Stored import uploads: <token>.<ext>, with <token>.json naming the uploader, in the file store's
"imports" area (UPLOAD_FOLDER/imports, or the database when hosts share no disk).

An upload is kept only once it was read in full within the import page's limits; a refused file (or one
whose check failed in any way) is deleted at once, and unconfirmed uploads are deleted after a day.
The spreadsheet readers want a path: on the database the file is copied to this host's cache folder the
first time the host needs it (the host that received the upload already has it there).
"""

import io
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
from crm.services.storage.store import FileStore, Store, get_store

META_MAX_BYTES = 4096


class UploadNotFound(ServiceError):
    """No stored upload with this token belongs to this user."""


TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
UPLOAD_MAX_AGE = 24 * 3600  # seconds an abandoned (never committed) upload is kept


@dataclass
class StoredUpload:
    token: str
    path: Path
    filename: str


def _store() -> Store:
    return get_store("imports")


def _cache_folder() -> Path:
    """This host's working copies of uploads (the database backend's local cache)."""
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "imports-cache"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _purge_stale() -> None:
    _store().purge_older_than(UPLOAD_MAX_AGE)
    cutoff = time.time() - UPLOAD_MAX_AGE
    for item in _cache_folder().iterdir():
        try:
            if item.stat().st_mtime < cutoff:
                item.unlink()
        except OSError:  # another worker removed it first
            continue


def _meta(token: str) -> dict | None:
    stream = _store().open(f"{token}.json")
    if stream is None:
        return None
    with stream:
        try:
            meta = json.loads(stream.read(META_MAX_BYTES).decode("utf-8"))
        except ValueError:
            return None
    return meta if isinstance(meta, dict) and meta.get("ext") in SUPPORTED_EXTENSIONS else None


def _local_path(token: str, ext: str) -> Path | None:
    """A path on this host to the stored file, or None once it is gone."""
    store, key = _store(), f"{token}.{ext}"
    if isinstance(store, FileStore):
        path = store.path(key)
        return path if path is not None and path.is_file() else None
    cached = _cache_folder() / key
    if cached.is_file():
        return cached
    stream = store.open(key)
    if stream is None:
        return None
    partial = cached.with_name(f".{cached.name}.{secrets.token_hex(4)}.tmp")
    with stream, partial.open("wb") as out:
        shutil.copyfileobj(stream, out)
    partial.replace(cached)
    return cached


def save_import_upload(stream: BinaryIO, filename: str, actor: User) -> str:
    """Store an uploaded import file for actor once it reads within the page's limits; returns its token."""
    return store_import_upload(stream, filename, actor, import_limits(web=True))[0]


def store_import_upload(
    stream: BinaryIO, filename: str, actor: User, limits: SpreadsheetLimits
) -> tuple[str, int]:
    """Store an uploaded import file for actor once it reads in full within limits; returns its token
    and its number of data rows. The file joins the store in the caller's transaction."""
    ext = file_extension(filename)
    if ext not in SUPPORTED_EXTENSIONS:
        raise ImportFileError("只支持 .xlsx 或 .csv 文件（.xls 请在 Excel 中另存为 .xlsx）")
    _purge_stale()
    token = secrets.token_hex(16)
    work = _cache_folder() / f"{token}.{ext}"
    store = _store()
    try:
        with work.open("wb") as out:
            shutil.copyfileobj(stream, out)
        # The whole file is checked and read here, so a bomb is refused before a preview is offered.
        rows = len(read_import_file(work, limits).records)
        meta = {"user_id": actor.id, "filename": Path(filename).name, "ext": ext, "uploaded_at": time.time()}
        with work.open("rb") as data:
            store.write(f"{token}.{ext}", data)
        store.write(f"{token}.json", io.BytesIO(json.dumps(meta, ensure_ascii=False).encode("utf-8")))
    except BaseException:  # refused, or the check itself failed: nothing stays behind
        undo_import_upload(token)
        raise
    if isinstance(store, FileStore):
        work.unlink(missing_ok=True)  # the stored file is on this disk already
    return token, rows


def get_import_upload(token: str, actor: User) -> StoredUpload:
    """The stored upload with this token if actor uploaded it, else UploadNotFound."""
    if not TOKEN_RE.match(token or ""):
        raise UploadNotFound("导入文件不存在或已过期")
    meta = _meta(token)
    if meta is None or meta.get("user_id") != actor.id:
        raise UploadNotFound("导入文件不存在或已过期")
    path = _local_path(token, meta["ext"])
    if path is None:
        raise UploadNotFound("导入文件不存在或已过期")
    return StoredUpload(token=token, path=path, filename=meta.get("filename") or path.name)


def stored_upload_path(token: str) -> Path | None:
    """The stored file of an upload whatever its owner (a queued import task's), or None once gone."""
    if not TOKEN_RE.match(token or ""):
        return None
    meta = _meta(token)
    return _local_path(token, meta["ext"]) if meta else None


def discard_import_upload(token: str) -> None:
    """Delete a stored upload and its owner record (after a commit, or when it cannot be read)."""
    if not TOKEN_RE.match(token or ""):
        return
    store = _store()
    for ext in (*SUPPORTED_EXTENSIONS, "json"):
        store.discard(f"{token}.{ext}")
        (_cache_folder() / f"{token}.{ext}").unlink(missing_ok=True)


def undo_import_upload(token: str) -> None:
    """Remove an upload stored in a transaction that is about to roll back: the database's copy goes
    with the rollback; files on disk (the filesystem store's, this host's cache) are removed here."""
    if not TOKEN_RE.match(token or ""):
        return
    store = _store()
    for ext in (*SUPPORTED_EXTENSIONS, "json"):
        if isinstance(store, FileStore):
            store.delete(f"{token}.{ext}")
        (_cache_folder() / f"{token}.{ext}").unlink(missing_ok=True)
