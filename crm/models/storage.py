"""Files kept in the database, for a cluster of hosts that share no disk (FILE_STORAGE = "database")."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import Model
from crm.timeutil import utcnow


class StoredFile(Model):
    """One stored file: its area (attachments, imports, reports) and key (its path inside the area)."""

    __tablename__ = "stored_files"
    __table_args__ = (UniqueConstraint("area", "key", name="uq_stored_files_area_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    chunks: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<StoredFile {self.area}/{self.key}>"


class StoredFileChunk(Model):
    """A piece of a stored file (CHUNK_BYTES each but the last), so no file is ever read whole."""

    __tablename__ = "stored_file_chunks"

    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
