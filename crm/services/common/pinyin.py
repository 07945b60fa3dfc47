"""Pinyin initials for search (湘潭高新 -> xtgx)."""

import unicodedata

from pypinyin import Style, lazy_pinyin


def initials(name: str) -> str:
    """Lower-case first letters of each character's pinyin; other characters kept as they are."""
    # pypinyin accepts an errors callback returning a list (one item per character); its stubs only allow str.
    # Width-folded first, like the search box's query: a name kept as typed, 华宇（集团）, gives hy(jt).
    letters = lazy_pinyin(
        unicodedata.normalize("NFKC", name or ""),
        style=Style.FIRST_LETTER,
        errors=lambda chars: list(chars),  # type: ignore[arg-type,return-value]
    )
    return "".join(letters).lower().replace(" ", "")
