"""企业画像: a firm's qualifications (each with an optional recognition year) and its managed tags.

The registry's create and edit (crm.services.enterprises.registry) and the import call these; the values
arrive as {code: year or None} and a list of tag ids. Text as park ledgers write it (高企（2023）、专精特新)
is read by parse_qualifications; a word may carry its year before or after it.
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Optional

from sqlalchemy import ColumnElement, select

from crm.extensions import db
from crm.models import Enterprise, FirmQualification, Tag
from crm.models.profile import FIRST_QUALIFICATION_YEAR, QUALIFICATION_ORDER, QUALIFICATIONS
from crm.services import ServiceError

# What ledgers write, folded (see _fold), -> the qualification's code. The labels themselves are added below.
_ALIASES = {
    "高企": "hnte",
    "高新企业": "hnte",
    "高新技术": "hnte",
    "国家高新技术企业": "hnte",
    "国家级高新技术企业": "hnte",
    "科技型中小企业": "tech_sme",
    "科小": "tech_sme",
    "科技型企业": "tech_sme",
    "专精特新": "srdi",
    "专精特新企业": "srdi",
    "市级专精特新": "srdi",
    "市级专精特新中小企业": "srdi",
    "省级专精特新": "srdi_province",
    "省专精特新": "srdi_province",
    "省级专精特新企业": "srdi_province",
    "湖南省专精特新中小企业": "srdi_province",
    "小巨人": "little_giant",
    "专精特新小巨人": "little_giant",
    "专精特新小巨人企业": "little_giant",
    "国家级小巨人": "little_giant",
    "国家级专精特新小巨人": "little_giant",
    "国家专精特新小巨人": "little_giant",
    "瞪羚": "gazelle",
    "独角兽": "unicorn",
    "上市": "listed",
    "上市公司": "listed",
    "挂牌": "quoted",
    "新三板": "quoted",
    "新三板挂牌": "quoted",
    "新三板挂牌企业": "quoted",
    "区域股权市场挂牌": "quoted",
    "挂牌企业": "quoted",
}
SEPARATORS = re.compile(r"[、,，;；\n\r]+")
# A year written with the word: 2023, 2023年, （2023年认定）, 2023年度.
_YEAR_WORDS = re.compile(r"[（(]?\s*((?:19|20)\d{2})\s*年?(?:度)?(?:认定|获批|评定|入选)?\s*[）)]?")


def _fold(text: str) -> str:
    """Width, case, spaces and quotation marks ignored (国家级专精特新“小巨人”企业: no quotes)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if not ch.isspace() and ch not in "\"'“”‘’「」『』《》")


ALIASES: dict[str, str] = {_fold(label): code for code, label in QUALIFICATIONS.items()}
ALIASES |= {_fold(alias): code for alias, code in _ALIASES.items()}
ALIASES |= {_fold(code): code for code in QUALIFICATIONS}
MAX_QUALIFICATION_TEXT = 300


def qualification_code(text: str) -> Optional[str]:
    """The code a word names (高企, 专精特新, 国家级专精特新“小巨人”企业 …), else None."""
    return ALIASES.get(_fold(text))


def _check_year(year: int, today: date, label: str) -> int:
    if not FIRST_QUALIFICATION_YEAR <= year <= today.year:
        raise ServiceError(f"{label}的认定年份应在{FIRST_QUALIFICATION_YEAR}年至{today.year}年之间")
    return year


def parse_qualification(item: str, today: date) -> tuple[str, Optional[int]]:
    """One word of a 资质 cell: (code, year or None); ServiceError says why it is not one."""
    year = None
    match = _YEAR_WORDS.search(item)
    word = item
    if match is not None:
        year = int(match.group(1))
        word = (item[: match.start()] + item[match.end() :]).strip(" -·:：")
    code = qualification_code(word)
    if code is None:
        raise ServiceError(f"“{item}”不是可识别的资质，可选：{'、'.join(QUALIFICATIONS.values())}")
    if year is not None:
        _check_year(year, today, QUALIFICATIONS[code])
    return code, year


def parse_qualifications(text: str, today: date) -> dict[str, Optional[int]]:
    """A 资质 cell (values separated by 、 or , …) as {code: year}; every problem in one ServiceError."""
    if len(text) > MAX_QUALIFICATION_TEXT:
        raise ServiceError(f"不能超过{MAX_QUALIFICATION_TEXT}字")
    found: dict[str, Optional[int]] = {}
    errors: list[str] = []
    for item in (part.strip() for part in SEPARATORS.split(text)):
        if not item:
            continue
        try:
            code, year = parse_qualification(item, today)
        except ServiceError as exc:
            errors.append(str(exc))
            continue
        if found.get(code) is None:  # the same one twice: the one with a year wins
            found[code] = year
    if errors:
        raise ServiceError("；".join(errors))
    return found


