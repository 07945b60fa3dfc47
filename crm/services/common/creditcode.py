"""统一社会信用代码 (GB 32100-2015): normalisation and check digit."""

import unicodedata

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalize_text(value: object) -> str:
    """Full-width to half-width (NFKC), collapse inner whitespace runs, trim."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).replace("\u3000", " ")
    return " ".join(text.split())


def keep_text(value: object) -> str:
    """Text as typed (full-width brackets and punctuation kept): whitespace runs collapsed, trimmed."""
    if value is None:
        return ""
    return " ".join(str(value).split())


def fold_key(value: object) -> str:
    """What two spellings of one name share: NFKC, case-folded, without any whitespace."""
    if value is None:
        return ""
    return "".join(unicodedata.normalize("NFKC", str(value)).casefold().split())


def normalize_credit_code(value: object) -> str:
    """Half-width, no spaces, upper case."""
    return normalize_text(value).replace(" ", "").upper()


def check_digit(first17: str) -> str:
    """The 18th character for the given first 17."""
    total = sum(CHARSET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def credit_code_error(code: str) -> str | None:
    """None if code is a valid credit code, else a Chinese explanation."""
    if len(code) != 18:
        return f"统一社会信用代码应为18位，当前为{len(code)}位"
    bad = sorted({ch for ch in code if ch not in CHARSET})
    if bad:
        return f"统一社会信用代码含有非法字符：{''.join(bad)}（不使用 I、O、Z、S、V）"
    if check_digit(code[:17]) != code[17]:
        return "统一社会信用代码校验位错误，请核对"
    return None


def is_valid_credit_code(code: str) -> bool:
    return credit_code_error(code) is None
