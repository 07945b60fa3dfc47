"""惠企政策 at city scale: the synthetic city (bench.generate) plus firm 画像 and a few hundred policies with
random conditions, then matching measured where users meet it.

    python -m bench.policies [--scale 1.0] [--policies 300] [--pg URL] [--skip-sqlite]

Generates (on top of the city) qualifications with years for about a third of the firms, managed tags,
founding dates, POLICIES policies (half a park's own, half city-wide; each with 0–4 condition kinds) and
pairs walked part of the way for about a tenth of the matched firms. Measures, p50/p95 over REQUESTS:
a policy's page (its matched firms, one page), a firm's 政策 tab, 我的企业 with its 待送达, the library
(20 policies with their counts); once: matching every policy against every firm of the city (the counts),
the 政策兑现 figures of last month, the dashboard card, and the window-closing reminder job.
Writes bench/policies_results.md.
"""

import argparse
import random
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update

HERE = Path(__file__).resolve().parent
TODAY = "2026-11-02"
REQUESTS = 15


def generate_policies(today: date, n_policies: int = 300, seed: int = 16) -> dict[str, int]:
    """Add 画像, policies and pairs to a generated city (Core bulk inserts; deterministic)."""
    from crm.extensions import db
    from crm.models import (
        Assignment,
        Enterprise,
        FirmQualification,
        IndustryChain,
        Park,
        Policy,
        PolicyEvent,
        PolicyMatch,
        PolicyQualification,
        PolicySize,
        Tag,
        User,
    )
    from crm.models.policy import policy_chains, policy_parks, policy_tags
    from crm.models.profile import QUALIFICATIONS, enterprise_tags

    rnd = random.Random(seed)
    firms = db.session.execute(select(Enterprise.id, Enterprise.park_id).order_by(Enterprise.id)).all()
    parks = list(db.session.scalars(select(Park.id).order_by(Park.id)))
    chains = list(db.session.scalars(select(IndustryChain.id)))
    codes = list(QUALIFICATIONS)
    founded = [{"fid": fid, "day": today - timedelta(days=rnd.randint(200, 9000))} for fid, _ in firms]
    table = Enterprise.__table__
    stmt = update(table).where(table.c.id == bindparam("fid")).values(founded_on=bindparam("day"))
    db.session.execute(stmt, founded)
    db.session.execute(insert(Tag), [{"name": f"标签{i}", "sort_order": i} for i in range(12)])
    tags = list(db.session.scalars(select(Tag.id)))
    quals, tagged = [], []
    for fid, _park in firms:
        if rnd.random() < 0.35:
            for code in rnd.sample(codes, rnd.choice((1, 1, 2))):
                quals.append(
                    {"enterprise_id": fid, "code": code, "year": rnd.choice((None, *range(2016, 2027)))}
                )
        if rnd.random() < 0.3:
            tagged += [{"enterprise_id": fid, "tag_id": t} for t in rnd.sample(tags, rnd.choice((1, 2)))]
    for start in range(0, len(quals), 5000):
        db.session.execute(insert(FirmQualification), quals[start : start + 5000])
    for start in range(0, len(tagged), 5000):
        db.session.execute(insert(enterprise_tags), tagged[start : start + 5000])
    admin = db.session.scalar(select(User.id).where(User.username == "admin"))
    policies, links = [], {"parks": [], "chains": [], "tags": [], "sizes": [], "quals": []}
    for i in range(n_policies):
        owner = rnd.choice(parks) if i % 2 else None
        published = today - timedelta(days=rnd.randint(10, 300))
        fields: dict[str, Any] = {
            "id": i + 1, "park_id": owner, "title": f"政策{i + 1:03d}", "issuer": "某局", "level": "city",
            "summary": "政策要点", "benefit_kind": "fund", "status": "published", "published_on": published,
            "valid_from": date(today.year, 1, 1), "valid_to": date(today.year, 12, 31),
            "apply_from": published, "apply_to": today + timedelta(days=rnd.randint(-30, 120)),
            "remind_days": 10, "created_by_id": admin, "max_amount": 50,
        }  # fmt: skip
        kinds = rnd.sample(["chain", "size", "scale", "qual", "tag", "founded"], rnd.randint(0, 4))
        if "scale" in kinds:
            fields["scale_type"] = rnd.choice(("above", "below"))
        if "founded" in kinds:
            fields["founded_from"] = today - timedelta(days=rnd.randint(365, 3650))
        policies.append(fields)
        pid = i + 1
        if owner is not None:
            links["parks"].append({"policy_id": pid, "park_id": owner})
        elif rnd.random() < 0.3:
            picked = rnd.sample(parks, min(3, len(parks)))
            links["parks"] += [{"policy_id": pid, "park_id": p} for p in picked]
        if "chain" in kinds:
            links["chains"] += [
                {"policy_id": pid, "chain_id": c} for c in rnd.sample(chains, rnd.randint(1, 3))
            ]
        if "size" in kinds:
            picked = rnd.sample(["large", "medium", "small", "micro"], rnd.randint(1, 3))
            links["sizes"] += [{"policy_id": pid, "size": s} for s in picked]
        if "qual" in kinds:
            links["quals"] += [{"policy_id": pid, "code": c} for c in rnd.sample(codes, rnd.randint(1, 3))]
        if "tag" in kinds:
            links["tags"] += [{"policy_id": pid, "tag_id": t} for t in rnd.sample(tags, rnd.randint(1, 2))]
    db.session.execute(insert(Policy), policies)
    for key, table in (("parks", policy_parks), ("chains", policy_chains), ("tags", policy_tags)):
        if links[key]:
            db.session.execute(insert(table), links[key])
    if links["sizes"]:
        db.session.execute(insert(PolicySize), links["sizes"])
    if links["quals"]:
        db.session.execute(insert(PolicyQualification), links["quals"])
    db.session.flush()
    pairs = _walk_some(rnd, today)
    db.session.commit()
    return {
        "policies": n_policies,
        "qualifications": len(quals),
        "tagged": len(tagged),
        "pairs": pairs,
        "events": db.session.scalar(select(func.count(PolicyEvent.id))) or 0,
        "assigned": db.session.scalar(select(func.count(Assignment.id))) or 0,
        "matches": db.session.scalar(select(func.count(PolicyMatch.id))) or 0,
    }


