"""Importing policies from a spreadsheet (.xlsx/.csv), with the registry import's rules: Chinese headers
and aliases, every row checked before anything is written, all or nothing, and a re-import of the same
file updating the policies it holds (by 文号, else by name, per owner) instead of duplicating them.

Each row goes through the same clean_policy_data() and create/update functions as the policy form.
"""

from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Optional, cast

from sqlalchemy import select

from crm.extensions import db
from crm.models import IndustryChain, Park, Policy, Tag, User
from crm.models.enterprise import SCALE_TYPES, SIZES
from crm.models.policy import BENEFIT_KINDS, LEVELS
from crm.permissions import can
from crm.services import ServiceError
from crm.services.common.spreadsheets import (
    Sheet,
    SpreadsheetError,
    SpreadsheetLimits,
    read_csv_sheet,
    read_xlsx_sheets,
)
from crm.services.enterprises.profile import qualification_code
from crm.services.imports.parse import cell_keep, cell_text, file_extension, header_key, to_amount, to_date
from crm.services.imports.profile_cells import split_words
from crm.services.policies.library import clean_policy_data, create_policy, publish_policy, update_policy

# key -> the template's header; the first two and summary, level and benefit_kind are required.
COLUMNS: dict[str, str] = {
    "title": "政策名称",
    "issuer": "发文机关",
    "level": "政策层级",
    "doc_no": "文号",
    "summary": "政策要点",
    "body": "政策全文",
    "valid_from": "有效期起",
    "valid_to": "有效期止",
    "apply_from": "申报开始",
    "apply_to": "申报截止",
    "benefit_kind": "支持方式",
    "max_amount": "最高支持金额(万元)",
    "contact": "咨询方式",
    "remind_days": "截止前提醒天数",
    "owner": "所属园区",
    "parks": "适用园区",
    "chains": "适用产业链",
    "sizes": "适用企业规模",
    "scale_type": "规模类型",
    "qualifications": "资质要求",
    "qualified_since": "资质认定年份不早于",
    "tags": "标签要求",
    "founded_from": "成立日期不早于",
    "founded_to": "成立日期不晚于",
    "status": "状态",
}
_EXTRA = {
    "title": ("名称", "政策标题", "政策"),
    "issuer": ("发文单位", "发布单位", "发布机关"),
    "level": ("层级", "级别"),
    "doc_no": ("政策文号", "发文字号"),
    "summary": ("要点", "政策摘要", "主要内容", "支持内容"),
    "body": ("全文", "政策原文"),
    "apply_from": ("申报开始日期", "申报起始日期"),
    "apply_to": ("申报截止日期", "截止日期"),
    "benefit_kind": ("扶持方式", "兑现方式"),
    "max_amount": ("最高金额", "最高支持金额", "最高额度"),
    "contact": ("咨询电话", "联系方式", "咨询"),
}
ALIASES = {header_key(label): key for key, label in COLUMNS.items()}
ALIASES |= {header_key(alias): key for key, aliases in _EXTRA.items() for alias in aliases}
REQUIRED = ("title", "issuer", "level", "summary", "benefit_kind")
LEVEL_WORDS = {v: k for k, v in LEVELS.items()} | {"国家级": "national", "省": "province", "市": "city"}
LEVEL_WORDS |= {"区": "district", "县": "district", "区级": "district", "县级": "district", "园区级": "park"}
BENEFIT_WORDS = {v: k for k, v in BENEFIT_KINDS.items()} | {v[:2]: k for k, v in BENEFIT_KINDS.items()}
SIZE_WORDS = {v: k for k, v in SIZES.items()} | {v[0]: k for k, v in SIZES.items()}
SCALE_WORDS = {v: k for k, v in SCALE_TYPES.items()} | {"规模以上": "above", "规模以下": "below", "不限": ""}
STATUS_WORDS = {"发布": True, "已发布": True, "草稿": False}
HEADER_ROWS = 5


@dataclass
class PolicyRow:
    row: int
    title: str = ""
    policy: Optional[Policy] = None  # the policy it updates
    data: dict[str, Any] = field(default_factory=dict)
    publish: bool = True
    errors: list[str] = field(default_factory=list)

    @property
    def action(self) -> str:
        return "错误" if self.errors else ("更新" if self.policy is not None else "新增")


