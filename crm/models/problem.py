"""问题: a firm's problem. This issue records it (待交办); the hand-off workflow comes next."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.enterprise import Enterprise
from crm.models.user import User
from crm.timeutil import utcnow

PROBLEM_CATEGORIES = {
    "finance": "融资", "land": "用地", "labour": "用工", "approval": "审批", "policy": "政策兑现",
    "utilities": "水电气要素", "logistics": "物流", "technology": "技术", "market": "市场", "other": "其他",
}
PROBLEM_URGENCIES = {"normal": "一般", "urgent": "紧急"}
PROBLEM_SOURCES = {"visit": "走访", "phone": "电话", "hotline": "12345", "window": "“办不成事”窗口",
                   "forum": "政企面对面", "other": "其他"}
PROBLEM_STATUSES = {
    "new": "待交办", "dispatched": "已交办", "in_progress": "办理中", "resolved": "已办结",
    "returned": "已退回", "closed": "已销号",
}
OPEN_STATUSES = ("new", "dispatched", "in_progress", "resolved", "returned")


class Problem(db.Model):
    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(16), index=True)
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    source: Mapped[str] = mapped_column(String(16), default="visit")
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    raised_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    visit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("visits.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    enterprise: Mapped[Enterprise] = relationship()
    raised_by: Mapped[Optional[User]] = relationship()

    def __repr__(self) -> str:
        return f"<Problem {self.id} {self.status}>"

    @property
    def category_label(self) -> str:
        return PROBLEM_CATEGORIES.get(self.category, self.category)

    @property
    def status_label(self) -> str:
        return PROBLEM_STATUSES.get(self.status, self.status)

    @property
    def urgency_label(self) -> str:
        return PROBLEM_URGENCIES.get(self.urgency, self.urgency)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
