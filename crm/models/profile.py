"""企业画像: a firm's qualifications (高新技术企业, 专精特新 …, each with the year it was recognised) and
its managed tags (a list admins keep), beside the size and 规上/规下 held on the firm itself.

Qualifications are a fixed reference list (codes stored, Chinese labels shown) because policies are
written for exactly these; tags are free to grow, but only admins add to the list, so one idea has one
spelling and a policy can ask for it.
"""

from datetime import datetime
from typing import Optional

from sqlalchemy import Column, ForeignKey, Index, String, Table, true
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import Model
from crm.timeutil import utcnow

# code -> label, in the order pickers, exports and explanations list them.
QUALIFICATIONS: dict[str, str] = {
    "hnte": "高新技术企业",
    "tech_sme": "科技型中小企业",
    "srdi": "专精特新中小企业",
    "srdi_province": "省级专精特新中小企业",
    "little_giant": "国家级专精特新“小巨人”企业",
    "gazelle": "瞪羚企业",
    "unicorn": "独角兽企业",
    "listed": "上市企业",
    "quoted": "挂牌企业（新三板/区域股权市场）",
}
QUALIFICATION_ORDER = {code: index for index, code in enumerate(QUALIFICATIONS)}
# The earliest recognition year a form or file may give (the 高新技术企业 scheme dates from 1991).
FIRST_QUALIFICATION_YEAR = 1990


class FirmQualification(Model):
    """One qualification a firm holds; year is the year it was recognised (认定年份), if known."""

    __tablename__ = "firm_qualifications"
    # Matching asks "which firms hold code X": answered from this index alone.
    __table_args__ = (Index("ix_firm_qualifications_code", "code", "enterprise_id", "year"),)

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(24), primary_key=True)
    year: Mapped[Optional[int]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<FirmQualification firm={self.enterprise_id} {self.code} {self.year}>"

    @property
    def label(self) -> str:
        return QUALIFICATIONS.get(self.code, self.code)

    @property
    def text(self) -> str:
        """高新技术企业（2023年）"""
        return f"{self.label}（{self.year}年）" if self.year else self.label


class Tag(Model):
    """A managed tag (画像标签). Retired tags stay on the firms that have them but are not offered."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30), unique=True)
    sort_order: Mapped[int] = mapped_column(default=0, server_default="0")
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Tag {self.name}>"


enterprise_tags = Table(
    "enterprise_tags",
    Model.metadata,
    Column("enterprise_id", ForeignKey("enterprises.id"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id"), primary_key=True, index=True),
)