def _walk_some(rnd: random.Random, today: date) -> int:
    """Pairs for about a tenth of each policy's matched firms: 送达, then on towards 兑现 (bulk inserts)."""
    from crm.extensions import db
    from crm.models import Assignment, Enterprise, Policy, PolicyEvent, PolicyMatch
    from crm.services.policies.conditions import policy_clause
    from crm.services.policies.matching import CONDITION_LOADS

    pairs, events = [], []
    for policy in db.session.scalars(select(Policy).options(*CONDITION_LOADS)):
        assert policy.published_on is not None
        rows = db.session.execute(
            select(Enterprise.id, Assignment.cadre_id)
            .join(Assignment, (Assignment.enterprise_id == Enterprise.id) & Assignment.end_on.is_(None))
            .where(policy_clause(policy))
        ).all()
        for firm_id, cadre_id in rnd.sample(rows, len(rows) // 10):
            day = min(policy.published_on + timedelta(days=rnd.randint(0, 40)), today)
            path = rnd.choice((["deliver"], ["deliver", "interest"], ["deliver", "interest", "apply"],
                               ["deliver", "interest", "apply", "approve"]))  # fmt: skip
            status = {
                "deliver": "delivered",
                "interest": "interested",
                "apply": "applied",
                "approve": "approved",
            }
            amount = rnd.randint(1, 50) if path[-1] == "approve" else None
            pairs.append({"id": len(pairs) + 1, "policy_id": policy.id, "enterprise_id": firm_id,
                          "status": status[path[-1]], "delivered_on": day, "delivered_by_id": cadre_id,
                          "applied_on": day if "apply" in path else None, "amount": amount,
                          "decided_on": day if amount else None})  # fmt: skip
            before = "matched"
            for step in path:
                events.append({"match_id": len(pairs), "policy_id": policy.id, "enterprise_id": firm_id,
                               "action": step, "from_status": before, "to_status": status[step],
                               "actor_id": cadre_id, "by_firm": False, "happened_on": day,
                               "amount": amount if step == "approve" else None})  # fmt: skip
                before = status[step]
    for start in range(0, len(pairs), 5000):
        db.session.execute(insert(PolicyMatch), pairs[start : start + 5000])
    for start in range(0, len(events), 5000):
        db.session.execute(insert(PolicyEvent), events[start : start + 5000])
    return len(pairs)


def _once(fn) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def measure(app, n: int) -> dict[str, Any]:
    """The pages (p50, p95 ms, SQL per request) and the city-wide tasks (seconds)."""
    from bench.run import _client, _p, _time
    from crm.extensions import db
    from crm.models import Assignment, Enterprise, Policy, PolicyMatch, User
    from crm.services.policies.figures import policy_card, policy_report
    from crm.services.policies.matching import CONDITION_LOADS, policy_counts
    from crm.services.reminders.policies import policy_window_reminders

    day = date.fromisoformat(TODAY)
    with app.app_context():
        ids = dict(db.session.execute(select(User.username, User.id)).all())
        busiest = db.session.scalar(
            select(PolicyMatch.policy_id)
            .group_by(PolicyMatch.policy_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        cadre = db.session.scalar(
            select(Assignment.cadre_id).where(Assignment.end_on.is_(None)).group_by(Assignment.cadre_id)
            .order_by(func.count().desc()).limit(1)
        )  # fmt: skip
        firm = db.session.scalar(
            select(PolicyMatch.enterprise_id)
            .group_by(PolicyMatch.enterprise_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        park = db.session.scalar(select(Enterprise.park_id).where(Enterprise.id == firm))
        firm_cadre = db.session.scalar(
            select(Assignment.cadre_id).where(Assignment.enterprise_id == firm, Assignment.end_on.is_(None))
        )
    pages = [
        ("政策页（匹配企业）", ids["leader"], f"/policies/{busiest}"),
        ("政策页（待送达筛选）", ids["leader"], f"/policies/{busiest}?status=pending"),
        ("企业档案·政策", ids[f"officer{park}"], f"/enterprises/{firm}?tab=policies"),
        ("我的企业（含待送达）", cadre, f"/cadres/{cadre}"),
        ("政策库（全市）", ids["leader"], "/policies/"),
        ("走访表单（送政策）", firm_cadre, f"/enterprises/{firm}/visits/new"),
    ]
    out: dict[str, Any] = {"pages": []}
    for name, user_id, path in pages:
        client = _client(app, user_id)
        times, queries, cold = _time(app, client, path, n)
        out["pages"].append((name, _p(times, 0.5), _p(times, 0.95), queries, cold))
        print(
            f"  {name:<14} p50 {_p(times, 0.5):7.1f} ms  p95 {_p(times, 0.95):7.1f} ms  SQL {queries}",
            flush=True,
        )
    with app.app_context():
        policies = list(db.session.scalars(select(Policy).options(*CONDITION_LOADS)))
        firms = db.session.scalar(select(func.count(Enterprise.id)))
        out["tasks"] = {
            f"全市匹配计数（{len(policies)} 项政策 × {firms} 家企业）": _once(
                lambda: policy_counts(policies, day)
            ),
            "政策兑现表（全市，上月）": _once(
                lambda: policy_report(None, date(2026, 10, 1), date(2026, 10, 31))
            ),
            "工作台政策卡片（全市）": _once(lambda: policy_card(None, day)),
        }
        made: dict[str, int] = {}
        seconds = _once(lambda: made.update(policy_window_reminders(day)))
        label = (
            f"申报截止提醒任务（{made.get('policies')} 项政策临近截止，新建提醒 {made.get('created')} 条）"
        )
        out["tasks"][label] = seconds
        db.session.rollback()
    for key, seconds in out["tasks"].items():
        print(f"  {key}: {seconds:.2f} 秒", flush=True)
    return out


def run(backend: str, url: str, scale: float, n_policies: int, n: int) -> dict[str, Any]:
    from bench.app import bench_app
    from bench.generate import generate
    from crm.extensions import db

    print(f"== {backend}，规模 {scale} ==", flush=True)
    app = bench_app(url, TODAY)
    with app.app_context():
        db.drop_all()
        db.create_all()
        began = time.perf_counter()
        counts = generate(scale, date.fromisoformat(TODAY))
        counts |= generate_policies(date.fromisoformat(TODAY), n_policies)
        seconds = time.perf_counter() - began
    print(f"  生成数据 {seconds:.0f} 秒：{counts}", flush=True)
    result = {"backend": backend, "scale": scale, "counts": counts, "generate": seconds} | measure(app, n)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return result


def write(results: list[dict[str, Any]], path: Path) -> Path:
    lines = [
        "# 惠企政策匹配基准",
        "",
        f"- 日期：{time.strftime('%Y-%m-%d %H:%M')}；页面耗时为服务器端（WSGI 应用内）时间。",
        "",
    ]
    for r in results:
        lines += [
            f"## {r['backend']}（规模 {r['scale']}）",
            "",
            f"数据：{r['counts']}，生成 {r['generate']:.0f} 秒。",
            "",
        ]
        lines += ["| 页面 | p50 ms | p95 ms | 首次 ms | SQL 条数 |", "|---|---:|---:|---:|---:|"]
        lines += [
            f"| {name} | {p50:.1f} | {p95:.1f} | {cold:.1f} | {q} |" for name, p50, p95, q, cold in r["pages"]
        ]
        lines += ["", "| 任务 | 耗时 秒 |", "|---|---:|"]
        lines += [f"| {k} | {v:.2f} |" for k, v in r["tasks"].items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def main() -> None:
    from bench.pgserver import postgres_bin, throwaway_postgres

    parser = argparse.ArgumentParser(description="惠企政策匹配基准")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--policies", type=int, default=300)
    parser.add_argument("--pg", default=None, help="PostgreSQL URL（空库；默认起一个临时服务器）")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    results = []
    if not args.skip_sqlite:
        db_file = Path("/tmp/bench-policies.sqlite3")
        db_file.unlink(missing_ok=True)
        results.append(run("SQLite", f"sqlite:///{db_file}", args.scale, args.policies, REQUESTS))
    if not args.skip_pg:
        if args.pg:
            results.append(run("PostgreSQL", args.pg, args.scale, args.policies, REQUESTS))
        elif postgres_bin() is not None:
            with throwaway_postgres() as url:
                results.append(run("PostgreSQL", url, args.scale, args.policies, REQUESTS))
    print(f"结果已写入 {write(results, HERE / 'policies_results.md')}")


if __name__ == "__main__":
    main()
