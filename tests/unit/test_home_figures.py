"""The stored per-park home figures agree with the figures computed from the rows, whatever is written.

A seeded random run of writes (new firms, park and chain moves, suspensions, liaisons, visits, sales,
problems walked through their steps, a department renamed, the day moving on) is checked after every
write: for each view (one park's officer, the city leader, the leader narrowed to one park) the page's
figures, read through the store, equal the figures computed directly over the whole scope, and the
headline counts equal plain counts of the lists behind them.
"""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.extensions import db as _db
from crm.models import Enterprise, FigureVersion, ParkFigures, Problem, SalesItem, User
from crm.models.problem import OPEN_STATUSES
from crm.reporting.home import home_figures, refresh_home_figures
from crm.reporting.monthly.kpis import closed_month_problem_kpis, month_problem_kpis
from crm.reporting.monthly.period import Period, ReportScope
from crm.services.assignments.operations import assign_enterprise
from crm.services.dashboard.figures import officer_dashboard
from crm.services.dashboard.stats import home_stats
from tests.support.dates import TODAY
from tests.support.factories import make_chain, make_department, make_enterprise, make_park, make_user
from tests.support.problems import PATHS, make_problem, step
from tests.support.visits import make_visit

STATES = [s for s in PATHS if s not in ("returned",)]


def _kpis(counts: dict) -> dict:
    return {key: (c.part, c.whole) for key, c in counts.items()}


def _direct(user, day, park) -> dict:
    """The figures computed straight from the rows over the whole scope (no store, no per-park sums)."""
    park_id = park.id if park else None
    data, stats = officer_dashboard(user, day, park_id), home_stats(user, day, park_id)
    scope = ReportScope(park if park else (None if user.park is None else user.park))
    period = Period.of(day.year, day.month, day)
    return _shape(
        data, stats, month_problem_kpis(scope, period), closed_month_problem_kpis(scope, period.previous())
    )


def _shape(data, stats, month, last_month) -> dict:
    v = data.visits
    return {
        "registry": (
            data.firms,
            data.key_firms,
            data.active_firms,
            data.assigned,
            data.unassigned,
            data.cadres,
        ),
        "unassigned_ids": data.unassigned_ids,
        "visits": (v.firms, v.week_pct, v.month_pct, v.overdue),
        "status": stats.problems.by_status,
        "colour": stats.problems.by_colour,
        "month_counts": (
            stats.problems.new_month,
            stats.problems.closed_month,
            stats.problems.pending_extensions,
        ),
        "departments": [
            (d.department_id, d.name, d.resolved, d.on_time, d.open, d.red) for d in stats.departments
        ],
        "trend": [(m.start, m.new, m.closed) for m in stats.trend],
        "chains": [
            (c.chain_id, c.name, c.firms, c.served, c.visited, c.open, c.red, c.sales_year)
            for c in stats.chains
        ],
        "month": _kpis(month),
        "last_month": _kpis(last_month),
    }


def _stored(user, day, park) -> dict:
    f = home_figures(user, day, park)
    return _shape(f.data, f.stats, f.month, f.last_month)


def _list_counts(park) -> tuple[int, int]:
    """Firms and open problems as the lists count them."""
    firm_scope = Enterprise.park_id == park.id if park else Enterprise.id.is_not(None)
    firms = _db.session.scalar(select(func.count(Enterprise.id)).where(firm_scope))
    open_problems = _db.session.scalar(
        select(func.count(Problem.id))
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .where(firm_scope, Problem.status.in_(OPEN_STATUSES))
    )
    return firms, open_problems


@pytest.fixture()
def city(db):
    park_a, park_b = make_park("A", "甲园区"), make_park("B", "乙园区")
    chains = [make_chain("装备制造"), make_chain("新材料")]
    depts = [make_department("税务局"), make_department("供电公司")]
    w = {
        "parks": [park_a, park_b],
        "chains": chains,
        "depts": depts,
        "officers": [make_user("officer", park_a), make_user("officer", park_b)],
        "cadres": [
            make_user("cadre", park_a),
            make_user("cadre", park_b),
            make_user("cadre"),
        ],  # + a city cadre
        "leader": make_user("leader"),
    }
    for dept in depts:
        make_user("handler", park_a, department=dept)
    db.session.flush()
    w["firms"] = [
        make_enterprise(park, chain=chains[i % 2], cadre=w["cadres"][(0, 2)[i % 2] if park is park_a else 1])
        for i, park in enumerate([park_a, park_a, park_a, park_b, park_b])
    ]
    db.session.commit()
    return w


