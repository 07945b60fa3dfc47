"""Benchmark of similar past problems: a city of 20 parks × 3,000 problems (60,000) with realistic Chinese
titles, descriptions and resolutions across the categories, on a temporary SQLite file (and PostgreSQL with
--pg). Measures the cold index build of one park and of the whole city, then p50/p95 of the suggestion query
for a park (~3k) and city-wide (60k): the service call and the HTTP fragment through the test client, plus
a park's rebuild after one new problem. Prints a table.

    .venv/bin/python -m bench.similar [--parks 20] [--per-park 3000] [--n 60] [--pg]
"""

import argparse
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bench.app import bench_app
from bench.generate import _analyze
from crm.extensions import db
from crm.models import Assignment, Department, Enterprise, Park, Problem, User

TODAY = "2026-11-02"
BATCH = 5000
# (category, department, title stems, situations, resolutions): the vocabulary a park's problems use.
TOPICS: list[tuple[str, str, list[str], list[str], list[str]]] = [
    ("finance", "税务局", ["出口退税到账慢", "增值税留抵退税进度", "出口退税审核时间长", "退税资料反复退回"],
     ["出口退税申报后一个多月仍未到账", "留抵退税申请提交后迟迟没有审核结果", "单证备案资料不熟悉多次被退回"],
     ["开通出口退税绿色通道，7个工作日内到账", "专管员上门辅导单证备案", "预审加容缺受理，本批退税已到账"]),
    ("finance", "园区金融办", ["流动资金贷款续贷困难", "银行抽贷断贷", "应收账款融资难", "担保费率偏高"],
     ["一笔流动资金贷款即将到期续贷审批受阻", "合作银行收紧授信额度", "下游客户回款慢资金周转紧张"],
     ["协调合作银行完成续贷", "推荐政府性融资担保，费率降至1%", "对接供应链金融平台办理应收账款融资"]),
    ("land", "自然资源和规划局", ["扩产用地指标不足", "厂房建设用地报批慢", "闲置土地盘活", "不动产权证办理"],
     ["二期扩产项目需新增用地30亩指标未落实", "用地报批材料提交一个月进度不明", "历史遗留厂房无法办理产权证"],
     ["调剂用地指标并完成挂牌出让", "加快组卷报批，用地批复已下达", "先租后让盘活闲置地块"]),
    ("labour", "人力资源和社会保障局", ["招工难缺普工", "技术工人短缺", "稳岗补贴申领", "员工社保转移"],
     ["订单旺季生产线缺普工50名", "数控机床操作工招聘困难", "不清楚稳岗补贴申领条件"],
     ["组织专场招聘会两周到岗46人", "对接职业院校开展订单式培养", "指导企业申领稳岗扩岗补贴"]),
    ("utilities", "国网供电公司", ["生产线用电增容", "频繁跳闸停电", "天然气供应不足", "蒸汽管网接入"],
     ["新上两条生产线变压器容量不足需增容800千伏安", "厂区线路老化一周跳闸三次", "冬季用气高峰供气压力不足"],
     ["完成增容方案并送电", "更换老化开关柜并监测电能质量", "协调燃气公司错峰保供"]),
    ("approval", "行政审批服务局", ["环评批复办理", "施工许可证办理慢", "消防验收", "排污许可证延续"],
     ["新建涂装线需办理环评批复流程不熟", "施工图审查多次退改", "消防验收资料准备不全"],
     ["协助编制环评报告并取得批复", "容缺受理先行开工", "提前介入指导完成消防验收"]),
    ("logistics", "交通运输局", ["货车通行受限", "园区道路破损", "物流成本高", "集装箱堆场不足"],
     ["园区东路限高限行重型货车无法进出", "主干道路面破损影响运输", "出口货物集港成本高"],
     ["调整货车通行时段并办理通行证", "完成道路修复", "对接铁海联运班列降低物流成本"]),
    ("technology", "科技局", ["高新技术企业认定", "产学研合作", "专利申请资助", "研发费用加计扣除"],
     ["拟申报高新技术企业不清楚条件", "希望与高校合作攻关电机能效", "专利申请费用负担重"],
     ["上门讲解认定条件并辅导申报", "对接湘潭大学组建联合实验室", "指导申领专利资助"]),
    ("market", "商务局", ["拓展海外市场", "产品进入政府采购", "商标被仿冒", "对接本地整机企业"],
     ["外贸订单下滑希望参加境外展会", "产品未进入本地采购目录", "注册商标在电商平台被仿冒"],
     ["组织参加广交会并给予展位补贴", "协调纳入采购目录", "协调市场监管部门立案查处"]),
    ("other", "园区经济发展局", ["员工子女入学", "人才公寓申请", "食堂证照办理", "企业搬迁协调"],
     ["引进的技术骨干子女需在周边入学", "新招聘大学生住宿困难", "职工食堂证照过期"],
     ["协调园区学校接收入学", "安排人才公寓20套", "指导办理食品经营许可证"]),
]  # fmt: skip
MODIFIERS = ["", "", "近期", "急需解决", "二期项目", "再次反映", "年底前", "影响订单交付"]
WISHES = ["希望尽快协调", "希望相关部门帮助解决", "请求加快办理", "希望给予政策支持"]
QUERIES = [
    ("出口退税到账慢", ""),
    ("出口退税到账慢", "上季度出口退税申报后两个月没到账，资金周转紧张"),
    ("扩产用地指标", "二期厂房需要新增用地"),
    ("招工难", "旺季缺普工"),
    ("用电增容", "新生产线变压器容量不够"),
    ("环评批复", ""),
    ("货车限行", "重型货车进不了厂"),
    ("贷款续贷", "银行抽贷"),
    ("高新技术企业认定条件", ""),
    ("商标仿冒维权", "电商平台有人卖假货"),
    ("员工子女上学", ""),
    ("天然气供应", "冬季用气紧张"),
]


