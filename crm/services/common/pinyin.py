"""Pinyin initials for search (湘潭高新 -> xtgx)."""
from pypinyin import Style, lazy_pinyin


def initials(name: str) -> str:
    """Lower-case first letters of each character's pinyin; other characters kept as they are."""
    letters = lazy_pinyin(name or "", style=Style.FIRST_LETTER, errors=lambda chars: list(chars))
    return "".join(letters).lower().replace(" ", "")
