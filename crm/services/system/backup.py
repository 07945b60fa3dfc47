"""Backing up and restoring the database.

SQLite: sqlite3's online backup API copies the live file page by page under one read snapshot, so
the copy is consistent even while the app writes (WAL readers never block writers). PostgreSQL:
pg_dump/pg_restore do the same job properly; we print the exact commands rather than wrap them.
"""

import shlex
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional

from sqlalchemy.engine import URL, make_url

from crm.services import ServiceError

# A 联企通 database has these tables (alembic_version: it was built by `flask db upgrade`).
REQUIRED_TABLES = ("alembic_version", "enterprises", "users", "problems")
SQLITE_MAGIC = b"SQLite format 3\x00"
LOCK_WAIT_MS = 10_000


@dataclass
class BackupInfo:
    """What a backup file holds: its revision, size and a few row counts for the operator."""

    path: Path
    revision: str
    size: int
    enterprises: int
    problems: int


def database_kind(url: str | URL) -> str:
    """'sqlite', 'postgresql' or another backend name of a SQLAlchemy URL."""
    return make_url(url).get_backend_name()


def sqlite_file(url: str | URL) -> Path:
    """The file of a SQLite URL; an in-memory database has none and cannot be backed up."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise ServiceError("内存数据库无法备份，请使用数据库文件")
    return Path(database)


def _pg_args(url: str | URL) -> tuple[str, list[str]]:
    """Environment prefix and connection options of pg_dump/pg_restore; never the password."""
    u = make_url(url)
    args = []
    if u.host:
        args.append(f"--host={shlex.quote(u.host)}")
    if u.port:
        args.append(f"--port={u.port}")
    if u.username:
        args.append(f"--username={shlex.quote(u.username)}")
    sslmode = u.query.get("sslmode")
    env = f"PGSSLMODE={shlex.quote(str(sslmode))} " if sslmode else ""
    return env, args + [f"--dbname={shlex.quote(u.database or '')}"]


def pg_dump_command(url: str | URL, out: str | Path) -> str:
    """The pg_dump command (custom format, consistent snapshot) backing up this database to out."""
    env, args = _pg_args(url)
    return f"{env}pg_dump --format=custom --no-owner {' '.join(args)} --file={shlex.quote(str(out))}"


def pg_restore_command(url: str | URL, src: str | Path) -> str:
    """The pg_restore command putting a pg_dump file back into this database (replacing its tables)."""
    env, args = _pg_args(url)
    return f"{env}pg_restore --clean --if-exists --no-owner {' '.join(args)} {shlex.quote(str(src))}"


def postgresql_advice(url: str | URL, file: str | Path, restore: bool = False) -> str:
    """The Chinese explanation shown instead of a PostgreSQL backup or restore."""
    dump, back = pg_dump_command(url, file), pg_restore_command(url, file)
    lines = [
        "当前数据库为 PostgreSQL，本命令只处理 SQLite。请使用 PostgreSQL 自带的工具"
        + ("恢复：" if restore else "备份（在线执行，得到一致的快照，不影响系统使用）："),
        f"  {back if restore else dump}",
    ]
    if not restore:
        lines += ["恢复时（会覆盖该库中的同名表，请先停止应用）：", f"  {back}"]
    lines.append("命令中不含密码：请通过环境变量 PGPASSWORD 或 ~/.pgpass 提供。")
    return "\n".join(lines)


def _open_readonly(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=LOCK_WAIT_MS / 1000)
    con.execute(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
    return con


def _inspect(con: sqlite3.Connection, path: Path, what: str) -> BackupInfo:
    """Integrity and identity of a 联企通 SQLite database; ServiceError (Chinese) when it is not one."""
    try:
        check = [row[0] for row in con.execute("PRAGMA integrity_check")]
        tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if check != ["ok"]:
            raise ServiceError(f"{what}已损坏（integrity_check：{'；'.join(check[:3])}）")
        missing = [t for t in REQUIRED_TABLES if t not in tables]
        if missing:
            raise ServiceError(f"{what}不是联企通数据库（缺少数据表：{'、'.join(missing)}）")
        revision = con.execute("SELECT version_num FROM alembic_version").fetchone()
        enterprises = con.execute("SELECT count(*) FROM enterprises").fetchone()[0]
        problems = con.execute("SELECT count(*) FROM problems").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise ServiceError(f"无法读取{what}：{exc}") from exc
    return BackupInfo(path, revision[0] if revision else "", path.stat().st_size, enterprises, problems)


def check_backup_file(path: Path) -> BackupInfo:
    """Verify that a file is a sound 联企通 SQLite database (integrity_check ok, alembic_version)."""
    if not path.is_file():
        raise ServiceError(f"备份文件不存在：{path}")
    with path.open("rb") as fh:
        if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise ServiceError(f"{path} 不是 SQLite 数据库文件")
    con = _open_readonly(path)
    try:
        return _inspect(con, path, "备份文件")
    finally:
        con.close()


def _copy(source: sqlite3.Connection, target_path: Path) -> None:
    """One-step online backup of source into target_path (pages=-1: a single consistent snapshot)."""
    target = sqlite3.connect(target_path, timeout=LOCK_WAIT_MS / 1000)
    try:
        target.execute(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
        source.backup(target)
    finally:
        target.close()


def backup_sqlite(db_file: Path, out: Path, overwrite: bool = False) -> BackupInfo:
    """Copy the live SQLite database to out with the online backup API; the result is checked."""
    if not db_file.is_file():
        raise ServiceError(f"数据库文件不存在：{db_file}")
    if out.resolve() == db_file.resolve():
        raise ServiceError("备份文件不能是数据库文件本身")
    if out.exists() and not overwrite:
        raise ServiceError(f"备份文件已存在：{out}（换一个文件名，或加 --force 覆盖）")
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    part.unlink(missing_ok=True)
    source = _open_readonly(db_file)
    try:
        _copy(source, part)
    except sqlite3.Error as exc:
        part.unlink(missing_ok=True)
        raise ServiceError(f"备份失败：{exc}") from exc
    finally:
        source.close()
    # A self-contained file (no -wal/-shm beside it), easy to copy off the machine.
    con = sqlite3.connect(part)
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    try:
        info = check_backup_file(part)
    except ServiceError:
        part.unlink(missing_ok=True)
        raise
    part.replace(out)  # the final name appears only once the copy is complete and checked
    info.path = out
    return info


def _has_tables(db_file: Path) -> bool:
    if not db_file.is_file() or db_file.stat().st_size == 0:
        return False
    con = _open_readonly(db_file)
    try:
        return con.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0
    finally:
        con.close()


def restore_sqlite(src: Path, db_file: Path, overwrite: bool = False) -> tuple[BackupInfo, Optional[Path]]:
    """Put a checked backup in place of the SQLite database; returns (info, safety copy of the old one).

    The current database is first backed up beside itself (*.before-restore-<time>), then the
    backup is copied in with the online backup API, which takes the database's write lock, so
    connections of a running app see either the old or the restored data, never a mix.
    """
    info = check_backup_file(src)
    if src.resolve() == db_file.resolve():
        raise ServiceError("备份文件就是当前数据库文件，无需恢复")
    safety = None
    if _has_tables(db_file):
        if not overwrite:
            raise ServiceError(f"数据库 {db_file} 中已有数据，恢复会覆盖它们；确认请加 --yes")
        safety = db_file.with_name(f"{db_file.name}.before-restore-{datetime.now():%Y%m%d-%H%M%S}")
        backup_sqlite(db_file, safety)
    db_file.parent.mkdir(parents=True, exist_ok=True)
    source = _open_readonly(src)
    try:
        _copy(source, db_file)
    except sqlite3.Error as exc:
        raise ServiceError(f"恢复失败：{exc}（原数据库已另存为 {safety}）") from exc
    finally:
        source.close()
    con = _open_readonly(db_file)
    try:
        _inspect(con, db_file, "恢复后的数据库")
    finally:
        con.close()
    return info, safety
