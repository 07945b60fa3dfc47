"""后台导入: a large enterprise file queued from the import page and imported by the `imports` job."""

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.user import User
from crm.timeutil import utcnow

IMPORT_TASK_STATUSES = {
    "queued": "排队中",
    "checking": "正在检查",
    "importing": "正在导入",
    "done": "完成",
    "failed": "失败",
    "refused": "有错误，未导入",
}
IMPORT_TASK_RUNNING = ("queued", "checking", "importing")


class ImportTask(Model):
    """One queued import file: the stored upload (by token), who queued it and how far it has got."""

    __tablename__ = "import_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # the stored upload (imports/<token>.*)
    filename: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    stage: Mapped[str] = mapped_column(String(200), default="")  # what it is doing, in Chinese
    include_hidden: Mapped[bool] = mapped_column(default=False)
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_checked: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    summary: Mapped[str] = mapped_column(String(500), default="")
    error: Mapped[Optional[str]] = mapped_column(Text)
    finished_at: Mapped[Optional[datetime]]

    created_by: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ImportTask {self.id} {self.status}>"

    @property
    def status_label(self) -> str:
        return IMPORT_TASK_STATUSES.get(self.status, self.status)

    @property
    def running(self) -> bool:
        return self.status in IMPORT_TASK_RUNNING
