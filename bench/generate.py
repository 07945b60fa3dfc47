"""A synthetic city for the benchmark: parks, firms, cadres, visits, list items, problems with events.

Default (scale 1.0): 10 parks, 20,000 firms, 2,000 cadres, 300,000 visits, 60,000 problems with
their events, 12 months of history. Rows go in with Core bulk inserts (no ORM objects), and every
problem's dates and deadlines follow the real workflow rules (working days, 137, limits), so the
pages, jobs and reports see realistic data. Deterministic for a given seed and today.

    python -m bench.generate --db sqlite:////tmp/city.sqlite3 --scale 0.1
"""

import argparse
import random
import time
from datetime import date, datetime, timedelta
from typing import Any, Optional

from sqlalchemy import insert
from werkzeug.security import generate_password_hash

from crm.extensions import db
from crm.models import (
    Assignment,
    Department,
    Enterprise,
    IndustryChain,
    Park,
    Problem,
    ProblemEvent,
    ProductItem,
    SalesItem,
    TechItem,
    User,
    Visit,
)
from crm.models.problem import PROBLEM_CATEGORIES
from crm.services.common.creditcode import CHARSET, check_digit, fold_key
from crm.services.common.pinyin import initials, search_pinyin
from crm.services.problems.deadlines import checkpoints_for
from crm.services.problems.rules import ProblemRules
from crm.services.visits.summary import refresh_visit_summaries
from crm.services.workdays.calendar import WorkCalendar

PASSWORD = "Bench2026!"
BATCH = 5000
CHAINS = ["装备制造", "医药化工", "轻工食品", "电力电子", "新材料", "电子信息", "现代服务"]
CITY_DEPTS = [
    "税务局",
    "人力资源和社会保障局",
    "自然资源和规划局",
    "国网供电公司",
    "市场监督管理局",
    "生态环境局",
]
PARK_DEPTS = ["经济发展局", "建设局", "招商合作局"]
WORDS = "湘潭高新精诚恒运嘉盛瑞祥银河合力福星天易华菱长城中兴金桥宏达远大智造新材电机液压矿山装备"
SUFFIXES = ["有限公司", "股份有限公司", "科技有限公司", "制造有限公司"]
VISIT_KINDS = ["onsite"] * 4 + ["phone"] * 4 + ["online"] * 2 + ["forum"]
SIZES = ["large", "medium", "small", "small", "micro", "micro"]


def _counts(scale: float) -> dict[str, int]:
    def n(base: int) -> int:
        return max(1, round(base * scale))

    return {
        "parks": 10 if scale >= 0.05 else 1,
        "firms": n(20_000),
        "cadres": n(2_000),
        "visits": n(300_000),
        "problems": n(60_000),
    }


def _credit_code(i: int) -> str:
    """A unique valid code from a counter (base-31 digits in the organisation part)."""
    digits = []
    for _ in range(9):
        i, r = divmod(i, 31)
        digits.append(CHARSET[r])
    body = "91430300" + "".join(reversed(digits))
    return body + check_digit(body)


def _name(rnd: random.Random, i: int) -> str:
    return "湘潭" + "".join(rnd.sample(WORDS, 4)) + f"{i:05d}" + rnd.choice(SUFFIXES)


def _bulk(model, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(model), rows[start : start + BATCH])


def _ids(model) -> list[int]:
    return list(db.session.scalars(db.select(model.id).order_by(model.id)))


