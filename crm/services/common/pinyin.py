"""Pinyin of firm names for search on a phone: initials (湘潭高新 -> xtgx) and full pinyin.

A polyphonic character has several readings (长 chang/zhang, 晟 sheng/cheng) and pypinyin's first
guess is often not the one in a firm's name (湘潭长顺 reads xiangtan *chang*shun). search_pinyin() keeps
every reading: it lists the name's initials and full pinyin for each combination of readings,
best-first (the fewest characters read otherwise, then the most common readings), up to a bound, so a
name with many polyphones cannot grow without limit. The list is computed once per firm (when its name
is saved) and searched with one LIKE, so a search costs the same single query as before.
"""

import heapq
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache

from pypinyin import Style, pinyin

# Combinations kept per name: initials are short and typed most, full pinyin is long and typed for one
# word of the name, so it keeps fewer. Every single alternative reading (one polyphone read otherwise, the
# others as usual) comes before any pair of them.
MAX_INITIALS = 16
MAX_FULL = 8
# A bound on the stored text as well (Enterprise.name_pinyin), whatever the name's length.
MAX_CHARS = 2000
# Joins the variants; a query never holds it (queries are folded without whitespace), so no match can
# run from one variant into the next.
SEPARATOR = " "


@lru_cache(maxsize=256)
def _readings(name: str) -> tuple[tuple[str, ...], ...]:
    """Each character's readings, the usual one (pypinyin's, phrase-aware) first; any other character
    (letters, digits, brackets) as itself, lower-case. Width-folded first, like the search box's query."""
    text = unicodedata.normalize("NFKC", name or "")
    # pypinyin accepts an errors callback returning a list (one item per character); its stubs only allow str.
    items = pinyin(
        text,
        style=Style.NORMAL,
        heteronym=True,
        errors=lambda chars: list(chars),  # type: ignore[arg-type,return-value]
    )
    out = []
    for options in items:
        kept = tuple(dict.fromkeys(o.lower() for o in options if o and not o.isspace()))
        if kept:
            out.append(kept)
    # Cached (a firm's initials and search pinyin are computed together): immutable.
    return tuple(out)


def initials(name: str) -> str:
    """Lower-case first letters of each character's usual reading; other characters kept as they are
    (the registry's sort key)."""
    return "".join(options[0][0] for options in _readings(name))


def _combinations(options: Sequence[Sequence[str]], limit: int) -> Iterator[str]:
    """Distinct strings of one option per position, best-first: fewest positions off their first option,
    then the lowest ranks; at most `limit`."""
    varying = [i for i, opts in enumerate(options) if len(opts) > 1]
    seen: set[str] = set()
    # Heap of (positions changed, rank sum, ranks of the varying positions); each popped entry pushes its
    # successors: one varying position moved to its next option.
    start = (0,) * len(varying)
    heap: list[tuple[int, int, tuple[int, ...]]] = [(0, 0, start)]
    queued = {start}
    pops = 0
    # Different ranks can spell the same string (tan and tuan both give t), so the pops are bounded too.
    while heap and len(seen) < limit and pops < limit * 8:
        pops += 1
        _changed, _total, ranks = heapq.heappop(heap)
        chosen = [opts[0] for opts in options]
        for pos, rank in zip(varying, ranks, strict=True):
            chosen[pos] = options[pos][rank]
        text = "".join(chosen)
        if text not in seen:
            seen.add(text)
            yield text
        for j, rank in enumerate(ranks):
            if rank + 1 < len(options[varying[j]]):
                nxt = ranks[:j] + (rank + 1,) + ranks[j + 1 :]
                if nxt not in queued:
                    queued.add(nxt)
                    heapq.heappush(heap, (sum(1 for r in nxt if r), sum(nxt), nxt))


def search_pinyin(name: str) -> str:
    """The name's initials and full pinyin for each combination of readings (bounded), joined by
    spaces: what a pinyin query is matched against (Enterprise.name_pinyin)."""
    readings = _readings(name)
    letters = [list(dict.fromkeys(r[0] for r in options)) for options in readings]
    variants = [*_combinations(letters, MAX_INITIALS), *_combinations(readings, MAX_FULL)]
    out: list[str] = []
    size = 0
    for text in dict.fromkeys(variants):
        size += len(text) + len(SEPARATOR)
        if size > MAX_CHARS + len(SEPARATOR):
            break
        out.append(text)
    return SEPARATOR.join(out)


def pinyin_query(query: str) -> str:
    """The folded query if it can be pinyin (ASCII letters and digits, no spaces), else "" (a query
    with Chinese characters is matched against the name itself)."""
    text = "".join(unicodedata.normalize("NFKC", query or "").casefold().split())
    if not text or not text.isascii() or not any(ch.isalpha() for ch in text):
        return ""
    return text
