"""共性问题 proposals: open problems of several firms of one park that look like one cause.

Computed on demand for one park from one query: the park's problems raised in the window (the last
WINDOW_DAYS days, both ends included: raised on today - WINDOW_DAYS is in, a day earlier is out), still
being worked on (GROUPABLE: not yet 已办结 or 已销号) and in no group yet. Two rules propose a group:

(a) the same category and the same industry chain (Enterprise.chain_id): a chain's firms sharing one
    kind of trouble (用地, 用工 …) usually share its cause;
(b) alike in words, whatever the category: the Jaccard index of the token sets of title + description
    (crm.services.knowledge.text.tokenize) is at least TEXT_THRESHOLD, linked into groups by single
    linkage (a problem joins a group when it is alike to any member).

Why Jaccard over token sets, not cosine over TF-IDF: the texts are short (a title and a few sentences),
so a word counts once whatever its repeats, and the handful of problems of one park in a month is too
small a corpus for stable IDF weights (one new problem would move every score). A Jaccard index reads as
"the share of words the two have in common", which an officer can check by eye. The search-mode
tokenizer yields a compound and its parts (标准厂房 → 标准, 厂房, 标准厂房), so two texts about the same
thing share several tokens: descriptions of one trouble in other words score 0.35–0.6, unrelated ones
below 0.1 (measured on the demo's problems). TEXT_THRESHOLD = 0.35 keeps "用地指标不足，标准厂房无法
扩建" with "新建厂房缺少用地指标" (0.38) and leaves out pairs that share one generic word.

A group is proposed only with at least MIN_FIRMS distinct firms (one firm's two problems count once).
Candidates are taken largest first (firms, then problems, then the oldest member's id): a problem
appears in at most one proposal, and one a larger group took is dropped from the smaller ones, which are
then kept only if they still reach MIN_FIRMS. The pairwise comparison is O(n²) over the window's open
problems of one park (a few hundred at most), on token sets cut once per problem.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from crm.extensions import db
from crm.models import Enterprise, Problem
from crm.models.problem import PROBLEM_CATEGORIES
from crm.services.knowledge.text import tokenize

WINDOW_DAYS = 30
MIN_FIRMS = 3
TEXT_THRESHOLD = 0.35
# The statuses a problem may be grouped in: raised and not yet resolved (returned ones included).
GROUPABLE = ("new", "dispatched", "in_progress", "returned")
# The largest number of problems compared pairwise (the newest first): a guard, far above a park's month.
MAX_COMPARED = 600


@dataclass
class Proposal:
    """A proposed group: its members (oldest first), why they belong together and suggested fields."""

    key: str  # stable while the members stay: "chain-<category>-<chain id>" or "text-<first id>"
    reason: str  # in Chinese, for the officer
    category: str
    chain_id: Optional[int]
    problems: list[Problem] = field(default_factory=list)

    @property
    def firms(self) -> int:
        return len({p.enterprise_id for p in self.problems})

    @property
    def problem_ids(self) -> list[int]:
        return [p.id for p in self.problems]

    @property
    def category_label(self) -> str:
        return PROBLEM_CATEGORIES.get(self.category, self.category)

    @property
    def suggested_title(self) -> str:
        chain = self.problems[0].enterprise.chain if self.chain_id else None
        prefix = f"{chain.name}产业链" if chain is not None else ""
        return f"{prefix}{self.category_label}共性问题：{self.problems[0].title}"[:200]

    @property
    def suggested_team(self) -> str:
        return f"{self.category_label}保障专班"


def window_start(today: date) -> date:
    """The first day of the proposals' window (inclusive); today is its last."""
    return today - timedelta(days=WINDOW_DAYS)


def candidate_problems(park_id: int, today: date) -> list[Problem]:
    """The park's problems raised in the window, still being worked on and in no group (one query)."""
    stmt = (
        select(Problem)
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .options(contains_eager(Problem.enterprise).joinedload(Enterprise.chain))
        .where(
            Enterprise.park_id == park_id,
            Problem.status.in_(GROUPABLE),
            Problem.common_issue_id.is_(None),
            Problem.raised_on >= window_start(today),
            Problem.raised_on <= today,
        )
        .order_by(Problem.raised_on.desc(), Problem.id.desc())
        .limit(MAX_COMPARED)
    )
    return sorted(db.session.scalars(stmt).unique(), key=lambda p: (p.raised_on, p.id))


def jaccard(a: set[str], b: set[str]) -> float:
    """Share of the words two texts have in common (0 when either has none)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def words_of(problem: Problem) -> set[str]:
    """The token set a problem is compared by: its title and description."""
    return set(tokenize(f"{problem.title}\n{problem.description or ''}"))


def _chain_groups(problems: list[Problem]) -> list[Proposal]:
    by_key: dict[tuple[str, int], list[Problem]] = defaultdict(list)
    for p in problems:
        if p.enterprise.chain_id is not None:
            by_key[(p.category, p.enterprise.chain_id)].append(p)
    out = []
    for (category, chain_id), members in by_key.items():
        chain = members[0].enterprise.chain
        label = PROBLEM_CATEGORIES.get(category, category)
        reason = f"同一产业链（{chain.name if chain else '—'}）的{label}问题"
        out.append(Proposal(f"chain-{category}-{chain_id}", reason, category, chain_id, members))
    return out


def _text_groups(problems: list[Problem]) -> list[Proposal]:
    """Single linkage over the pairs at or above TEXT_THRESHOLD (union–find)."""
    words = [words_of(p) for p in problems]
    parent = list(range(len(problems)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(problems)):
        for j in range(i + 1, len(problems)):
            if jaccard(words[i], words[j]) >= TEXT_THRESHOLD:
                parent[root(j)] = root(i)
    clusters: dict[int, list[Problem]] = defaultdict(list)
    for i, p in enumerate(problems):
        clusters[root(i)].append(p)
    out = []
    for members in clusters.values():
        if len(members) < 2:
            continue
        category = _main_category(members)
        chains = {p.enterprise.chain_id for p in members}
        chain_id = chains.pop() if len(chains) == 1 else None
        out.append(Proposal(f"text-{members[0].id}", "问题描述相近", category, chain_id, members))
    return out


def _main_category(problems: list[Problem]) -> str:
    """The most frequent category (ties: the first in the category list)."""
    counts = Counter(p.category for p in problems)
    order = list(PROBLEM_CATEGORIES)
    return min(counts, key=lambda c: (-counts[c], order.index(c) if c in order else len(order)))


def _firms(problems: list[Problem]) -> int:
    return len({p.enterprise_id for p in problems})


def group_proposals(problems: list[Problem]) -> list[Proposal]:
    """The proposals among these problems: each problem in at most one, largest groups first."""
    candidates = [
        c for c in _chain_groups(problems) + _text_groups(problems) if _firms(c.problems) >= MIN_FIRMS
    ]
    candidates.sort(key=lambda c: (-_firms(c.problems), -len(c.problems), c.problems[0].id, c.key))
    taken: set[int] = set()
    out = []
    for c in candidates:
        left = [p for p in c.problems if p.id not in taken]
        if _firms(left) < MIN_FIRMS:
            continue
        c.problems = left
        taken.update(p.id for p in left)
        out.append(c)
    return out


def propose_common_issues(park_id: Optional[int], today: date) -> list[Proposal]:
    """The 共性问题 the system proposes for a park today (none without a park)."""
    if park_id is None:
        return []
    return group_proposals(candidate_problems(park_id, today))
