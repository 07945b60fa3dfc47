"""Nothing lost, nothing doubled: several users at once, as threads and as separate processes, against
the suite's database (SQLite, then PostgreSQL in the second pass of scripts/test.sh).

- editing one firm / one product item from forms opened on the same version: exactly one save wins
  per round, the others see the Chinese stale message, and every winning change is there at the end;
- racing to dispatch, then to accept, one problem: exactly one event per step, status and version agree;
- ticking off one tech item together: one 已解决 and one audit row; different items: all succeed;
- one reminder created at once by everybody (one dedupe key): one row.
"""

from collections import Counter

import pytest
from sqlalchemy import func, select

from crm.extensions import db as _db
from crm.models import AuditLog, Enterprise, Notification, Problem, ProblemEvent, ProductItem, TechItem
from crm.services.enterprises.lists import add_product, add_tech
from crm.services.problems.intake import raise_problem
from tests.concurrency.workers import ProcessPool, run_in_threads
from tests.support.dates import TODAY
from tests.support.factories import make_department, make_enterprise, make_park, make_user

MODES = ["threads", "processes"]
POOL_SIZE = 4
WORKERS = {"threads": 4, "processes": 3}
ROUNDS = {"threads": 3, "processes": 2}
FIELDS = {"firm": ["contact_name", "legal_rep", "address", "note"],
          "product": ["name", "category", "unit", "main_market"]}  # fmt: skip
SAVED, STALE = "已保存修改", "已被其他人修改"


@pytest.fixture()
def cw(db):
    park = make_park("A", "甲园区")
    dept = make_department("税务局")
    cadre = make_user("cadre", park)
    w = {
        "officers": [make_user("officer", park) for _ in range(4)],
        "handlers": [make_user("handler", park, department=dept) for _ in range(4)],
        "dept": dept,
    }
    w["firm"] = firm = make_enterprise(park, "湘潭电机有限公司", cadre=cadre, assigned_by=w["officers"][0])
    w["product"] = add_product(firm, cadre, {"name": "电机", "category": "电机", "unit": "台"})
    w["techs"] = [add_tech(firm, cadre, {"kind": "demand", "title": f"技术需求{i}"}) for i in range(5)]
    w["problem"] = raise_problem(
        firm, cadre, {"title": "用电增容", "description": "新产线需要增容", "category": "utilities",
                      "source": "visit"}, today=TODAY)  # fmt: skip
    _db.session.commit()
    return w


