"""Enterprise import, the 画像 cells: 规上/规下 inside a 企业规模 cell, the 资质 column and managed 标签."""

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Optional, cast

from crm.models import Enterprise
from crm.models.enterprise import SCALE_TYPES
from crm.services import ServiceError
from crm.services.enterprises.profile import parse_qualifications, qualification_code
from crm.services.imports.parse import CHOICES, cell_keep, cell_text, header_key
from crm.timeutil import today

if TYPE_CHECKING:  # the registry reads cells through cells.py, which reads the size cell from here
    from crm.services.imports.registry import Registry

# 规上/规下 written inside a 企业规模 cell (many ledgers have no 规模类型 column): longest words first.
SCALE_WORDS = {"规模以上": "above", "规模以下": "below", "规上": "above", "规下": "below"}
_SIZE_PARTS = re.compile(r"[\s·・.,，、/／;；|()（）\-—_+]+")
SIZE_CHOICES_TEXT = "可选：大型/中型/小型/微型（可同时填写 规上/规下，如 规上·中型）"


def to_size_and_scale(value: Any) -> tuple[str | None, str | None]:
    """A 企业规模 cell: (size code or None, scale code or None) from 中型, 规上, 规模以上, 规上·中型 …"""
    text = cell_text(value).replace(" ", "")
    rest, scale = text, cast(Optional[str], None)
    for word, scale_code in SCALE_WORDS.items():
        if word in rest:
            if scale is not None and scale != scale_code:
                raise ValueError(f"“{text}”同时写了规上和规下，请只保留一个")
            scale = scale_code
            rest = rest.replace(word, " ")
    size: Optional[str] = None
    for part in _SIZE_PARTS.split(rest):
        word = part.removesuffix("企业")
        if not word:
            continue
        code = CHOICES["size"].get(word) or CHOICES["size"].get(word.upper())
        if code is None or (size is not None and size != code):
            raise ValueError(f"“{text}”不是有效取值，{SIZE_CHOICES_TEXT}")
        size = code
    if size is None and scale is None:
        raise ValueError(f"“{text}”不是有效取值，{SIZE_CHOICES_TEXT}")
    return size, scale


def split_words(value: Any) -> list[str]:
    """A cell holding several values separated by 、 , ， ; or line breaks, as its words."""
    return [word.strip() for word in re.split(r"[、,，;；\n\r]+", cell_keep(value)) if word.strip()]


def size_cell(value: Any) -> tuple[str | None, str | None] | str | None:
    """A 企业规模 cell: None when blank, else to_size_and_scale's (size, scale) or its refusal."""
    if not cell_text(value):
        return None
    try:
        return to_size_and_scale(value)
    except ValueError as exc:
        return str(exc)


def read_scale(
    values: dict[str, Any],
    given: dict[str, Any],
    add: Callable[[str, str], None],
    reading: tuple[str | None, str | None] | str | None = None,
) -> None:
    """企业规模 may hold 规上/规下 besides (or instead of) 大中小微: 规上·中型 sets both fields; it must
    agree with a 规模类型 or 是否规上 cell of the same row. reading: size_cell() of the cell, if known."""
    if reading is None:
        reading = size_cell(values.get("size"))
    if reading is None:
        return
    if isinstance(reading, str):
        add("size", reading)
        return
    size, scale = reading
    if size is not None:
        given["size"] = size
    if scale is None:
        return
    stated = given.get("scale_type")
    if stated is not None and stated != scale:
        column = "【是否规上】" if cell_text(values.get("is_above")) else "【规模类型】"
        add("size", f"中的“{SCALE_TYPES[scale]}”与{column}“{SCALE_TYPES[stated]}”不一致")
    else:
        given["scale_type"] = scale


def read_profile(
    values: dict[str, Any], given: dict[str, Any], add: Callable[[str, str], None], reg: "Registry"
) -> dict[str, None]:
    """资质 ({code: year}) and 标签 (tag ids, by name) into given; returns the qualifications a 标签 cell
    names (专精特新 written as a tag), which add to the firm's rather than replace them."""
    if cell_text(values.get("qualifications")):
        try:
            given["qualifications"] = parse_qualifications(cell_keep(values["qualifications"]), today())
        except ServiceError as exc:
            add("qualifications", str(exc))
    from_tags: dict[str, None] = {}
    if not cell_text(values.get("tags")):
        return from_tags
    ids: list[int] = []
    unknown: list[str] = []
    for word in split_words(values["tags"]):
        tag = reg.tags_by_key.get(header_key(word))
        if tag is not None:
            if tag.id not in ids:
                ids.append(tag.id)
        elif (code := qualification_code(word)) is not None:
            from_tags[code] = None
            reg.tag_words_as_quals.add(word)
        else:
            unknown.append(word)
    if unknown:
        offered = "、".join(t.name for t in reg.tags if t.is_active)
        hint = f"可选：{offered}" if offered else "标签库为空，请先由系统管理员在“标签库”中添加"
        add("tags", f"“{'、'.join(unknown)}”不在标签库中，{hint}")
    elif ids or not from_tags:
        given["tag_ids"] = ids
    return from_tags


def plan_profile(
    firm: Enterprise | None,
    given: dict[str, Any],
    from_tags: dict[str, None],
    reg: "Registry",
    add: Callable[[str, str], None],
) -> None:
    """The row's 画像 against the registered firm's: unchanged values leave plan.data; a retired tag is
    refused unless the firm has it already."""
    held_quals = reg.firm_quals.get(firm.id, {}) if firm is not None else {}
    held_tags = reg.firm_tags.get(firm.id, set()) if firm is not None else set()
    if from_tags:
        base = given.get("qualifications", held_quals)
        given["qualifications"] = dict(base) | {c: base.get(c) for c in from_tags}
    if "qualifications" in given and firm is not None:
        # A qualification named without a year keeps the year on record (update_enterprise does so too).
        kept = {c: y if y is not None else held_quals.get(c) for c, y in given["qualifications"].items()}
        if kept == held_quals:
            del given["qualifications"]
    chosen = set(given.get("tag_ids", ()))
    retired = [t.name for t in reg.tags if t.id in chosen and not t.is_active and t.id not in held_tags]
    if retired:
        add("tags", f"“{'、'.join(retired)}”已停用，请选择其他标签")
    if "tag_ids" in given and firm is not None and set(given["tag_ids"]) == held_tags:
        del given["tag_ids"]
