"""Background import of large files: the import page queues a file above its row cap, and the
`imports` job (crm.jobs) works through the queue in small steps, committing between them so the task
page can show how far it has got.

A task goes queued → checking → importing → done, or ends refused (a bad row: nothing imported, the
upload kept for the error workbook) or failed (anything else). Checking and importing call the same
import_enterprises() as the page and the CLI; the import itself is one all-or-nothing transaction.
"""

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO, Optional

from flask import current_app
from sqlalchemy import select

from crm.extensions import db
from crm.models import ImportTask, User
from crm.models.imports import IMPORT_TASK_RUNNING
from crm.permissions import can
from crm.services import ServiceError
from crm.services.imports.enterprises import import_enterprises, import_limits
from crm.services.imports.uploads import (
    store_import_upload,
    stored_upload_path,
    undo_import_upload,
)
from crm.timeutil import utcnow

ERRORS_LISTED = 20  # the task page lists this many errors, then says how many more
RECENT_TASKS = 10
INTERRUPTED = "导入中断：后台任务所在进程已退出，本次未导入任何数据，请重新上传"
GONE = "导入文件已不存在（可能已过期被清理），请重新上传"
UNEXPECTED = "后台导入时发生系统错误，本次未导入任何数据，请稍后重新上传或联系系统管理员"


@dataclass(frozen=True)
class Received:
    """An accepted upload: previewed on the page (token) or queued for the imports job (task)."""

    token: str
    task: Optional[ImportTask] = None


def receive_import_upload(
    stream: BinaryIO, filename: str, actor: User, include_hidden: bool = False
) -> Received:
    """Store an upload read in full within the import's limits; a file above the page's row cap is
    queued as an ImportTask (flushed), a smaller one is left for the page's preview."""
    if not can(actor, "enterprise.import"):
        raise ServiceError("没有导入企业的权限")
    token, rows = store_import_upload(stream, filename, actor, import_limits(web=False))
    if rows <= int(current_app.config.get("IMPORT_WEB_MAX_ROWS", 1_000)):
        return Received(token)
    try:
        task = queue_import(token, Path(filename).name, actor, rows, include_hidden)
    except BaseException:
        undo_import_upload(token)
        raise
    return Received(token, task)


def queue_import(
    token: str, filename: str, actor: User, rows: int, include_hidden: bool = False
) -> ImportTask:
    """Queue a stored upload for the imports job (flushes)."""
    if not can(actor, "enterprise.import"):
        raise ServiceError("没有导入企业的权限")
    task = ImportTask(
        token=token,
        filename=filename[:200],
        created_by_id=actor.id,
        rows_total=rows,
        include_hidden=include_hidden,
        status="queued",
        stage="排队等待后台导入",
    )
    db.session.add(task)
    db.session.flush()
    return task


def recent_import_tasks(actor: User, limit: int = RECENT_TASKS) -> list[ImportTask]:
    """The actor's own latest tasks, newest first (the import page's list)."""
    stmt = (
        select(ImportTask)
        .where(ImportTask.created_by_id == actor.id)
        .order_by(ImportTask.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def import_task_file(task: ImportTask) -> Path:
    """The task's stored upload (for the error workbook), or a ServiceError once it is gone."""
    path = stored_upload_path(task.token)
    if path is None:
        raise ServiceError(GONE)
    return path


def fail_interrupted_import_tasks(now: Optional[datetime] = None) -> int:
    """Tasks left checking or importing by a run that died (the job's lock says none is running):
    they failed, and their transaction was never committed. Flushes; returns how many."""
    stmt = select(ImportTask).where(ImportTask.status.in_(("checking", "importing")))
    tasks = list(db.session.scalars(stmt))
    for task in tasks:
        _end(task, "failed", INTERRUPTED, now)
    db.session.flush()
    return len(tasks)


def claim_next_import_task(now: Optional[datetime] = None) -> Optional[int]:
    """Mark the oldest queued task checking (flushes); its id, or None when the queue is empty."""
    task = db.session.scalar(
        select(ImportTask).where(ImportTask.status == "queued").order_by(ImportTask.id).limit(1)
    )
    if task is None:
        return None
    task.status = "checking"
    task.stage = f"正在检查 {task.rows_total} 行数据"
    db.session.flush()
    return task.id


def check_import_task(task_id: int, today: date, now: Optional[datetime] = None) -> bool:
    """Check every row (nothing written); a bad row ends the task refused, keeping the upload for the
    error workbook; otherwise it is marked importing. Flushes; True when the import may go ahead."""
    task = db.session.get_one(ImportTask, task_id)
    path = stored_upload_path(task.token)
    if path is None:
        _end(task, "failed", GONE, now)
        return False
    result = import_enterprises(path, task.created_by, today, dry_run=True, keep_hidden=task.include_hidden)
    task.rows_checked = len(result.rows)
    if not result.ok:
        errors = result.errors
        more = f"……等共 {len(errors)} 处错误" if len(errors) > ERRORS_LISTED else ""
        _end(task, "refused", "\n".join(errors[:ERRORS_LISTED]) + more, now)
        task.stage = "文件中有错误，未导入任何数据，请下载错误报告修改后重新上传"
        return False
    task.status = "importing"
    task.stage = f"检查通过，正在导入 {len(result.planned)} 行"
    db.session.flush()
    return True


def apply_import_task(task_id: int, today: date, now: Optional[datetime] = None) -> ImportTask:
    """Import the whole file in the caller's transaction (checked again: the registry may have changed
    since) and mark the task done with its counts; refused as in check_import_task. Flushes."""
    task = db.session.get_one(ImportTask, task_id)
    path = import_task_file(task)
    result = import_enterprises(path, task.created_by, today, keep_hidden=task.include_hidden)
    task.rows_checked = len(result.rows)
    if not result.applied:
        _end(task, "refused", "\n".join(result.errors[:ERRORS_LISTED]), now)
        task.stage = "文件中有错误，未导入任何数据，请下载错误报告修改后重新上传"
        return task
    task.created, task.updated = result.created, result.updated
    task.summary = result.summary()[:500]
    _end(task, "done", None, now)
    task.stage = f"导入完成：{task.summary}"
    db.session.flush()
    return task


def fail_import_task(task_id: int, message: str, now: Optional[datetime] = None) -> None:
    """End a task failed with a Chinese message (after the caller rolled its transaction back). Flushes."""
    task = db.session.get(ImportTask, task_id)
    if task is not None and task.status in IMPORT_TASK_RUNNING:
        _end(task, "failed", message, now)
        task.stage = "导入失败，未导入任何数据"
        db.session.flush()


def _end(task: ImportTask, status: str, error: Optional[str], now: Optional[datetime]) -> None:
    task.status = status
    task.error = error
    task.finished_at = now or utcnow()
    if status == "failed":
        task.stage = "导入失败，未导入任何数据"