@pytest.fixture(scope="module")
def process_pool(app):
    """Worker processes (spawn) with apps of their own on the suite's database, shared by the module."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url == "sqlite://" or ":memory:" in url:
        pytest.skip("processes cannot share an in-memory SQLite database; set TEST_DATABASE_URL")
    pool = ProcessPool(url, app.config["UPLOAD_FOLDER"], POOL_SIZE)
    yield pool
    pool.close()


@pytest.fixture()
def together(app, request):
    """together(mode, scenario, specs): the scenario once per spec, all at once, in threads or processes."""

    def run(mode: str, scenario: str, specs: list[dict]) -> list:
        if mode == "threads":
            return run_in_threads(app, scenario, specs)
        return request.getfixturevalue("process_pool").run(scenario, specs)

    return run


def _audits(entity_type: str, entity_id: int, action: str) -> int:
    return _db.session.scalar(
        select(func.count()).where(
            AuditLog.entity_type == entity_type, AuditLog.entity_id == entity_id, AuditLog.action == action
        )
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["firm", "product"])
def test_edits_from_the_same_version_keep_exactly_one_per_round_and_lose_none(together, cw, mode, kind):
    n, rounds = WORKERS[mode], ROUNDS[mode]
    firm, row = cw["firm"], cw["firm"] if kind == "firm" else cw["product"]
    model = type(row)
    url = f"/enterprises/{firm.id}" + ("/edit" if kind == "firm" else f"/products/{row.id}/edit")
    original = {f: getattr(row, f) for f in FIELDS[kind]}
    specs = [
        {
            "user_id": cw["officers"][i].id,
            "kind": kind,
            "row_id": row.id,
            "url": url,
            "field": field,
            "values": [f"{field}-第{r}轮-{i}" for r in range(rounds)],
        }  # fmt: skip
        for i, field in enumerate(FIELDS[kind][:n])
    ]
    outcomes = together(mode, "edit_rounds", specs)

    expected = dict(original)
    for r in range(rounds):
        seen = [outcomes[i][r] for i in range(n)]
        winners = [i for i in range(n) if SAVED in seen[i]]
        assert len(winners) == 1, seen
        assert all(STALE in seen[i] and "未保存" in seen[i] for i in range(n) if i not in winners), seen
        expected[specs[winners[0]]["field"]] = specs[winners[0]]["values"][r]
    _db.session.expire_all()
    row = _db.session.get(model, row.id)
    assert {f: getattr(row, f) for f in FIELDS[kind]} == expected  # every winning change is there
    assert row.version == 1 + rounds
    assert _audits("enterprise" if kind == "firm" else "product_item", row.id, "update") == rounds


@pytest.mark.parametrize("mode", MODES)
def test_racing_dispatch_then_accept_records_one_event_per_step(together, cw, mode):
    n = WORKERS[mode]
    problem = cw["problem"]
    page, start = f"/problems/{problem.id}", problem.version
    before = _db.session.scalar(select(func.count()).where(ProblemEvent.problem_id == problem.id))

    def race(users, action, data):
        specs = [{"user_id": u.id, "page": page, "url": f"{page}/{action}", "data": data} for u in users[:n]]
        return together(mode, "race_post", specs)

    dispatch = race(cw["officers"], "dispatch", {"department_id": str(cw["dept"].id)})
    assert sum("已交办给税务局" in m for m in dispatch) == 1, dispatch
    assert sum("该问题刚被其他人更新" in m for m in dispatch) == n - 1, dispatch
    accept = race(cw["handlers"], "accept", {})
    winners = [i for i, m in enumerate(accept) if "成功" in m]
    assert len(winners) == 1 and sum("该问题刚被其他人更新" in m for m in accept) == n - 1, accept

    _db.session.expire_all()
    p = _db.session.get(Problem, problem.id)
    events = _db.session.execute(
        select(ProblemEvent.action, ProblemEvent.actor_id).where(ProblemEvent.problem_id == p.id)
    ).all()
    steps = Counter(action for action, _ in events)
    assert (steps["dispatch"], steps["accept"], len(events)) == (1, 1, before + 2), events
    assert (p.status, p.department_id, p.version) == ("in_progress", cw["dept"].id, start + 2)
    assert dict(events)["accept"] == cw["handlers"][winners[0]].id


@pytest.mark.parametrize("mode", MODES)
def test_ticking_off_together_solves_once_and_never_blocks_other_items(together, cw, mode):
    n = WORKERS[mode] if mode == "threads" else POOL_SIZE // 2  # two groups of n
    firm, techs = cw["firm"], cw["techs"]
    page = f"/enterprises/{firm.id}?tab=tech"

    def spec(user, item):
        return {"user_id": user.id, "page": page, "url": f"/enterprises/{firm.id}/tech/{item.id}/done",
                "pick_form": True}  # fmt: skip

    same = [spec(cw["officers"][i], techs[0]) for i in range(n)]  # everybody on the first item
    own = [spec(cw["officers"][i], techs[1 + i]) for i in range(n)]  # each on an item of their own
    results = together(mode, "race_post", same + own)

    on_same, on_own = results[: len(same)], results[len(same) :]
    done, refusals = "已标记为已解决", ("该技术事项已标记为已解决", "该技术记录已被其他人修改")
    assert on_same.count(done) == 1, on_same
    assert all(m == done or m.startswith(refusals) for m in on_same), on_same
    assert on_own == [done] * n, on_own
    _db.session.expire_all()
    assert _audits("tech_item", techs[0].id, "solve") == 1
    solved = _db.session.scalars(select(TechItem).where(TechItem.status == "solved")).all()
    assert sorted(t.id for t in solved) == sorted([techs[0].id] + [t.id for t in techs[1 : 1 + len(own)]])
    assert all(t.solved_on == TODAY for t in solved)


@pytest.mark.parametrize("mode", MODES)
def test_one_reminder_created_by_everybody_at_once_is_stored_once(together, cw, mode):
    user = cw["officers"][0]
    specs = [{"user_id": user.id, "key": f"race:{mode}"} for _ in range(WORKERS[mode])]
    made = together(mode, "notify_once", specs)
    assert made.count(True) == 1
    _db.session.expire_all()
    assert _db.session.scalar(select(func.count(Notification.id))) == 1


def test_the_firm_and_item_rows_are_versioned():
    """The optimistic lock is on (crm.models): SQLAlchemy bumps these columns on every UPDATE."""
    for model in (Enterprise, ProductItem, TechItem, Problem):
        assert model.__mapper__.version_id_col is model.__table__.c.version
