"""Enterprise import, what one cell or one field says on its own, judged once per distinct value.

A park's 台账 repeats most values down a column (the park, the chain, the size, 是/否, the legal
representative, the contact, the address); only the name and the credit code differ on every row.
How a cell reads, whether it holds control characters, and what validate_enterprise_data says of a
field depend on that one value alone, so an import keeps each verdict per column and value (Verdicts)
and the row checks in validate.py reuse it instead of converting and checking every cell again. The
rows' messages, their order and the values read are the same as judging every cell afresh
(tests/unit/test_import_cells.py compares the two).
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any, Optional, TypeVar

from crm.services.common.validators import has_control_chars
from crm.services.enterprises.registry import (
    FIELD_LABELS,
    FOLDED_TEXT_FIELDS,
    MULTILINE_FIELDS,
    TEXT_FIELDS,
    clean_enterprise_data,
    validate_enterprise_data,
)
from crm.services.imports.parse import (
    TEXT_LIMITS,
    cell_keep,
    cell_text,
    to_amount,
    to_bool,
    to_choice,
    to_date,
    to_int,
)
from crm.services.imports.profile_cells import size_cell

T = TypeVar("T")
MEMO_LIMIT = 4096  # values kept per column: past it (names, codes) a cell is judged afresh each time
_MISSING = object()
CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "scale_type": lambda v: to_choice("scale_type", v),
    "status": lambda v: to_choice("status", v),
    "is_key": to_bool,
    "founded_on": to_date,
    "headcount": to_int,
    "output_last_year": to_amount,
    "tax_last_year": to_amount,
}
# The order in which validate_enterprise_data reports its fields (a test holds it to the function).
VALIDATE_ORDER = (
    "name",
    "credit_code",
    "park_id",
    "chain_id",
    "scale_type",
    "size",
    "status",
    "headcount",
    "output_last_year",
    "tax_last_year",
    "founded_on",
)
# A cell that reads as a field value, or the reason it cannot: (True, value) or (False, message).
Reading = tuple[bool, Any]
TEXT_KEYS = (*TEXT_FIELDS, "credit_code")
REST_FIELDS = VALIDATE_ORDER[2:]  # the fields after the name and the code


class Memo(dict):
    """One column's verdicts by value, kept up to a limit (past it, a value is judged afresh)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def judged(self, key: Any, judge: Callable[..., T], *args: Any) -> T:
        """The verdict kept for key, else judge(*args), kept while there is room."""
        found = self.get(key, _MISSING)
        if found is _MISSING:
            found = judge(*args)
            if len(self) < self.limit:
                self[key] = found
        return found


def _key(value: Any) -> Any:
    """A value as a memo key: its type goes with it (1, 1.0 and True are equal as dict keys)."""
    return value if type(value) is str else (type(value), value)


class Verdicts:
    """The verdicts of one import, per purpose and column, each kept up to MEMO_LIMIT values."""

    def __init__(self, limit: Optional[int] = None) -> None:
        self.limit = MEMO_LIMIT if limit is None else limit
        self.texts = {key: Memo(self.limit) for key in TEXT_KEYS}  # in TEXT_KEYS order
        self.cells: dict[str, Memo] = defaultdict(self._memo)
        self.controls: dict[str, Memo] = defaultdict(self._memo)
        self.plain: dict[str, Memo] = defaultdict(self._memo)
        self.fields: dict[str, Memo] = defaultdict(self._memo)
        self.rest = Memo(self.limit)

    def _memo(self) -> Memo:
        return Memo(self.limit)

    def text(self, column: str, value: Any) -> str:
        """cell_text(value) of a cell of column."""
        return self.plain[column].judged(_key(value), cell_text, value)


def _text_cell(key: str, value: Any) -> tuple[Optional[str], Optional[str]]:
    """A text field's cell: its cleaned value (None when blank) and the length refusal, if any."""
    # Names and free text as typed; the phone and the credit code width-folded.
    raw = cell_text(value) if key in (*FOLDED_TEXT_FIELDS, "credit_code") else cell_keep(value)
    cleaned = clean_enterprise_data({key: raw})[key]
    if cleaned in (None, ""):
        return None, None
    limit = TEXT_LIMITS.get(key)
    return cleaned, f"不能超过{limit}字" if limit is not None and len(cleaned) > limit else None


def _converted(convert: Callable[[Any], Any], value: Any) -> Optional[Reading]:
    """A converted column's cell: None when blank, else (True, value) or (False, the refusal)."""
    if not cell_text(value):
        return None
    try:
        return True, convert(value)
    except ValueError as exc:
        return False, str(exc)


