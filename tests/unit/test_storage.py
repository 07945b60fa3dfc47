"""File storage on the filesystem or in the database: the same answers from both, streamed in chunks,
written in the caller's transaction (database), moved both ways by `crm storage migrate`."""

import io

import pytest
from sqlalchemy import func, select

from crm.extensions import db as _db
from crm.models import StoredFile, StoredFileChunk
from crm.services import ServiceError
from crm.services.storage import store as store_module
from crm.services.storage.migrate import migrate_files
from crm.services.storage.store import CHUNK_BYTES, ChunkReader, get_store

BIG = bytes(range(256)) * (CHUNK_BYTES // 256 * 2 + 7)  # two chunks and a bit


@pytest.fixture()
def folders(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    monkeypatch.setitem(app.config, "REPORTS_FOLDER", str(tmp_path / "reports"))
    return tmp_path


@pytest.mark.parametrize("backend", ["filesystem", "database"])
def test_write_read_size_delete(db, folders, backend):
    store = get_store("attachments", backend)
    assert store.write("2026/a.bin", io.BytesIO(BIG)) == len(BIG)
    db.session.commit()
    assert store.size("2026/a.bin") == len(BIG)
    stream = store.open("2026/a.bin")
    assert stream is not None
    with stream:
        assert stream.read() == BIG
    assert list(store.keys()) == ["2026/a.bin"]
    with store.local_path("2026/a.bin") as path:
        assert path is not None and path.read_bytes() == BIG
    store.delete("2026/a.bin")
    db.session.commit()
    assert store.open("2026/a.bin") is None and store.size("2026/a.bin") is None
    assert list(store.keys()) == []


@pytest.mark.parametrize("backend", ["filesystem", "database"])
@pytest.mark.parametrize("key", ["../x", "/etc/passwd", "a/../../b", "", "a//b"])
def test_keys_cannot_leave_the_area(db, folders, backend, key):
    store = get_store("reports", backend)
    with pytest.raises(ValueError):
        store.write(key, io.BytesIO(b"x"))
    assert store.open(key) is None


def test_database_files_are_chunked_and_commit_with_the_transaction(db, folders):
    store = get_store("imports", "database")
    store.write("t.xlsx", io.BytesIO(BIG))
    db.session.rollback()  # the caller's transaction failed: no file either
    assert store.size("t.xlsx") is None
    store.write("t.xlsx", io.BytesIO(BIG))
    db.session.commit()
    chunks = db.session.scalar(select(func.count()).select_from(StoredFileChunk))
    assert chunks == 3
    sizes = db.session.scalars(select(func.length(StoredFileChunk.data)).order_by(StoredFileChunk.seq)).all()
    assert max(sizes) == CHUNK_BYTES  # never a whole file in one row


def test_a_stream_reads_one_chunk_at_a_time_on_its_own_connection(db, folders, monkeypatch):
    store = get_store("reports", "database")
    store.write("m.xlsx", io.BytesIO(BIG))
    db.session.commit()
    reads = []
    original = ChunkReader.readinto

    def counting(self, target):
        reads.append(len(self._buffer))
        return original(self, target)

    monkeypatch.setattr(ChunkReader, "readinto", counting)
    stream = store.open("m.xlsx")
    db.session.remove()  # the request's session is gone while the response streams
    with stream:
        first = stream.read(10)
        assert first == BIG[:10]
        assert stream.read() == BIG[10:]


def test_rewriting_a_key_replaces_it(db, folders):
    store = get_store("reports", "database")
    store.write("r.xlsx", io.BytesIO(b"old"))
    store.write("r.xlsx", io.BytesIO(b"newer"))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 1
    with store.open("r.xlsx") as stream:
        assert stream.read() == b"newer"


def test_migrate_both_ways_and_again(db, folders):
    files = {"attachments": "2026/p.jpg", "imports": "tok.xlsx", "reports": "2026-10/m.xlsx"}
    for area, key in files.items():
        get_store(area, "filesystem").write(key, io.BytesIO(area.encode() * 1000))
    result = migrate_files("database")
    assert result.moved == {"attachments": 1, "imports": 1, "reports": 1}
    for area, key in files.items():
        assert get_store(area, "filesystem").size(key) is None  # moved, not copied
        with get_store(area, "database").open(key) as stream:
            assert stream.read() == area.encode() * 1000
    assert migrate_files("database").moved == {"attachments": 0, "imports": 0, "reports": 0}
    assert migrate_files("filesystem").moved == {"attachments": 1, "imports": 1, "reports": 1}
    assert (folders / "uploads" / "attachments" / "2026" / "p.jpg").read_bytes() == b"attachments" * 1000
    assert _db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_unknown_backend(app, db, folders, monkeypatch):
    with pytest.raises(ServiceError, match="未知的文件存储方式"):
        migrate_files("s3")
    monkeypatch.setitem(app.config, "FILE_STORAGE", "s3")
    with pytest.raises(ServiceError, match="未知的文件存储方式"):
        store_module.backend_name()


def test_cli_status_and_migrate(runner, folders):
    get_store("reports", "filesystem").write("x/y.xlsx", io.BytesIO(b"data"))
    out = runner.invoke(args=["crm", "storage", "migrate", "--to", "database"])
    assert out.exit_code == 0, out.output
    assert "已迁移到数据库" in out.output and "reports 1 个" in out.output
    status = runner.invoke(args=["crm", "storage", "status"])
    assert (
        "当前存储方式：文件系统" in status.output and "reports：文件系统 0 个，数据库 1 个" in status.output
    )
    bad = runner.invoke(args=["crm", "storage", "migrate", "--to", "s3"])
    assert bad.exit_code == 2