@dataclass
class PolicyImport:
    rows: list[PolicyRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.file_errors and all(not r.errors for r in self.rows)

    @property
    def errors(self) -> list[str]:
        return self.file_errors + [f"第{r.row}行：{e}" for r in self.rows for e in r.errors]

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


def _sheet(path: Path, limits: SpreadsheetLimits) -> Sheet:
    ext = file_extension(path.name)
    if ext == "csv":
        return read_csv_sheet(path, limits)
    if ext != "xlsx":
        raise ServiceError("只支持 .xlsx 或 .csv 文件（.xls 请在 Excel 中另存为 .xlsx）")
    with closing(read_xlsx_sheets(path, limits)) as sheets:
        for sheet in sheets:
            return sheet
    raise ServiceError("文件中没有工作表")


def _header(rows: list[list[Any]]) -> Optional[int]:
    for idx, row in enumerate(rows[:HEADER_ROWS]):
        if {"title", "issuer"} <= {ALIASES.get(header_key(c)) for c in row}:
            return idx
    return None


def _choice(text: str, words: dict[str, str], label: str, allowed: dict[str, str]) -> str:
    code = words.get(text.replace(" ", ""))
    if code is None:
        raise ServiceError(f"{label}“{text}”无法识别，可选：{'/'.join(allowed.values())}")
    return code


class _Names:
    """Parks, chains and tags by name, fetched once."""

    def __init__(self) -> None:
        self.parks = {header_key(p.name): p for p in db.session.scalars(select(Park))}
        self.parks |= {header_key(p.code).upper(): p for p in self.parks.values()}
        self.chains = {header_key(c.name): c for c in db.session.scalars(select(IndustryChain))}
        self.tags = {header_key(t.name): t for t in db.session.scalars(select(Tag))}

    def ids(self, value: Any, table: dict, label: str) -> list[int]:
        found, unknown = [], []
        for word in split_words(value):
            row = table.get(header_key(word)) or table.get(header_key(word).upper())
            if row is None:
                unknown.append(word)
            else:
                found.append(row.id)
        if unknown:
            raise ServiceError(f"{label}“{'、'.join(unknown)}”不存在")
        return found


def _row_data(values: dict[str, Any], names: _Names) -> tuple[dict[str, Any], bool]:
    """The row as the policy form's data; conversion problems raise one ServiceError."""
    data: dict[str, Any] = {}
    errors: list[str] = []

    def cell(key: str, convert) -> None:
        if cell_text(values.get(key)):
            try:
                data[key] = convert(values[key])
            except (ServiceError, ValueError) as exc:
                errors.append(f"【{COLUMNS[key]}】{exc}")

    for key in ("title", "issuer", "doc_no", "summary", "body", "contact"):
        data[key] = cell_keep(values.get(key)) if key in values else None
    cell("level", lambda v: _choice(cell_text(v), LEVEL_WORDS, "层级", LEVELS))
    cell("benefit_kind", lambda v: _choice(cell_text(v), BENEFIT_WORDS, "支持方式", BENEFIT_KINDS))
    for key in ("valid_from", "valid_to", "apply_from", "apply_to", "founded_from", "founded_to"):
        cell(key, to_date)
    cell("max_amount", to_amount)
    cell("remind_days", cell_text)
    cell("qualified_since", cell_text)
    cell("scale_type", lambda v: _choice(cell_text(v), SCALE_WORDS, "规模类型", SCALE_TYPES))
    cell("sizes", lambda v: [_choice(w, SIZE_WORDS, "企业规模", SIZES) for w in split_words(v)])
    cell("qualifications", lambda v: [_qualification(w) for w in split_words(v)])
    cell("parks", lambda v: names.ids(v, names.parks, "园区"))
    cell("chains", lambda v: names.ids(v, names.chains, "产业链"))
    cell("tags", lambda v: names.ids(v, names.tags, "标签"))
    cell("owner", lambda v: names.ids(v, names.parks, "园区")[:1])
    status = cell_text(values.get("status")) or "发布"
    if status not in STATUS_WORDS:
        errors.append(f"【状态】“{status}”无法识别，可选：发布/草稿")
    if errors:
        raise ServiceError("；".join(errors))
    data["park_ids"], data["chain_ids"], data["tag_ids"] = (
        data.pop(k, []) for k in ("parks", "chains", "tags")
    )
    owner = data.pop("owner", None)
    data["park_id"] = owner[0] if owner else None
    return data, STATUS_WORDS[status]


def _qualification(word: str) -> str:
    code = qualification_code(word)
    if code is None:
        raise ServiceError(f"“{word}”不是可识别的资质")
    return code


def _existing(data: dict[str, Any], actor: User) -> Optional[Policy]:
    owner = data.get("park_id") if actor.role == "admin" else actor.park_id
    stmt = select(Policy).where(Policy.park_id.is_(None) if owner is None else Policy.park_id == owner)
    title = cell_keep(data.get("title"))
    doc_no = cell_keep(data.get("doc_no"))
    stmt = stmt.where(Policy.doc_no == doc_no) if doc_no else stmt.where(Policy.title == title)
    return db.session.scalars(stmt.limit(1)).first()


def read_policy_file(path: str | Path, actor: User, today: date, limits: SpreadsheetLimits) -> PolicyImport:
    """Check every row of a policy file (nothing is written)."""
    result = PolicyImport()
    try:
        rows = _sheet(Path(path), limits).rows
    except SpreadsheetError as exc:
        raise ServiceError(str(exc)) from exc
    at = _header(rows)
    if at is None:
        result.file_errors.append("未找到表头：应有【政策名称】【发文机关】等列，请使用政策导入模板")
        return result
    columns: dict[str, int] = {}
    for idx, cell in enumerate(rows[at]):
        key = ALIASES.get(header_key(cell))
        if key is None:
            if cell_text(cell):
                result.ignored.append(cell_text(cell))
        elif key in columns:
            result.file_errors.append(f"【{COLUMNS[key]}】列出现了两次")
        else:
            columns[key] = idx
    missing = [COLUMNS[k] for k in REQUIRED if k not in columns]
    if missing:
        result.file_errors.append("缺少必填列：" + "".join(f"【{m}】" for m in missing))
    if result.file_errors:
        return result
    names, seen = _Names(), cast(dict[tuple[Any, str], int], {})
    for number, row in enumerate(rows[at + 1 :], start=at + 2):
        values = {key: row[idx] if idx < len(row) else None for key, idx in columns.items()}
        example = cell_text(values.get("title")).startswith("示例")
        if example or not any(cell_text(v) for v in values.values()):
            continue  # the template's example, and blank rows
        plan = PolicyRow(number, title=cell_keep(values.get("title")))
        try:
            plan.data, plan.publish = _row_data(values, names)
            plan.policy = _existing(plan.data, actor)
            identity = (plan.data.get("park_id"), plan.data.get("doc_no") or plan.title)
            if identity in seen:
                raise ServiceError(f"与第{seen[identity]}行是同一项政策")
            seen[identity] = number
            clean_policy_data(plan.data, actor, today, plan.policy)
        except ServiceError as exc:
            plan.errors.append(str(exc))
        result.rows.append(plan)
    if not result.rows:
        result.file_errors.append("文件中没有政策数据（表头下每行填写一项政策）")
    return result


def import_policies(
    path: str | Path, actor: User, today: date, limits: SpreadsheetLimits, dry_run: bool = False
) -> PolicyImport:
    """Check a policy file and, unless dry_run or any error, write every row (caller commits)."""
    if not can(actor, "policy.manage"):
        raise ServiceError("没有导入政策的权限")
    result = read_policy_file(path, actor, today, limits)
    if not result.ok or dry_run:
        return result
    for plan in result.rows:
        try:
            if plan.policy is None:
                create_policy(actor, plan.data, today, publish=plan.publish)
            else:
                update_policy(actor, plan.policy, plan.data, today)
                if plan.publish and plan.policy.status != "published":
                    publish_policy(actor, plan.policy, today)
        except ServiceError as exc:
            raise ServiceError(f"第{plan.row}行：{exc}，本次导入未做任何修改") from exc
    result.applied = True
    return result