def _above(value: Any) -> Any:
    return "above" if to_bool(value) else "below"


def control_chars(verdicts: Verdicts, values: dict[str, Any]) -> list[str]:
    """The row's columns whose cell, as typed, holds control characters."""
    texts = [value for value in values.values() if isinstance(value, str)]
    # What a cell holds inside its own trimmed text stays inside the row's texts joined by spaces, and
    # the one-line check refuses everything the multi-line one does: a row passing it as a whole
    # passes cell by cell (nearly every row).
    if not texts or not has_control_chars(" ".join(texts)):
        return []
    return [
        key
        for key, value in values.items()
        if verdicts.controls[key].judged(_key(value), has_control_chars, value, key in MULTILINE_FIELDS)
    ]


def read_cells(verdicts: Verdicts, values: dict[str, Any], add: Callable[[str, str], None]) -> dict[str, Any]:
    """The row's non-blank cells as cleaned model field values; conversion problems go to add()."""
    given: dict[str, Any] = {}
    too_long: dict[str, str] = {}
    for key, memo in verdicts.texts.items():
        if key in values:
            value = values[key]
            cleaned, refusal = memo.judged(_key(value), _text_cell, key, value)
            if cleaned is not None:
                given[key] = cleaned
            if refusal is not None:
                too_long[key] = refusal
    for key in TEXT_LIMITS:
        if key in too_long:
            add(key, too_long[key])
    for key, convert in CONVERTERS.items():
        value = values.get(key)
        if value is None:  # a blank cell reads as nothing (cell_text(None) is "")
            continue
        reading = verdicts.cells[key].judged(_key(value), _converted, convert, value)
        if reading is not None:
            if reading[0]:
                given[key] = reading[1]
            else:
                add(key, reading[1])
    value = values.get("is_above")
    if value is not None:
        reading = verdicts.cells["is_above"].judged(_key(value), _converted, _above, value)
        if reading is not None:
            if reading[0]:
                given["scale_type"] = reading[1]
            else:
                add("is_above", reading[1])
    return given


def size_reading(verdicts: Verdicts, values: dict[str, Any]) -> Any:
    """size_cell() of the row's 企业规模 cell."""
    value = values.get("size")
    return None if value is None else verdicts.cells["size"].judged(_key(value), size_cell, value)


def _field_verdict(field: str, value: Any) -> Optional[str]:
    return validate_enterprise_data({field: value}, check_unique=False).get(field)


def _rest_verdicts(verdicts: Verdicts, values: tuple[Any, ...]) -> tuple[tuple[str, str], ...]:
    """(field, message) of the REST_FIELDS values that validate_enterprise_data refuses, in order."""
    found = []
    for field, value in zip(REST_FIELDS, values, strict=True):
        message = verdicts.fields[field].judged(_key(value), _field_verdict, field, value)
        if message is not None:
            found.append((field, message))
    return tuple(found)


def new_firm_problems(verdicts: Verdicts, data: dict[str, Any], code_error: Optional[str]) -> dict[str, str]:
    """validate_enterprise_data(data, check_unique=False) for a new firm, field by field.

    With no firm on file and the uniqueness queries off, no rule of the function reads two fields, so a
    field's verdict is the function's verdict on that field alone: a name's is decided by its length, a
    credit code's by its credit_code_error, any other field's by its value. The fields after those two
    repeat together down a file (the park, the chain, the size), so their verdicts are kept as a whole.
    """
    problems: dict[str, str] = {}
    name, code = data.get("name"), data.get("credit_code")
    message = verdicts.fields["name"].judged(len(name) if name else 0, _field_verdict, "name", name)
    if message is not None:
        problems["name"] = message
    message = verdicts.fields["credit_code"].judged(
        (bool(code), code_error), _field_verdict, "credit_code", code
    )
    if message is not None:
        problems["credit_code"] = message
    rest = tuple(map(data.get, REST_FIELDS))
    try:
        problems.update(verdicts.rest.judged(rest, _rest_verdicts, verdicts, rest))
    except TypeError:  # a value that cannot be a key (none the cells give): field by field
        problems.update(_rest_verdicts(verdicts, rest))
    return problems


assert set(VALIDATE_ORDER) <= set(FIELD_LABELS), "validate_enterprise_data reports model fields"
assert VALIDATE_ORDER[:2] == ("name", "credit_code")
