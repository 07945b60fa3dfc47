"""In-process BM25 indexes of each park's problems, for similar past problems while one is typed.

Why BM25 (Okapi, via bm25s): problem texts are short (a title, a few sentences, a resolution) typed in
plain words, so exact shared terms (出口退税, 增容, 用地指标) carry the signal. BM25 weighs each shared
term by how rare it is in the park (IDF); it saturates repeated terms (a description that says 退税
five times is not five times as relevant: k1); and it normalises by length (a long description does
not win by merely containing more words: b). Embeddings would need a model on an intranet machine;
plain TF-IDF lacks the saturation and the length normalisation that keep short titles comparable with
long descriptions.

One index per park, built lazily on first use and kept per process. Each request first reads a cheap
signature of the park's problems (count, max(updated_at), sum of ids: one grouped SQL over the parks in
question); a different signature than the index was built from means a problem was added, changed or
removed (on this host or another), and the park's index is rebuilt. Tokens are cached per problem and
reused while its text is unchanged, so a rebuild after a status change costs only the BM25 build. A lock per
park lets one thread build while the others wait for that build instead of repeating it. City-wide queries
score every park's index and merge the hits (IDF is per park, close enough for a suggestion list); they
first read a city fingerprint from primary keys and small tables (city_fingerprint), and check the parks
one by one only when it moved, so a warm city-wide query does not scan every problem.
"""

import logging
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import bm25s
import numpy as np
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Enterprise, Problem, ProblemEvent
from crm.services.knowledge.text import tokenize_all

# bm25s logs every build at DEBUG level: keep it out of the application's log.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# A document is its title (twice: the title says what the problem is), description and resolution.
TITLE_WEIGHT = 2
Signature = tuple[int, Optional[str], int]


@dataclass
class ParkIndex:
    """The BM25 index of one park's problems, as of `signature`."""

    park_id: int
    signature: Signature
    ids: np.ndarray  # problem id of each document row
    retriever: Optional[Any] = None  # bm25s.BM25, None for a park without problems

    def top(self, query: Sequence[str], k: int, floor: float) -> list[tuple[int, float]]:
        """(problem id, score) of the k best documents scoring above floor, best first."""
        if self.retriever is None or not query:
            return []
        token_ids = self.retriever.get_tokens_ids(list(query))
        if not token_ids:
            return []
        scores = self.retriever.get_scores_from_ids(token_ids)
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        ranked = sorted(best, key=lambda i: (-scores[i], int(self.ids[i])))
        return [(int(self.ids[i]), float(scores[i])) for i in ranked if scores[i] > floor]


@dataclass
class _Slot:
    """A park's cached index, its build lock and its problems' tokens by id (hash of the texts, tokens)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    index: Optional[ParkIndex] = None
    tokens: dict[int, tuple[int, list[str]]] = field(default_factory=dict)


class IndexCache:
    """The indexes of this process, by (database, park); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[tuple[str, int], _Slot] = {}
        # By database: the city fingerprint at the last check of every park, and the indexes it found.
        self._city: dict[str, tuple[tuple, list[ParkIndex]]] = {}
        self.builds = 0  # how many indexes were built (tests and the benchmark read it)

    def clear(self) -> None:
        """Forget every index (tests that wipe the database between cases)."""
        with self._lock:
            self._slots.clear()
            self._city.clear()

    def _slot(self, park_id: int) -> _Slot:
        key = (str(db.engine.url), park_id)
        with self._lock:
            return self._slots.setdefault(key, _Slot())

    def indexes(self, park_ids: Optional[Sequence[int]]) -> list[ParkIndex]:
        """Current indexes of the given parks (None: every park), rebuilt where the signature moved."""
        if park_ids is not None:
            return self._current(park_signatures(park_ids))
        # Every park: the per-park signatures scan all problems, so first a fingerprint read from indexes;
        # while it stands, the indexes found by the last full check still hold.
        url, city = str(db.engine.url), city_fingerprint()
        with self._lock:
            known = self._city.get(url)
        if known is not None and known[0] == city:
            return known[1]
        found = self._current(park_signatures(None))
        with self._lock:
            self._city[url] = (city, found)  # taken before the check: a change since only forces another
        return found

    def _current(self, signatures: dict[int, Signature]) -> list[ParkIndex]:
        out = []
        for park_id, signature in sorted(signatures.items()):
            slot = self._slot(park_id)
            index = slot.index
            if index is None or index.signature != signature:
                with slot.lock:
                    index = slot.index
                    if index is None or index.signature != signature:
                        index = self._build(slot, park_id, signature)
                        slot.index = index
            out.append(index)
        return out

    def _build(self, slot: _Slot, park_id: int, signature: Signature) -> ParkIndex:
        rows = db.session.execute(
            select(Problem.id, Problem.title, Problem.description, Problem.resolution)
            .join(Enterprise, Enterprise.id == Problem.enterprise_id)
            .where(Enterprise.park_id == park_id)
            .order_by(Problem.id)
        ).all()
        fields = {row.id: (row.title or "", row.description or "", row.resolution or "") for row in rows}
        old = slot.tokens
        fresh = [pid for pid, texts in fields.items() if old.get(pid, (None,))[0] != hash(texts)]
        # Each distinct text is cut once per build (many resolutions read alike: 已协调解决 …).
        distinct = list({text for pid in fresh for text in fields[pid] if text})
        words = {
            text: [sys.intern(w) for w in ws]
            for text, ws in zip(distinct, tokenize_all(distinct), strict=True)
        }
        for pid in fresh:
            title, description, resolution = (words.get(text, []) for text in fields[pid])
            old[pid] = (hash(fields[pid]), title * TITLE_WEIGHT + description + resolution)
        slot.tokens = {pid: old[pid] for pid in fields}
        self.builds += 1
        ids = np.fromiter(fields, dtype=np.int64, count=len(fields))
        if not fields:
            return ParkIndex(park_id, signature, ids)
        retriever = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
        retriever.index([slot.tokens[pid][1] for pid in fields], show_progress=False)
        return ParkIndex(park_id, signature, ids, retriever)


def park_signatures(park_ids: Optional[Sequence[int]]) -> dict[int, Signature]:
    """{park id: (problem count, latest update, sum of ids)} for the parks (None: all), in one query."""
    stmt = (
        select(Enterprise.park_id, func.count(Problem.id), func.max(Problem.updated_at), func.sum(Problem.id))
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .group_by(Enterprise.park_id)
    )
    if park_ids is not None:
        stmt = stmt.where(Enterprise.park_id.in_(list(park_ids)))
    found = {
        park: (int(count), str(latest) if latest else None, int(total or 0))
        for park, count, latest, total in db.session.execute(stmt)
    }
    # A park without problems still gets an (empty) index, so a new first problem is a signature change.
    for park in park_ids or ():
        found.setdefault(park, (0, None, 0))
    return found


def city_fingerprint() -> tuple:
    """What changes whenever any park's problems may have: every step and every raise writes a problem
    event (text changes only so), problems are counted, and a firm moving park updates the firm. Read
    from primary keys and small tables, not from a scan of every problem's row."""
    row = db.session.execute(
        select(
            select(func.max(ProblemEvent.id)).scalar_subquery(),
            select(func.count(Problem.id)).scalar_subquery(),
            select(func.max(Problem.id)).scalar_subquery(),
            select(func.count(Enterprise.id)).scalar_subquery(),
            select(func.max(Enterprise.updated_at)).scalar_subquery(),
        )
    ).one()
    return tuple(str(value) for value in row)


# The one cache of this process.
INDEXES = IndexCache()