def generate(scale: float = 1.0, today: date = date(2026, 11, 2), seed: int = 2026) -> dict[str, int]:
    """Fill an empty database with a synthetic city; returns the row counts."""
    rnd = random.Random(seed)
    counts = _counts(scale)
    cal, rules = WorkCalendar(), ProblemRules()
    start = today.replace(day=1) - timedelta(days=365)
    pw = generate_password_hash(PASSWORD)

    _bulk(Park, [{"code": f"P{i:02d}", "name": f"第{i + 1}园区"} for i in range(counts["parks"])])
    _bulk(IndustryChain, [{"name": name, "sort_order": i} for i, name in enumerate(CHAINS)])
    parks, chains = _ids(Park), _ids(IndustryChain)
    depts = [{"name": name, "park_id": None} for name in CITY_DEPTS]
    depts += [{"name": f"{name}{p}", "park_id": p} for p in parks for name in PARK_DEPTS]
    _bulk(Department, depts)
    dept_rows = db.session.execute(db.select(Department.id, Department.park_id)).all()

    users: list[dict[str, Any]] = [{"username": "admin", "name": "管理员", "role": "admin"}]
    users += [{"username": "leader", "name": "市领导", "role": "leader", "leader_level": 4}]
    for p in parks:
        users.append({"username": f"officer{p}", "name": f"管理员{p}", "role": "officer", "park_id": p})
        users.append(
            {
                "username": f"leader{p}",
                "name": f"分管领导{p}",
                "role": "leader",
                "park_id": p,
                "leader_level": 3,
            }
        )
    for i in range(counts["cadres"]):
        p = parks[i % len(parks)]
        users.append({"username": f"cadre{i}", "name": f"干部{i}", "role": "cadre", "park_id": p})
    for dept_id, park_id in dept_rows:
        for k in range(3):
            users.append(
                {
                    "username": f"handler{dept_id}_{k}",
                    "name": f"经办{dept_id}-{k}",
                    "role": "handler",
                    "park_id": park_id,
                    "department_id": dept_id,
                    "is_dept_head": k == 0,
                }
            )
    for u in users:
        u.setdefault("park_id", None)
        u.setdefault("department_id", None)
        u.setdefault("leader_level", None)
        u.setdefault("is_dept_head", False)
        u.update(password_hash=pw, is_active_user=True, failed_logins=0, phone=None)
    _bulk(User, users)
    cadres_by_park: dict[int, list[int]] = {}
    for uid, role, park_id in db.session.execute(db.select(User.id, User.role, User.park_id)):
        if role == "cadre":
            cadres_by_park.setdefault(park_id, []).append(uid)
    handlers = {
        dept: uid
        for uid, dept in db.session.execute(
            db.select(User.id, User.department_id).where(User.role == "handler", User.is_dept_head.is_(False))
        )
    }

    firms = []
    for i in range(counts["firms"]):
        name = _name(rnd, i)
        firms.append(
            {
                "name": name,
                "name_initials": initials(name),
                "name_key": fold_key(name),
                "name_pinyin": search_pinyin(name),
                "credit_code": _credit_code(i + 1),
                "park_id": parks[i % len(parks)],
                "chain_id": rnd.choice(chains),
                "size": rnd.choice(SIZES),
                "scale_type": rnd.choice(["above", "below"]),
                "is_key": rnd.random() < 0.1,
                "status": "active" if rnd.random() < 0.95 else "suspended",
                "legal_rep": "张三",
                "contact_name": "李四",
                "contact_phone": "13800000000",
                "address": "湘潭高新区",
                "headcount": rnd.randint(5, 3000),
            }
        )
    _bulk(Enterprise, firms)
    firm_rows = db.session.execute(db.select(Enterprise.id, Enterprise.park_id)).all()

    assignments, firm_cadre = [], {}
    for j, (fid, park_id) in enumerate(firm_rows):
        if rnd.random() < 0.02:
            continue  # a few unassigned firms, as on a real officer's dashboard
        pool = cadres_by_park[park_id]
        cadre = pool[j % len(pool)]
        if rnd.random() < 0.1:  # some history: an earlier liaison
            earlier = rnd.choice(pool)
            assignments.append(
                {
                    "enterprise_id": fid,
                    "cadre_id": earlier,
                    "start_on": start - timedelta(days=400),
                    "end_on": start + timedelta(days=100),
                    "reason": "入园建档",
                    "end_reason": "调整",
                }
            )
        assignments.append(
            {
                "enterprise_id": fid,
                "cadre_id": cadre,
                "start_on": start - timedelta(days=300),
                "end_on": None,
                "reason": "入园建档",
                "end_reason": None,
            }
        )
        firm_cadre[fid] = cadre
    _bulk(Assignment, assignments)
    assigned = list(firm_cadre)

    span = (today - start).days
    visits = []
    for _ in range(counts["visits"]):
        fid = rnd.choice(assigned)
        visits.append(
            {
                "enterprise_id": fid,
                "cadre_id": firm_cadre[fid],
                "kind": rnd.choice(VISIT_KINDS),
                "visited_on": start + timedelta(days=rnd.randrange(span + 1)),
                "summary": "走访了解生产经营情况",
                "participants": "企业负责人",
                "findings": None,
            }
        )
    _bulk(Visit, visits)
    refresh_visit_summaries()

    _bulk(
        ProductItem,
        [
            {"enterprise_id": fid, "name": "主导产品", "category": "设备", "unit": "台", "capacity": 1000}
            for fid in assigned[::2]
        ],
    )
    sales = [
        {
            "enterprise_id": fid,
            "period": f"{(start + timedelta(days=31 * m)):%Y-%m}",
            "product": "主导产品",
            "market": "国内",
            "amount": rnd.randint(10, 5000),
        }
        for fid in assigned[::5]
        for m in range(12)
    ]
    _bulk(SalesItem, sales)
    _bulk(
        TechItem,
        [
            {"enterprise_id": fid, "kind": "demand", "title": "工艺改进", "status": "pending"}
            for fid in assigned[::7]
        ],
    )

    n_problems = _problems(
        rnd,
        counts["problems"],
        assigned,
        firm_cadre,
        firm_rows,
        dept_rows,
        handlers,
        start,
        today,
        cal,
        rules,
    )
    db.session.commit()
    _analyze()
    return counts | {"problems": n_problems}


