"""The tokenizer of problem text: rjieba (jieba's dictionary and HMM in Rust, no network) in search
mode, so compounds also yield their parts (出口退税 → 出口, 退税, 出口退税), minus stop words, punctuation
and bare numbers. Similar cases, 共性问题 proposals and the hotspot terms all read words from here."""

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import rjieba
from bm25s.stopwords import STOPWORDS_CHINESE

# Words that say nothing about what the trouble is, on top of the general Chinese stop words.
DOMAIN_STOPWORDS = frozenset(
    {
        "问题",
        "企业",
        "公司",
        "反映",
        "希望",
        "需要",
        "目前",
        "现在",
        "情况",
        "有限公司",
        "相关",
        "申请",
        "办理",
        # Negations and fillers the tokenizer keeps as words (不了, 不到 …): they top every month's count.
        "不了",
        "不到",
        "不住",
        "不好",
        "不能",
        "没有",
        "已经",
        "一直",
        "无法",
        "还是",
        "比较",
    }
)
STOPWORDS = frozenset(STOPWORDS_CHINESE) | DOMAIN_STOPWORDS


def _meaningful(token: str) -> bool:
    if not token or token in STOPWORDS:
        return False
    if all(unicodedata.category(ch)[0] in "PZSC" for ch in token):  # punctuation, spaces, symbols
        return False
    if token.replace(".", "").isdigit():
        return False
    # A single CJK character carries little on its own (了, 的, 慢 …) except as part of a word.
    return not (len(token) == 1 and not token.isascii())


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).lower()
    return [t for t in (w.strip() for w in rjieba.cut_for_search(folded)) if _meaningful(t)]


@lru_cache(maxsize=4096)
def _cut(text: str) -> tuple[str, ...]:
    return tuple(_words(text))


def tokenize(text: str | None) -> list[str]:
    """The words of a text (repeats kept, in order), for ranking and counting."""
    return list(_cut(text or ""))


def tokenize_all(texts: Iterable[str | None]) -> list[list[str]]:
    """Many texts at once (index builds): no cache, so a large corpus does not evict the queries."""
    return [_words(text or "") for text in texts]