def _write(rng: random.Random, w: dict, day) -> str:
    """One random write, committed; returns what it did (for the failure message)."""
    firms, parks = w["firms"], w["parks"]
    firm = rng.choice(firms)
    kind = rng.choice(
        [
            "firm",
            "move",
            "chain",
            "status",
            "key",
            "assign",
            "visit",
            "visit",
            "sales",
            "problem",
            "problem",
            "step",
            "step",
            "dept",
        ]
    )
    if kind == "firm":
        park = rng.choice(parks)
        firms.append(make_enterprise(park, chain=rng.choice(w["chains"] + [None])))
    elif kind == "move":
        open_here = _db.session.scalar(
            select(func.count(Problem.id)).where(
                Problem.enterprise_id == firm.id, Problem.status.in_(OPEN_STATUSES)
            )
        )
        firm.park_id = rng.choice(parks).id
        if firm.active_assignment is not None or open_here:
            kind = "move (with liaison or problems)"
    elif kind == "chain":
        firm.chain_id = rng.choice(w["chains"]).id if rng.random() < 0.8 else None
    elif kind == "status":
        firm.status = rng.choice(["active", "active", "suspended"])
    elif kind == "key":
        firm.is_key = not firm.is_key
    elif kind == "assign":
        current = firm.active_assignment.cadre_id if firm.active_assignment else None
        cadres = [c for c in w["cadres"] if c.park_id in (firm.park_id, None) and c.id != current]
        officer = next(o for o in w["officers"] if o.park_id == firm.park_id)
        if cadres:
            assign_enterprise(firm, rng.choice(cadres), officer, day, reason="调整")
    elif kind == "visit":
        cadre = rng.choice(w["cadres"])
        make_visit(firm, cadre, day - timedelta(days=rng.randrange(0, 45)), rng.choice(["onsite", "phone"]))
    elif kind == "sales":
        period = f"{day.year}-{rng.randrange(1, day.month + 1):02d}"
        _db.session.add(
            SalesItem(enterprise_id=firm.id, period=period, product="产品", amount=Decimal("12.5"))
        )
    elif kind == "problem":
        state = rng.choice(STATES)
        raised = day - timedelta(days=rng.randrange(0, 70))
        officer = next(o for o in w["officers"] if o.park_id == firm.park_id)
        make_problem(
            firm,
            officer,
            state,
            department=rng.choice(w["depts"]),
            officer=officer,
            raised_on=raised,
            on=raised,
        )
        kind = f"problem {state}"
    elif kind == "step":
        problem = _db.session.scalar(
            select(Problem)
            .where(Problem.status.in_(("new", "dispatched", "in_progress")))
            .order_by(func.random())
        )
        if problem is not None:
            officer = next(o for o in w["officers"] if o.park_id == problem.enterprise.park_id)
            handler = _db.session.scalar(select(User).where(User.role == "handler").order_by(User.id))
            action, actor, data = {
                "new": ("dispatch", officer, {"department_id": handler.department_id}),
                "dispatched": ("accept", handler, {}),
                "in_progress": ("resolve", handler, {"note": "已协调解决"}),
            }[problem.status]
            if problem.department_id not in (None, handler.department_id) and action != "dispatch":
                return "step skipped (another department)"
            step(problem, action, actor, day, **data)
            kind = f"step {action}"
    elif kind == "dept":
        dept = rng.choice(w["depts"])
        dept.name = f"{dept.name[:2]}局{rng.randrange(100)}"
    _db.session.commit()
    return kind


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_stored_figures_agree_with_the_rows_after_random_writes(app, city, seed):
    rng = random.Random(seed)
    leader, (officer_a, officer_b) = city["leader"], city["officers"]
    park_a = city["parks"][0]
    views = [(officer_a, None), (officer_b, None), (leader, None), (leader, park_a)]
    day = TODAY
    done = []
    for _round in range(50):
        if rng.random() < 0.1:
            day += timedelta(days=rng.choice([1, 3, 20]))  # a new day: every stored row is outdated
            done.append(f"day → {day}")
        else:
            done.append(_write(rng, city, day))
        for user, park in rng.sample(views, 2):
            stored, direct = _stored(user, day, park), _direct(user, day, park)
            assert stored == direct, (user.role, park and park.id, done)
            scope = park if park else user.park
            firms, open_problems = _list_counts(scope)
            assert stored["registry"][0] == firms, done
            assert sum(stored["status"][s] for s in OPEN_STATUSES) == open_problems, done
    # The store was used: both parts of both parks, and versions bumped by the writes.
    assert _db.session.scalar(select(func.count()).select_from(ParkFigures)) == 4
    assert _db.session.scalar(select(func.max(FigureVersion.version))) > 1


