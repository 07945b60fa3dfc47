"""Workbooks of the policy library: the import template (with a 填写说明 sheet) and the library export."""

from collections.abc import Iterable
from datetime import date
from io import BytesIO

from crm.models import Policy
from crm.models.enterprise import SCALE_TYPES, SIZES
from crm.models.policy import BENEFIT_KINDS, LEVELS
from crm.models.profile import QUALIFICATIONS
from crm.reporting.exports.xlsx import write_sheets
from crm.services.policies.importer import COLUMNS, REQUIRED
from crm.services.policies.matching import PolicyCounts

HELP = {
    "title": "政策全称（必填）；同一文号（无文号时同一名称）再次导入时更新已有政策",
    "issuer": "发文机关（必填），如 湘潭市科学技术局",
    "level": "必填：" + "/".join(LEVELS.values()),
    "doc_no": "如 潭科发〔2026〕12号",
    "summary": "必填：用企业看得懂的话写清支持什么、怎么申报",
    "valid_from": "日期，如 2026-01-01",
    "valid_to": "日期；过期后不再匹配企业",
    "apply_to": "申报截止日期；截止前按“截止前提醒天数”提醒联企干部",
    "benefit_kind": "必填：" + "/".join(BENEFIT_KINDS.values()),
    "max_amount": "单位万元；登记兑现金额时不能超过",
    "contact": "企业向谁咨询，如 科技局 张科长 0731-58880000",
    "remind_days": "1至90，默认10",
    "owner": "仅系统管理员填写：政策所属园区；不填为全市政策",
    "parks": "全市政策适用的园区，多个用顿号分隔；不填为不限",
    "chains": "多个用顿号分隔，具备其一即可；不填为不限",
    "sizes": "/".join(SIZES.values()) + "，多个用顿号分隔",
    "scale_type": "/".join(SCALE_TYPES.values()) + "/不限",
    "qualifications": "具备其一即可，多个用顿号分隔：" + "、".join(QUALIFICATIONS.values()),
    "qualified_since": "四位年份：资质在该年及以后认定的才符合",
    "tags": "标签库中的标签，具备其一即可",
    "founded_from": "日期：在该日及以后成立的企业",
    "founded_to": "日期：在该日及以前成立的企业",
    "status": "发布/草稿，默认发布",
}
EXAMPLE = {
    "title": "示例：高新技术企业认定奖励",
    "issuer": "湘潭市科学技术局",
    "level": "市级",
    "doc_no": "潭科发〔2026〕12号",
    "summary": "对2026年首次认定的高新技术企业给予一次性奖励20万元。",
    "valid_from": date(2026, 1, 1),
    "valid_to": date(2026, 12, 31),
    "apply_from": date(2026, 10, 1),
    "apply_to": date(2026, 11, 30),
    "benefit_kind": "资金补助",
    "max_amount": 20,
    "contact": "科技局 张科长 0731-58880000",
    "qualifications": QUALIFICATIONS["hnte"],
    "qualified_since": 2026,
    "status": "草稿",
}


def policy_import_template() -> BytesIO:
    """The policy import template: the headers (required ones marked *), an example row, a 填写说明 sheet."""
    keys = list(COLUMNS)
    headers = [COLUMNS[k] + ("*" if k in REQUIRED else "") for k in keys]
    widths = [30 if k in ("title", "summary", "body") else 16 for k in keys]
    notes = [(COLUMNS[k], HELP.get(k, "")) for k in keys]
    notes.append(("说明", "第1行为表头；“示例”行请删除后再导入。文件中任何一行有错误时整个文件都不会导入。"))
    return write_sheets(
        [
            ("政策", headers, [[EXAMPLE.get(k) for k in keys]], widths),
            ("填写说明", ["列名", "填写说明"], notes, [20, 80]),
        ]
    )


LIBRARY_HEADERS = [
    "政策名称", "发文机关", "层级", "文号", "支持方式", "最高支持金额(万元)", "有效期止", "申报截止", "状态",
    "匹配企业", "待送达", "已送达", "已申报", "已兑现", "兑现金额(万元)",
]  # fmt: skip


def export_policy_library(policies: Iterable[Policy], counts: dict[int, PolicyCounts]) -> BytesIO:
    """The library as listed, with its figures."""
    rows = (
        [
            p.title,
            p.issuer,
            p.level_label,
            p.doc_no,
            p.benefit_label,
            p.max_amount,
            p.valid_to,
            p.apply_to,
            p.status_label,
            counts[p.id].matched,
            counts[p.id].pending,
            counts[p.id].reached,
            counts[p.id].applied,
            counts[p.id].approved,
            counts[p.id].amount,
        ]  # fmt: skip
        for p in policies
    )
    widths = [36, 20, 8, 20, 10, 12, 12, 12, 8, 9, 9, 9, 9, 9, 12]
    return write_sheets([("政策库", LIBRARY_HEADERS, rows, widths)])