def _next_due(row: dict) -> Optional[date]:
    """The derived nearest unmet deadline (the model keeps it on ORM writes; bulk inserts set it here)."""
    if row["status"] not in ("dispatched", "in_progress"):
        return None
    unmet = [row["due_on"]]
    for met, due in (("accepted_on", "sign_due_on"), ("first_feedback_on", "feedback_due_on"),
                     ("progress_on", "progress_due_on")):  # fmt: skip
        if row.get(met) is None:
            unmet.append(row[due])
    return min(unmet)


def _problems(rnd, n, assigned, firm_cadre, firm_rows, dept_rows, handlers, start, today, cal, rules) -> int:
    """Problems in every state, with the events that put them there (inserted in two bulk passes)."""
    park_of = dict(firm_rows)
    depts_for = {}
    for dept_id, park_id in dept_rows:
        for p in set(park_of.values()):
            if park_id in (None, p):
                depts_for.setdefault(p, []).append(dept_id)
    span = (today - start).days
    problems, plans = [], []
    for _ in range(n):
        fid = rnd.choice(assigned)
        raised = start + timedelta(days=rnd.randrange(span + 1))
        category = rnd.choice(list(PROBLEM_CATEGORIES))
        urgency = "urgent" if rnd.random() < 0.15 else "normal"
        row = {
            "enterprise_id": fid,
            "title": "企业诉求",
            "description": "企业反映的困难和问题",
            "category": category,
            "urgency": urgency,
            "source": "visit",
            "raised_on": raised,
            "raised_by_id": firm_cadre[fid],
            "status": "new",
            "level": 1,
            "redo_count": 0,
            "extension_count": 0,
            "on_spot": False,
            "version": 1,
        }
        events = [("raise", None, "new", raised, firm_cadre[fid], None)]
        age = (today - raised).days
        if age > 2:
            dept = rnd.choice(depts_for[park_of[fid]])
            d_on = raised + timedelta(days=1)
            cp = checkpoints_for(d_on, category, urgency, rules, cal)
            row.update(
                status="dispatched",
                department_id=dept,
                dispatched_on=d_on,
                sign_due_on=cp.sign,
                feedback_due_on=cp.feedback,
                progress_due_on=cp.progress,
                due_on=cp.due,
            )
            events.append(("dispatch", "new", "dispatched", d_on, None, dept))
            # Realistic fates: a problem older than a few weeks is almost always resolved and closed;
            # the open ones are mostly recent, a few per cent stuck (red, escalated), as in a real park.
            settled = age > 35 and rnd.random() < 0.97
            fate = 0.0 if settled else rnd.random()
            if fate < 0.9 and age > 4:
                acc = cal.add_workdays(d_on, 1 if rnd.random() < 0.8 else 3)
                if acc <= today:
                    row.update(
                        status="in_progress",
                        accepted_on=acc,
                        handler_id=handlers.get(dept),
                        first_feedback_on=min(acc + timedelta(days=1), today),
                    )
                    events.append(("accept", "dispatched", "in_progress", acc, handlers.get(dept), dept))
                    res = cal.add_workdays(d_on, rnd.randint(3, 14))
                    if res <= today and (settled or rnd.random() < 0.85):
                        row.update(status="resolved", resolved_on=res, progress_on=res, resolution="已办结")
                        events.append(("resolve", "in_progress", "resolved", res, handlers.get(dept), dept))
                        ev = res + timedelta(days=rnd.randint(1, 5))
                        if ev <= today:
                            verdict = rnd.choices(["satisfied", "basic", "unsatisfied"], [80, 15, 5])[0]
                            if verdict != "unsatisfied":
                                row.update(status="closed", evaluation=verdict, evaluated_on=ev, closed_on=ev)
                                events.append(("evaluate", "resolved", "closed", ev, firm_cadre[fid], dept))
            if row["status"] in ("dispatched", "in_progress") and row["due_on"] < today - timedelta(days=5):
                row["level"] = rnd.choice([2, 3, 4])
                events.append(
                    ("escalate", row["status"], row["status"], row["due_on"] + timedelta(days=3), None, dept)
                )
        row["next_due_on"] = _next_due(row)
        problems.append(row)
        plans.append(events)
    _bulk(Problem, problems)
    ids = _ids(Problem)[-len(problems) :]
    event_rows = []
    for pid, events in zip(ids, plans, strict=True):
        for action, frm, to, on, actor, dept in events:
            event_rows.append(
                {
                    "problem_id": pid,
                    "action": action,
                    "from_status": frm,
                    "to_status": to,
                    "happened_on": on,
                    "actor_id": actor,
                    "department_id": dept,
                    "note": None,
                    "data": None,
                    "at": datetime.combine(on, datetime.min.time()),
                }
            )
    _bulk(ProblemEvent, event_rows)
    return len(problems)