def test_an_unchanged_park_is_read_not_recomputed_and_a_write_invalidates_only_its_park(app, city):
    leader, park_a, park_b = city["leader"], *city["parks"]
    home_figures(leader, TODAY, None)
    stamps = dict(_db.session.execute(select(ParkFigures.park_id, ParkFigures.computed_at)).all())
    make_visit(city["firms"][0], city["cadres"][0], TODAY)  # park A, through the bulk upsert of the summary
    _db.session.commit()
    figures = home_figures(leader, TODAY, None)
    after = dict(_db.session.execute(select(ParkFigures.park_id, ParkFigures.computed_at)).all())
    assert after[park_b.id] == stamps[park_b.id] and after[park_a.id] != stamps[park_a.id]
    assert figures.data.visits is not None and figures.data.visits.firms >= 1


def test_a_rolled_back_write_bumps_nothing(app, city):
    before = dict(_db.session.execute(select(FigureVersion.park_id, FigureVersion.version)).all())
    make_enterprise(city["parks"][0])
    _db.session.rollback()
    assert dict(_db.session.execute(select(FigureVersion.park_id, FigureVersion.version)).all()) == before


def test_a_renamed_department_reaches_every_park(app, city):
    leader = city["leader"]
    make_problem(city["firms"][0], city["cadres"][0], "in_progress", department=city["depts"][0])
    make_problem(city["firms"][3], city["cadres"][1], "in_progress", department=city["depts"][0])
    _db.session.commit()
    home_figures(leader, TODAY, None)
    city["depts"][0].name = "国家税务总局湘潭市税务局"
    _db.session.commit()
    names = {d.name for d in home_figures(leader, TODAY, None).stats.departments}
    assert "国家税务总局湘潭市税务局" in names and "税务局" not in names


def _stamps() -> dict:
    return {
        (p, part): at
        for p, part, at in _db.session.execute(
            select(ParkFigures.park_id, ParkFigures.part, ParkFigures.computed_at)
        )
    }


def test_the_job_stores_every_park_then_only_the_parts_written_since(app, city):
    park_a, park_b = city["parks"]
    assert refresh_home_figures(TODAY) == {"parts": 4}  # two parks, two parts each
    _db.session.commit()
    assert refresh_home_figures(TODAY) == {"parts": 0}
    before = _stamps()
    make_visit(city["firms"][3], city["cadres"][1], TODAY)  # park B: outdates its visit figures only
    _db.session.commit()
    assert refresh_home_figures(TODAY) == {"parts": 1}
    _db.session.commit()
    after = _stamps()
    assert [key for key in before if after[key] != before[key]] == [(park_b.id, "visits")]
    make_problem(city["firms"][0], city["officers"][0], "new")  # park A: its problem figures only
    _db.session.commit()
    assert refresh_home_figures(TODAY) == {"parts": 1}
    _db.session.commit()
    assert [key for key in after if _stamps()[key] != after[key]] == [(park_a.id, "main")]
    city["firms"][0].status = "suspended"  # a firm's own row reaches both parts
    _db.session.commit()
    assert refresh_home_figures(TODAY) == {"parts": 2}
    assert refresh_home_figures(TODAY + timedelta(days=1)) == {"parts": 4}  # a new day: all outdated


def test_a_login_leaves_the_figures_alone_but_a_new_cadre_counts(app, city):
    cadre = city["cadres"][0]
    _db.session.commit()
    before = dict(_db.session.execute(select(FigureVersion.park_id, FigureVersion.version)).all())
    cadre.phone = "13800000000"
    _db.session.commit()
    assert dict(_db.session.execute(select(FigureVersion.park_id, FigureVersion.version)).all()) == before
    cadre.is_active_user = False
    _db.session.commit()
    after = dict(_db.session.execute(select(FigureVersion.park_id, FigureVersion.version)).all())
    assert after[cadre.park_id] == before.get(cadre.park_id, 0) + 1


def test_more_marked_rows_than_one_statement_takes_are_placed_in_chunks(app, city, monkeypatch):
    from crm.services.dashboard import versions

    monkeypatch.setattr(versions, "IN_CHUNK", 2)  # five firms: three IN lists
    before = dict(_db.session.execute(select(FigureVersion.park_id, FigureVersion.version)).all())
    for firm in city["firms"]:
        make_visit(firm, city["cadres"][0], TODAY)
    _db.session.commit()
    after = dict(_db.session.execute(select(FigureVersion.park_id, FigureVersion.version)).all())
    assert all(after[p.id] > before.get(p.id, 0) for p in city["parks"])
