"""报表: a generated monthly workbook stored under REPORTS_FOLDER (the file itself is never in the DB)."""

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.org import Park
from crm.models.user import User
from crm.timeutil import utcnow


class GeneratedReport(Model):
    """One generated workbook: a month for one park (park_id) or all parks (park_id None)."""

    __tablename__ = "generated_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    park_id: Mapped[Optional[int]] = mapped_column(ForeignKey("parks.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))  # the download name (Chinese)
    stored_name: Mapped[str] = mapped_column(String(200), unique=True)  # path under REPORTS_FOLDER
    size: Mapped[int] = mapped_column(default=0)
    # Set for the scheduler's run ("monthly:2026-10:all"): unique, so the job never makes a second file.
    auto_key: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))  # None: the scheduler
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    park: Mapped[Optional[Park]] = relationship()
    created_by: Mapped[Optional[User]] = relationship()

    def __repr__(self) -> str:
        return f"<GeneratedReport {self.month} park={self.park_id}>"

    @property
    def scope_label(self) -> str:
        return self.park.name if self.park else "全部园区"

    @property
    def version(self) -> Optional[int]:
        """The closed month's version an official workbook was made for (its auto_key ends :v2 from the
        second on); None for a workbook generated on demand."""
        if not self.auto_key:
            return None
        tail = self.auto_key.rsplit(":", 1)[-1]
        return int(tail[1:]) if tail.startswith("v") and tail[1:].isdigit() else 1

    @property
    def month_label(self) -> str:
        year, month = self.month.split("-")
        return f"{year}年{int(month)}月"
