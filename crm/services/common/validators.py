"""Small field parsers shared by services: each returns a clean value or raises a Chinese ServiceError."""

import re
from collections.abc import Container
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

from crm.services import ServiceError
from crm.services.common.creditcode import keep_text, normalize_text

# Numeric(16, 2) columns hold at most 14 digits before the point.
MAX_NUMBER = Decimal(10) ** 14
CENT = Decimal("0.01")
FIRST_PERIOD = "2000-01"
PERIOD_AHEAD_MONTHS = 12
_PERIOD_RE = re.compile(r"(\d{4})-(\d{2})")
# Characters no typed text may hold: the C0 controls (tab, line feed and carriage return only in
# multi-line text), DEL, the C1 controls, the bidirectional embeddings, overrides and isolates (they
# make stored text read differently from what it is) and the noncharacters U+FFFE/U+FFFF. Nobody means
# to type them; they arrive pasted from other systems, and most cannot even be written into an .xlsx
# (PostgreSQL refuses NUL outright).
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff"
_CONTROL_RE = re.compile(f"[{_CONTROLS}]")
# One-line fields (names, titles, phones) take no line or paragraph break and no tab either.
_ONE_LINE_CONTROL_RE = re.compile(f"[{_CONTROLS}\t\n\r\u2028\u2029]")
CONTROL_CHARS = "含有不可见的控制字符，请删除后重新输入"


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not normalize_text(value))


def has_control_chars(value: Any, multiline: bool = False) -> bool:
    """Whether typed text holds a character refused above; whitespace at either end does not count
    (it is trimmed anyway)."""
    pattern = _CONTROL_RE if multiline else _ONE_LINE_CONTROL_RE
    return isinstance(value, str) and pattern.search(value.strip()) is not None


def strip_control_chars(value: str, multiline: bool = False) -> str:
    """value without the characters refused above: for a log of what someone typed, not for data."""
    return (_CONTROL_RE if multiline else _ONE_LINE_CONTROL_RE).sub("", value)


def control_char_error(value: Any, label: str, multiline: bool = False) -> Optional[str]:
    """The Chinese refusal naming the field when value holds control characters, else None."""
    return f"{label}{CONTROL_CHARS}" if has_control_chars(value, multiline) else None


def refuse_control_chars(value: Any, label: str, multiline: bool = False) -> None:
    """Raise the Chinese ServiceError naming the field when value holds control characters."""
    if (message := control_char_error(value, label, multiline)) is not None:
        raise ServiceError(message)


def refuse_control_chars_in(typed: dict[str, Any], multiline: Container[str] = ()) -> None:
    """Raise one ServiceError naming every field of typed (label -> value) holding control characters;
    multiline: the labels of multi-line fields."""
    errors = [
        message
        for label, value in typed.items()
        if (message := control_char_error(value, label, multiline=label in multiline)) is not None
    ]
    if errors:
        raise ServiceError("；".join(errors))


def clean_text(value: Any, label: str, max_len: int, required: bool = False) -> Optional[str]:
    """One line of text as typed (full-width punctuation kept), whitespace collapsed, trimmed; None
    when empty. Codes and numbers are width-folded by their own parsers, not here."""
    refuse_control_chars(value, label)
    text = keep_text(value)
    if not text:
        if required:
            raise ServiceError(f"{label}不能为空")
        return None
    if len(text) > max_len:
        raise ServiceError(f"{label}不能超过{max_len}字")
    return text


def clean_multiline(value: Any, label: str, max_len: int, required: bool = False) -> Optional[str]:
    """Free text (notes, descriptions): lines trimmed, line breaks kept, Chinese punctuation untouched."""
    refuse_control_chars(value, label, multiline=True)
    # No NFKC here: it would turn the prose's ，：（） into ASCII punctuation.
    lines = [line.strip() for line in str(value if value is not None else "").splitlines()]
    text = "\n".join(lines).strip()
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    if not text:
        if required:
            raise ServiceError(f"{label}不能为空")
        return None
    if len(text) > max_len:
        raise ServiceError(f"{label}不能超过{max_len}字")
    return text


def parse_decimal(value: Any, label: str, required: bool = False) -> Optional[Decimal]:
    """A non-negative amount with at most two decimals, from a form string, Decimal, int or float."""
    if _is_blank(value):
        if required:
            raise ServiceError(f"{label}不能为空")
        return None
    if isinstance(value, bool):
        raise ServiceError(f"{label}应为数字")
    if isinstance(value, Decimal):
        number = value
    else:
        # str() of a float is its shortest repr, so 0.1 stays 0.1 rather than 0.1000000000000000055…
        text = normalize_text(value).replace(",", "").replace(" ", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ServiceError(f"{label}应为数字") from None
    if not number.is_finite():
        raise ServiceError(f"{label}应为数字")
    if number < 0:
        raise ServiceError(f"{label}不能为负数")
    if number >= MAX_NUMBER:
        raise ServiceError(f"{label}数值过大")
    if number != number.quantize(CENT):
        raise ServiceError(f"{label}最多保留两位小数")
    return number.quantize(CENT)


def add_months(day: date, months: int) -> tuple[int, int]:
    """(year, month) of the calendar month `months` after day's month."""
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def latest_period(today: date) -> str:
    """The last month a sales period may name: twelve months after the current one."""
    year, month = add_months(today, PERIOD_AHEAD_MONTHS)
    return f"{year:04d}-{month:02d}"


def parse_period(value: Any, today: date, label: str = "销售期间") -> str:
    """A real month written YYYY-MM, from 2000-01 to twelve months after today's month."""
    text = normalize_text(value)
    if not text:
        raise ServiceError(f"{label}不能为空")
    match = _PERIOD_RE.fullmatch(text)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ServiceError(f"{label}应为YYYY-MM格式的真实月份，如 2026-10")
    last = latest_period(today)
    if not FIRST_PERIOD <= text <= last:
        raise ServiceError(f"{label}应在 {FIRST_PERIOD} 至 {last} 之间")
    return text


def parse_choice(value: Any, label: str, choices: dict[str, str], default: Optional[str] = None) -> str:
    """One of the codes of choices; blank means default, or an error when there is none."""
    code = normalize_text(value)
    if not code:
        if default is None:
            raise ServiceError(f"请选择{label}")
        return default
    if code not in choices:
        raise ServiceError(f"{label}取值无效")
    return code


def collect_errors(parsers: dict[str, Any], data: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    """Run field -> parser(value) over data; all errors at once, joined, as one ServiceError.

    With partial=True only the fields present in data are parsed (an update of some fields).
    """
    cleaned: dict[str, Any] = {}
    errors: list[str] = []
    for field, parser in parsers.items():
        if partial and field not in data:
            continue
        try:
            cleaned[field] = parser(data.get(field))
        except ServiceError as exc:
            errors.append(str(exc))
    if errors:
        raise ServiceError("；".join(errors))
    return cleaned