def _problem_text(rnd: random.Random) -> tuple[str, str, str, str, int]:
    """category, title, description, resolution, topic index."""
    i = rnd.randrange(len(TOPICS))
    category, _dept, stems, situations, resolutions = TOPICS[i]
    title = rnd.choice(MODIFIERS) + rnd.choice(stems)
    # Figures, workshops and months make each description its own text, as typed ones are.
    detail = f"涉及{rnd.randint(1, 9)}号车间，金额约{rnd.randint(20, 5000)}万元，{rnd.randint(1, 12)}月起持续"
    description = (
        f"企业反映：{rnd.choice(situations)}，{detail}，{rnd.choice(situations)}。{rnd.choice(WISHES)}。"
    )
    resolution = rnd.choice(resolutions) + (
        f"，{rnd.randint(2, 15)}个工作日办结。" if rnd.random() < 0.7 else "。"
    )
    return category, title, description, resolution, i


def generate(parks: int, per_park: int, seed: int = 2026) -> dict[str, int]:
    """The synthetic city: parks, their departments, officers, firms and problems (Core bulk inserts)."""
    rnd = random.Random(seed)
    day = date.fromisoformat(TODAY)
    db.session.execute(insert(Park), [{"code": f"S{p:02d}", "name": f"第{p + 1}园区"} for p in range(parks)])
    park_ids = list(db.session.scalars(select(Park.id).order_by(Park.id)))
    db.session.execute(
        insert(Department), [{"name": t[1] + str(i), "park_id": None} for i, t in enumerate(TOPICS)]
    )
    dept_ids = list(db.session.scalars(select(Department.id).order_by(Department.id)))
    users: list[dict[str, Any]] = [{"username": "admin", "name": "管理员", "role": "admin"}]
    users += [
        {"username": f"officer{p}", "name": f"管理员{p}", "role": "officer", "park_id": p} for p in park_ids
    ]
    users += [{"username": f"cadre{p}", "name": f"干部{p}", "role": "cadre", "park_id": p} for p in park_ids]
    db.session.execute(insert(User), [u | {"password_hash": "x"} for u in users])
    firms = []
    for p in park_ids:
        for _ in range(60):
            n = len(firms)
            firms.append(
                {"name": f"湘潭第{n}号制造有限公司", "credit_code": f"91430300{n:09d}X", "park_id": p}
            )
    db.session.execute(insert(Enterprise), [f | {"name_key": f["name"]} for f in firms])
    firm_rows = db.session.execute(select(Enterprise.id, Enterprise.park_id)).all()
    by_park: dict[int, list[int]] = {}
    for fid, pid in firm_rows:
        by_park.setdefault(pid, []).append(fid)
    cadres = dict(db.session.execute(select(User.park_id, User.id).where(User.role == "cadre")).all())
    db.session.execute(
        insert(Assignment),
        [{"enterprise_id": f, "cadre_id": cadres[p], "start_on": day - timedelta(days=400), "reason": "基准"}
         for p, fs in by_park.items() for f in fs],
    )  # fmt: skip
    rows = []
    for p in park_ids:
        for _ in range(per_park):
            category, title, description, resolution, topic = _problem_text(rnd)
            raised = day - timedelta(days=rnd.randint(1, 700))
            fate = rnd.random()
            status = (
                "closed"
                if fate < 0.6
                else "resolved"
                if fate < 0.7
                else "in_progress"
                if fate < 0.85
                else "new"
            )
            solved = status in ("closed", "resolved")
            rows.append({
                "enterprise_id": rnd.choice(by_park[p]), "title": title, "description": description,
                "category": category, "urgency": "normal", "source": "visit", "status": status,
                "raised_on": raised, "department_id": dept_ids[topic] if status != "new" else None,
                "resolution": resolution if solved else None,
                "resolved_on": raised + timedelta(days=9) if solved else None,
                "level": 1, "redo_count": 0, "extension_count": 0, "on_spot": False, "version": 1,
            })  # fmt: skip
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(Problem), rows[start : start + BATCH])
    db.session.commit()
    return {"parks": parks, "problems": len(rows), "firms": len(firms)}


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def _timed(fn, n: int) -> tuple[float, float]:
    """p50 and p95 (ms) of n calls of fn(i)."""
    times = []
    for i in range(n):
        began = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - began)
    return _p(times, 0.5), _p(times, 0.95)


