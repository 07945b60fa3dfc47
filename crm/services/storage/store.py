"""One interface over the two places a file can live, chosen by the FILE_STORAGE setting.

Keys are relative paths inside an area ("2026/ab12….jpg"); an area maps to a folder on the filesystem
(AREAS) or to rows of stored_files on the database. Files are written and read in CHUNK_BYTES pieces
so no file is ever held whole in memory. Database writes join the caller's transaction, so a file and
the row that names it commit (or vanish) together; filesystem writes go through a temporary file and an
atomic rename, and the caller removes them if its transaction fails (as the attachment service does).
"""

import io
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, Optional, Protocol

from flask import current_app
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from crm.extensions import db
from crm.models import StoredFile, StoredFileChunk
from crm.services import ServiceError
from crm.timeutil import utcnow

CHUNK_BYTES = 256 * 1024
BACKENDS = {"filesystem": "文件系统", "database": "数据库"}
# The folder of each area on the filesystem: a config key and a subfolder under it.
AREAS = {
    "attachments": ("UPLOAD_FOLDER", "attachments"),
    "imports": ("UPLOAD_FOLDER", "imports"),
    "reports": ("REPORTS_FOLDER", ""),
}


def backend_name() -> str:
    name = current_app.config.get("FILE_STORAGE") or "filesystem"
    if name not in BACKENDS:
        raise ServiceError(f"未知的文件存储方式：{name}（可选：filesystem、database）")
    return name


def _safe_key(key: str) -> str:
    """A relative path with no way out of its area."""
    parts = key.replace("\\", "/").split("/")
    if not key or key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"bad storage key: {key!r}")
    return "/".join(parts)


class Store(Protocol):
    area: str

    def write(self, key: str, stream: BinaryIO) -> int: ...
    def open(self, key: str) -> Optional[BinaryIO]: ...
    def size(self, key: str) -> Optional[int]: ...
    def delete(self, key: str) -> None: ...
    def discard(self, key: str) -> None: ...
    def purge_older_than(self, seconds: float) -> None: ...
    def keys(self) -> Iterator[str]: ...
    def local_path(self, key: str): ...