def main() -> None:
    parser = argparse.ArgumentParser(description="生成基准测试用的合成城市数据")
    parser.add_argument("--db", required=True, help="数据库 URL（空库）")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--today", default="2026-11-02")
    args = parser.parse_args()
    from bench.app import bench_app

    app = bench_app(args.db, args.today)
    with app.app_context():
        db.create_all()
        began = time.perf_counter()
        counts = generate(args.scale, date.fromisoformat(args.today))
        print(f"生成完成（{time.perf_counter() - began:.1f} 秒）：{counts}")


def _analyze() -> None:
    """Planner statistics, as PostgreSQL's autovacuum would gather soon after a bulk load."""
    if db.session.get_bind().dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")


def top_up_problems(total: int, today: date, seed: int = 7) -> int:
    """Add problems (with events) to an existing city until it holds `total` (for the export measure)."""
    have = db.session.scalar(db.select(db.func.count(Problem.id)))
    if have >= total:
        return 0
    firm_cadre = dict(
        db.session.execute(
            db.select(Assignment.enterprise_id, Assignment.cadre_id).where(Assignment.end_on.is_(None))
        ).all()
    )
    firm_rows = db.session.execute(db.select(Enterprise.id, Enterprise.park_id)).all()
    dept_rows = db.session.execute(db.select(Department.id, Department.park_id)).all()
    handlers = dict(
        db.session.execute(
            db.select(User.department_id, User.id).where(User.role == "handler", User.is_dept_head.is_(False))
        ).all()
    )
    start = today.replace(day=1) - timedelta(days=365)
    added = _problems(
        random.Random(seed),
        total - have,
        list(firm_cadre),
        firm_cadre,
        firm_rows,
        dept_rows,
        handlers,
        start,
        today,
        WorkCalendar(),
        ProblemRules(),
    )
    db.session.commit()
    _analyze()
    return added


if __name__ == "__main__":
    main()
