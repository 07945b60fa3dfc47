"""Pinyin of firm names for search on a phone: initials (湘潭高新 -> xtgx) and full pinyin.

A polyphonic character has several readings (长 chang/zhang, 晟 sheng/cheng) and pypinyin's first
guess is often not the one in a firm's name (湘潭长顺 reads xiangtan *chang*shun). search_pinyin() keeps
every reading: it lists the name's initials and full pinyin for each combination of readings,
best-first (the fewest characters read otherwise, then the most common readings), up to a bound, so a
name with many polyphones cannot grow without limit. The list is computed once per firm (when its name
is saved) and searched with one LIKE, so a search costs the same single query as before.
"""

import heapq
import re
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache

from pypinyin import Style, pinyin
from pypinyin.constants import RE_HANS

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
# pypinyin reads a text run by run: characters it has readings for (RE_HANS, one character class) and
# the others. The same runs, found by one regular expression instead of a test per character.
_HANS = RE_HANS.pattern.removeprefix("^(?:").removesuffix(")+$")
assert _HANS.startswith("[") and _HANS.endswith("]"), "pypinyin's RE_HANS is one character class"
_RUNS = re.compile(f"({_HANS}+)|[^{_HANS[1:-1]}]+")


@lru_cache(maxsize=8192)
def _run_readings(run: str) -> tuple[tuple[str, ...], ...]:
    """The readings of one run of Chinese characters, as _readings keeps them.

    pypinyin splits a text into such runs before it segments words and reads them, so a run reads the
    same wherever it stands: a name's readings are its runs' readings in order. Firm names share most of
    their runs (有限公司, 机械制造, the place names), so a large import reads each run once.
    """
    # pypinyin accepts an errors callback returning a list (one item per character); its stubs only allow str.
    items = pinyin(
        run,
        style=Style.NORMAL,
        heteronym=True,
        errors=lambda chars: list(chars),  # type: ignore[arg-type,return-value]
    )
    out = []
    for options in items:
        kept = tuple(dict.fromkeys(o.lower() for o in options if o and not o.isspace()))
        if kept:
            out.append(kept)
    # Cached: immutable.
    return tuple(out)


@lru_cache(maxsize=256)
def _readings(name: str) -> tuple[tuple[str, ...], ...]:
    """Each character's readings, the usual one (pypinyin's, phrase-aware) first; any other character
    (letters, digits, brackets) as itself, lower-case. Width-folded first, like the search box's query."""
    text = unicodedata.normalize("NFKC", name or "")
    out: list[tuple[str, ...]] = []
    for match in _RUNS.finditer(text):
        if match.group(1):
            out.extend(_run_readings(match.group(1)))
        else:  # what pypinyin gives such a run with _run_readings' errors callback: each character as itself
            out.extend((ch.lower(),) for ch in match.group() if not ch.isspace())
    # Cached (a firm's initials and search pinyin are computed together): immutable.
    return tuple(out)


def initials(name: str) -> str:
    """Lower-case first letters of each character's usual reading; other characters kept as they are
    (the registry's sort key)."""
    return "".join(options[0][0] for options in _readings(name))


@lru_cache(maxsize=1024)
def _rank_order(lengths: tuple[int, ...], bound: int) -> tuple[tuple[int, ...], ...]:
    """The first `bound` choices of ranks for positions with these numbers of options, best-first: fewest
    positions off their first option, then the lowest rank sum, then the ranks themselves.

    Walks a heap of (positions changed, rank sum, ranks); each popped entry pushes its successors (one
    position moved to its next option), which always sort after it. It depends on the lengths alone, so
    names with the same shape of polyphones (most of a park's) share it.
    """
    start = (0,) * len(lengths)
    heap: list[tuple[int, int, tuple[int, ...]]] = [(0, 0, start)]
    queued = {start}
    order: list[tuple[int, ...]] = []
    while heap and len(order) < bound:
        _changed, _total, ranks = heapq.heappop(heap)
        order.append(ranks)
        for j, rank in enumerate(ranks):
            if rank + 1 < lengths[j]:
                nxt = ranks[:j] + (rank + 1,) + ranks[j + 1 :]
                if nxt not in queued:
                    queued.add(nxt)
                    heapq.heappush(heap, (sum(1 for r in nxt if r), sum(nxt), nxt))
    return tuple(order)


def _combinations(options: Sequence[Sequence[str]], limit: int) -> Iterator[str]:
    """Distinct strings of one option per position, best-first: fewest positions off their first option,
    then the lowest ranks; at most `limit`."""
    varying = [i for i, opts in enumerate(options) if len(opts) > 1]
    chosen = [opts[0] for opts in options]
    seen: set[str] = set()
    # Different ranks can spell the same string (tan and tuan both give t), so the tries are bounded too.
    for ranks in _rank_order(tuple(len(options[i]) for i in varying), limit * 8):
        if len(seen) >= limit:
            break
        for pos, rank in zip(varying, ranks, strict=True):
            chosen[pos] = options[pos][rank]
        text = "".join(chosen)
        if text not in seen:
            seen.add(text)
            yield text


def search_pinyin(name: str) -> str:
    """The name's initials and full pinyin for each combination of readings (bounded), joined by
    spaces: what a pinyin query is matched against (Enterprise.name_pinyin)."""
    readings = _readings(name)
    letters = [
        [opts[0][0]] if len(opts) == 1 else list(dict.fromkeys(r[0] for r in opts)) for opts in readings
    ]
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