class FileStore:
    """Files under the area's folder (created on first use)."""

    def __init__(self, area: str) -> None:
        self.area = area
        config_key, sub = AREAS[area]
        self.root = (
            Path(current_app.config[config_key]) / sub if sub else Path(current_app.config[config_key])
        )

    def path(self, key: str) -> Optional[Path]:
        """The file's path, or None if the key would leave the area's folder."""
        try:
            key = _safe_key(key)
        except ValueError:
            return None
        root = self.root.resolve()
        path = (root / key).resolve()
        return path if path.is_relative_to(root) else None

    def write(self, key: str, stream: BinaryIO) -> int:
        path = self.path(key)
        if path is None:
            raise ValueError(f"bad storage key: {key!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            with tmp.open("xb") as out:
                shutil.copyfileobj(stream, out, CHUNK_BYTES)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return path.stat().st_size

    def open(self, key: str) -> Optional[BinaryIO]:
        path = self.path(key)
        if path is None or not path.is_file():
            return None
        return path.open("rb")

    def size(self, key: str) -> Optional[int]:
        path = self.path(key)
        return path.stat().st_size if path is not None and path.is_file() else None

    def delete(self, key: str) -> None:
        path = self.path(key)
        if path is not None:
            path.unlink(missing_ok=True)

    def discard(self, key: str) -> None:
        """Delete now, whatever the caller's transaction does (the filesystem has none)."""
        self.delete(key)

    def purge_older_than(self, seconds: float) -> None:
        """Remove files not touched for this long (abandoned uploads)."""
        cutoff = time.time() - seconds
        for key in list(self.keys()):
            path = self.path(key)
            try:
                if path is not None and path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:  # another worker removed it first
                continue

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                yield path.relative_to(self.root).as_posix()

    @contextmanager
    def local_path(self, key: str) -> Iterator[Optional[Path]]:
        path = self.path(key)
        yield path if path is not None and path.is_file() else None


class ChunkReader(io.RawIOBase):
    """Reads a stored file chunk by chunk on a connection of its own, so a response can stream it after
    the request's session is gone. Closing it returns the connection."""

    def __init__(self, file_id: int, chunks: int) -> None:
        self._conn: Optional[Connection] = db.engine.connect()
        self._file_id, self._chunks, self._seq = file_id, chunks, 0
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer and self._seq < self._chunks:
            assert self._conn is not None, "read after close"
            stmt = select(StoredFileChunk.data).where(
                StoredFileChunk.file_id == self._file_id, StoredFileChunk.seq == self._seq
            )
            self._buffer = bytes(self._conn.execute(stmt).scalar_one())
            self._seq += 1
        count = min(len(target), len(self._buffer))
        target[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        return count

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        super().close()


class DatabaseStore:
    """Files as rows of stored_files with their chunks, written in the caller's transaction."""

    def __init__(self, area: str) -> None:
        self.area = area

    def _row(self, key: str) -> Optional[tuple[int, int, int]]:
        stmt = select(StoredFile.id, StoredFile.size, StoredFile.chunks).where(
            StoredFile.area == self.area, StoredFile.key == key
        )
        row = db.session.execute(stmt).first()
        return (row.id, row.size, row.chunks) if row else None

    def write(self, key: str, stream: BinaryIO) -> int:
        key = _safe_key(key)
        self.delete(key)
        file = StoredFile(area=self.area, key=key)
        db.session.add(file)
        db.session.flush()
        size = seq = 0
        while chunk := stream.read(CHUNK_BYTES):
            db.session.execute(insert(StoredFileChunk).values(file_id=file.id, seq=seq, data=chunk))
            size += len(chunk)
            seq += 1
        file.size, file.chunks = size, seq
        db.session.flush()
        return size

    def open(self, key: str) -> Optional[BinaryIO]:
        row = self._row(key)
        if row is None:
            return None
        return io.BufferedReader(ChunkReader(row[0], row[2]), CHUNK_BYTES)

    def size(self, key: str) -> Optional[int]:
        row = self._row(key)
        return row[1] if row else None

    def delete(self, key: str) -> None:
        row = self._row(key)
        if row is not None:
            db.session.execute(delete(StoredFileChunk).where(StoredFileChunk.file_id == row[0]))
            db.session.execute(delete(StoredFile).where(StoredFile.id == row[0]))

    def discard(self, key: str) -> None:
        """Delete in a transaction of its own and commit it, whatever the caller's session does next."""
        with db.engine.begin() as conn:
            ids = select(StoredFile.id).where(StoredFile.area == self.area, StoredFile.key == key)
            conn.execute(delete(StoredFileChunk).where(StoredFileChunk.file_id.in_(ids)))
            conn.execute(delete(StoredFile).where(StoredFile.area == self.area, StoredFile.key == key))

    def purge_older_than(self, seconds: float) -> None:
        cutoff = utcnow() - timedelta(seconds=seconds)
        with db.engine.begin() as conn:
            ids = select(StoredFile.id).where(StoredFile.area == self.area, StoredFile.created_at < cutoff)
            conn.execute(delete(StoredFileChunk).where(StoredFileChunk.file_id.in_(ids)))
            conn.execute(
                delete(StoredFile).where(StoredFile.area == self.area, StoredFile.created_at < cutoff)
            )

    def keys(self) -> Iterator[str]:
        stmt = select(StoredFile.key).where(StoredFile.area == self.area).order_by(StoredFile.key)
        yield from db.session.scalars(stmt).all()

    @contextmanager
    def local_path(self, key: str) -> Iterator[Optional[Path]]:
        """A temporary copy on disk for readers that want a path (spreadsheet parsers); removed after."""
        source = self.open(key)
        if source is None:
            yield None
            return
        suffix = Path(key).suffix
        with source, tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as out:
            shutil.copyfileobj(source, out, CHUNK_BYTES)
        try:
            yield Path(out.name)
        finally:
            Path(out.name).unlink(missing_ok=True)


def get_store(area: str, backend: Optional[str] = None) -> Store:
    """The store of an area under the configured backend (or the one named)."""
    if area not in AREAS:
        raise ValueError(f"unknown storage area: {area}")
    name = backend or backend_name()
    return DatabaseStore(area) if name == "database" else FileStore(area)