def _client(app, username: str):
    with app.app_context():
        session_id = db.session.scalar(select(User).where(User.username == username)).get_id()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = session_id
        sess["_fresh"] = True
    return client


def measure(app, n: int) -> list[tuple[str, str]]:
    """(measure, result) rows: cold builds, warm service and HTTP percentiles, a rebuild after an insert."""
    from crm.services.knowledge.index import INDEXES
    from crm.services.knowledge.similar import similar_problems

    with app.app_context():
        park = db.session.scalar(select(Park.id).order_by(Park.id))
        firm = db.session.scalar(
            select(Enterprise.id).where(Enterprise.park_id == park).order_by(Enterprise.id)
        )
        total = db.session.scalar(select(db.func.count(Problem.id)))
        per_park = db.session.scalar(
            select(db.func.count(Problem.id)).join(Enterprise).where(Enterprise.park_id == park)
        )
    rows: list[tuple[str, str]] = []

    def service(username: str, firm_id):
        def call(i: int):
            title, description = QUERIES[i % len(QUERIES)]
            with app.app_context():
                user = db.session.scalar(select(User).where(User.username == username))
                hits = similar_problems(user, title, description, firm_id)
                assert hits, (title, username)

        return call

    INDEXES.clear()
    began = time.perf_counter()
    service(f"cadre{park}", firm)(0)
    rows.append(
        (f"冷启动：建一个园区的索引（{per_park} 条）", f"{(time.perf_counter() - began) * 1000:.0f} ms")
    )
    began = time.perf_counter()
    service("admin", None)(0)
    rows.append(
        (f"冷启动：全市其余园区的索引（全市共 {total} 条）", f"{(time.perf_counter() - began) * 1000:.0f} ms")
    )
    for label, username, firm_id in (
        (f"园区（{per_park} 条）", f"cadre{park}", firm),
        ("全市", "admin", None),
    ):
        p50, p95 = _timed(service(username, firm_id), n)
        rows.append((f"服务调用·{label}", f"p50 {p50:.1f} ms / p95 {p95:.1f} ms"))
        client = _client(app, username)

        def http(i: int, client=client, firm_id=firm_id):
            title, description = QUERIES[i % len(QUERIES)]
            query = {"title": title, "description": description, "enterprise_id": firm_id or ""}
            resp = client.get("/knowledge/similar", query_string=query)
            assert resp.status_code == 200 and b"data-similar-hit" in resp.data, resp.status_code

        p50, p95 = _timed(http, n)
        rows.append((f"HTTP 片段·{label}", f"p50 {p50:.1f} ms / p95 {p95:.1f} ms"))
    with app.app_context():  # one new problem in the park: its index (only) is rebuilt on the next query
        db.session.execute(
            insert(Problem),
            [{"enterprise_id": firm, "title": "出口退税到账慢", "description": "新问题", "category": "other",
              "source": "visit", "status": "new", "raised_on": date.fromisoformat(TODAY), "level": 1,
              "redo_count": 0, "extension_count": 0, "on_spot": False, "version": 1}],
        )  # fmt: skip
        db.session.commit()
    began = time.perf_counter()
    service(f"cadre{park}", firm)(0)
    rows.append(("新增一条问题后的首次查询（重建该园区）", f"{(time.perf_counter() - began) * 1000:.0f} ms"))
    return rows


def run(url: str, parks: int, per_park: int, n: int) -> list[tuple[str, str]]:
    app = bench_app(url, TODAY)
    with app.app_context():
        db.create_all()
        began = time.perf_counter()
        counts = generate(parks, per_park)
        _analyze()  # planner statistics, as autovacuum gathers them after a bulk load (PostgreSQL)
        print(f"  生成 {counts}（{time.perf_counter() - began:.1f} 秒）", flush=True)
    return measure(app, n)


def _print(backend: str, rows: list[tuple[str, str]]) -> None:
    print(f"\n相似问题基准（{backend}）")
    width = max(len(label) for label, _ in rows) + 2
    for label, value in rows:
        print(f"  {label:<{width}}{value}")


def main() -> None:
    parser = argparse.ArgumentParser(description="相似问题推荐的基准测试")
    parser.add_argument("--parks", type=int, default=20)
    parser.add_argument("--per-park", type=int, default=3000)
    parser.add_argument("--n", type=int, default=60, help="每项测量的查询次数")
    parser.add_argument("--pg", action="store_true", help="同时在临时 PostgreSQL 上测量")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-similar-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'similar.sqlite3'}"
        print("SQLite：", flush=True)
        _print("SQLite", run(url, args.parks, args.per_park, args.n))
    if args.pg:
        from bench.pgserver import throwaway_postgres

        with throwaway_postgres() as pg_url:
            print("PostgreSQL：", flush=True)
            _print("PostgreSQL", run(pg_url, args.parks, args.per_park, args.n))


if __name__ == "__main__":
    main()