def clean_qualifications(value: Mapping[str, Any], today: date) -> dict[str, Optional[int]]:
    """{code: year} from a form or a caller: known codes, years blank or within range."""
    cleaned: dict[str, Optional[int]] = {}
    errors: list[str] = []
    for code, raw in value.items():
        if code not in QUALIFICATIONS:
            errors.append("资质取值无效")
            continue
        if raw in (None, ""):
            cleaned[code] = None
            continue
        try:
            year = int(unicodedata.normalize("NFKC", str(raw)).strip())
        except ValueError:
            errors.append(f"{QUALIFICATIONS[code]}的认定年份应为四位数字，如 2023")
            continue
        try:
            cleaned[code] = _check_year(year, today, QUALIFICATIONS[code])
        except ServiceError as exc:
            errors.append(str(exc))
    if errors:
        raise ServiceError("；".join(dict.fromkeys(errors)))
    return cleaned


def qualification_text(values: Mapping[str, Optional[int]]) -> str:
    """高新技术企业（2023年）、专精特新中小企业 — in the reference list's order; "" for none."""
    codes = sorted(values, key=lambda c: QUALIFICATION_ORDER.get(c, 99))
    return "、".join(
        f"{QUALIFICATIONS[c]}（{values[c]}年）" if values[c] else QUALIFICATIONS[c] for c in codes
    )


def firm_qualifications(firm: Enterprise) -> dict[str, Optional[int]]:
    return {q.code: q.year for q in firm.qualifications}


def offered_tags(keep: Iterable[int] = ()) -> list[Tag]:
    """The tags a picker offers: the active ones, plus retired ones a firm or policy already holds."""
    held = [i for i in keep if i]
    clause: ColumnElement[bool] = Tag.is_active.is_(True)
    if held:
        clause = clause | Tag.id.in_(held)
    return list(db.session.scalars(select(Tag).where(clause).order_by(Tag.sort_order, Tag.id)))


def clean_tag_ids(values: Iterable[Any], held: Iterable[int] = ()) -> list[int]:
    """Tag ids that exist; a retired tag only if the record already holds it."""
    ids: list[int] = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ServiceError("标签取值无效") from None
        if number not in ids:
            ids.append(number)
    if not ids:
        return []
    # get() answers from the identity map when the caller holds the tags (an import does): no query per row.
    tags = {i: tag for i in ids if (tag := db.session.get(Tag, i)) is not None}
    if len(tags) != len(ids):
        raise ServiceError("标签不存在，请刷新页面后重新选择")
    keep = set(held)
    retired = [tags[i].name for i in ids if not tags[i].is_active and i not in keep]
    if retired:
        raise ServiceError(f"标签“{'、'.join(retired)}”已停用，请选择其他标签")
    return ids


def apply_profile(
    firm: Enterprise,
    qualifications: Optional[Mapping[str, Optional[int]]] = None,
    tag_ids: Optional[list[int]] = None,
    keep_years: bool = False,
) -> dict[str, tuple[Optional[str], Optional[str]]]:
    """Set the firm's qualifications and/or tags (None leaves that part alone); returns what changed as
    {"qualifications" | "tags": (old text, new text)} for the audit. keep_years: a qualification given
    without a year keeps the year already recorded (an import whose ledger omits it)."""
    changes: dict[str, tuple[Optional[str], Optional[str]]] = {}
    if qualifications is not None:
        old = firm_qualifications(firm)
        new = dict(qualifications)
        if keep_years:
            new = {code: year if year is not None else old.get(code) for code, year in new.items()}
        if new != old:
            by_code = {q.code: q for q in firm.qualifications}
            for code in [c for c in by_code if c not in new]:
                firm.qualifications.remove(by_code[code])
            for code, year in new.items():
                if code in by_code:
                    by_code[code].year = year
                else:
                    firm.qualifications.append(FirmQualification(code=code, year=year))
            changes["qualifications"] = (qualification_text(old) or None, qualification_text(new) or None)
    if tag_ids is not None:
        old_ids = [t.id for t in firm.tags]
        if set(old_ids) != set(tag_ids):
            old_names = firm.tag_names
            tags = [db.session.get_one(Tag, i) for i in tag_ids]
            firm.tags = sorted(tags, key=lambda t: (t.sort_order, t.id))
            changes["tags"] = (old_names or None, firm.tag_names or None)
    return changes
