"""Demo data: a realistic park (湘潭高新区) built on the reference data, deterministic for a given today."""

import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from crm.demo.activity import DemoActivity
from crm.demo.evidence import DemoEvidence
from crm.demo.firm_voice import load_demo_firm_voice
from crm.demo.hotspots import load_demo_hotspots
from crm.demo.knowledge_cases import load_demo_cases
from crm.demo.knowledge_groups import load_demo_groups
from crm.demo.knowledge_similar import load_demo_similar
from crm.demo.policies import demo_tags, load_demo_policies, profile_of
from crm.demo.problems import load_demo_problems
from crm.extensions import db
from crm.models import Department, Enterprise, IndustryChain, Park, User
from crm.services import ServiceError
from crm.services.assignments.operations import assign_enterprise, handover_caseload
from crm.services.common.creditcode import CHARSET, check_digit
from crm.services.enterprises.registry import create_enterprise
from crm.services.reference.seed import load_reference_data
from crm.services.users.accounts import create_user

DEMO_FILE = Path(__file__).resolve().parents[2] / "seeds" / "demo.json"
DEMO_PASSWORD = "Demo2026!"
DEMO_URL = "http://127.0.0.1:5000"
# A fixed seed: the same today always gives the same park, so demos and screenshots are repeatable.
DEMO_SEED = 20260101

# (headcount range, output range in 万元) by enterprise size.
SIZE_RANGES = {
    "large": ((1000, 3500), (50_000, 300_000)),
    "medium": ((300, 999), (8_000, 50_000)),
    "small": ((30, 299), (1_000, 8_000)),
    "micro": ((5, 29), (100, 1_500)),
}
ABOVE_SCALE_OUTPUT = 2_000  # 规上: annual output of at least 2000 万元


@dataclass
class FirmSpec:
    data: dict[str, Any]
    plan: str = "assigned"  # assigned | unassigned | handed_over | after_handover
    firm: Optional[Enterprise] = field(default=None, repr=False)
    chain: str = ""
    industry: str = ""  # what the name says the firm makes (电机, 酱业 …): picks its products

    @property
    def created(self) -> Enterprise:
        """The firm, once seed_demo() has created it."""
        if self.firm is None:
            raise RuntimeError(f"{self.data.get('name')} has not been created yet")
        return self.firm


def read_demo_file(path: Path = DEMO_FILE) -> dict[str, Any]:
    """The demo definition (users, word lists, plan) from seeds/demo.json."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def has_users() -> bool:
    """Whether the database already holds any account (the demo only goes into an empty one)."""
    return db.session.execute(select(func.count(User.id))).scalar_one() > 0


def demo_logins(path: Path = DEMO_FILE) -> list[User]:
    """The demo accounts present in the database, in the order of seeds/demo.json."""
    order = [u["username"] for u in read_demo_file(path)["users"]]
    users = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(order)))}
    return [users[name] for name in order if name in users]


def _weighted(rnd: random.Random, weights: dict[str, int]) -> str:
    return rnd.choices(list(weights), weights=list(weights.values()))[0]


def _person(rnd: random.Random, words: dict[str, Any]) -> str:
    given = "".join(rnd.sample(words["given"], rnd.choice((1, 2, 2))))
    return rnd.choice(words["surnames"]) + given


def _mobile(rnd: random.Random, words: dict[str, Any]) -> str:
    return rnd.choice(words["mobile_prefixes"]) + "".join(rnd.choice("0123456789") for _ in range(8))


def _credit_code(rnd: random.Random, words: dict[str, Any], founded: date, used: set[str]) -> str:
    """A valid, unique code; firms registered since 2015 get the newer "MA" style organisation part."""
    while True:
        prefix = rnd.choice(words["credit_prefixes"])
        if founded.year >= 2015:
            org = "MA4" + "".join(rnd.choice(CHARSET[:31]) for _ in range(6))
        else:
            org = "".join(rnd.choice("0123456789") for _ in range(8)) + rnd.choice(CHARSET)
        code = prefix + org
        code += check_digit(code)
        if code not in used:
            used.add(code)
            return code


def _address(rnd: random.Random, words: dict[str, Any]) -> str:
    street = rnd.choice(words["streets"])
    address = f"湖南省湘潭市湘潭高新区{street}{rnd.choice(words['roads'])}{rnd.randint(1, 299)}号"
    building = rnd.choice(words["parks_in_park"])
    if building:
        address += f"{building}{rnd.randint(1, 12)}栋"
    return address


def _figures(rnd: random.Random, size: str) -> dict[str, Any]:
    """Headcount, last year's output and tax (万元) and 规上/规下, plausible for the size."""
    (heads_lo, heads_hi), (out_lo, out_hi) = SIZE_RANGES[size]
    output = Decimal(rnd.randint(out_lo, out_hi))
    return {
        "headcount": rnd.randint(heads_lo, heads_hi),
        "output_last_year": output,
        "tax_last_year": (output * Decimal(rnd.randint(15, 60)) / 1000).quantize(Decimal("0.01")),
        "scale_type": "above" if output >= ABOVE_SCALE_OUTPUT else "below",
    }


def _firm_specs(
    rnd: random.Random, words: dict[str, Any], chains: dict[str, IndustryChain], park: Park, today: date
) -> list[FirmSpec]:
    """Generate the firms' data from the word lists; names are unique (credit codes come later)."""
    names: set[str] = set()
    specs: list[FirmSpec] = []
    chain_weights = {name: c["weight"] for name, c in words["chains"].items()}
    while len(specs) < words["count"]:
        chain_name = _weighted(rnd, chain_weights)
        region = _weighted(rnd, words["regions"])
        size = _weighted(rnd, words["sizes"])
        if size == "large" and rnd.random() < 0.6:
            suffix = "股份有限公司"
        else:
            suffix = _weighted(rnd, words["suffixes"])
        industry = rnd.choice(words["chains"][chain_name]["industries"])
        name = region + rnd.choice(words["brands"]) + industry + suffix
        if name in names:
            continue
        names.add(name)
        figures = _figures(rnd, size)
        founded = today - timedelta(days=rnd.randint(3 * 365, 25 * 365))
        tags = rnd.sample(words["tags"], rnd.choice((0, 0, 1, 1, 2)))
        is_key = (
            size == "large"
            or (size == "medium" and rnd.random() < 0.5)
            or (figures["scale_type"] == "above" and rnd.random() < 0.1)
        )
        phone = _mobile(rnd, words) if rnd.random() < 0.8 else f"0731-5{rnd.randint(1000000, 9999999)}"
        specs.append(
            FirmSpec(
                {
                    "name": name,
                    "credit_code": "",  # set below, once founded_on is final
                    "legal_rep": _person(rnd, words),
                    "contact_name": _person(rnd, words),
                    "contact_phone": phone,
                    "address": _address(rnd, words),
                    "park_id": park.id,
                    "chain_id": chains[chain_name].id,
                    "size": size,
                    "is_key": is_key,
                    "founded_on": founded,
                    "status": "active",
                    "tags": ",".join(tags) or None,
                }
                | figures,
                chain=chain_name,
                industry=industry,
            )
        )
    return specs


def _plan(rnd: random.Random, specs: list[FirmSpec], plan: dict[str, Any], today: date) -> None:
    """Decide each firm's fate: new and unassigned, handed over, suspended, or an ordinary assignment."""
    order = list(range(len(specs)))
    rnd.shuffle(order)
    n_unassigned, n_after = plan["unassigned_active"], plan["after_handover"]["firms"]
    n_handed_over = plan["handover"]["firms"]
    for pos, idx in enumerate(order):
        spec = specs[idx]
        if pos < n_unassigned + n_after:
            # Newly settled firms: young and small; waiting for a liaison, or given to the returning cadre.
            spec.plan = "unassigned" if pos < n_unassigned else "after_handover"
            spec.data["founded_on"] = today - timedelta(days=rnd.randint(90, 700))
            spec.data["tags"] = "新入园"
            spec.data["size"] = rnd.choice(("small", "micro"))
            spec.data.update(_figures(rnd, spec.data["size"]))
            spec.data["is_key"] = False
        elif pos < n_unassigned + n_after + n_handed_over:
            spec.plan = "handed_over"
    candidates = [
        s
        for s in specs
        if s.plan == "assigned" and s.data["size"] in ("small", "micro") and not s.data["is_key"]
    ]
    for spec in rnd.sample(candidates, plan["suspended"]):
        spec.data["status"] = "suspended"
        spec.data["tags"] = rnd.choice(("停产整顿", "订单不足"))
    # One suspended firm lost its liaison long ago; that is not a warning (only active firms need one).
    next(s for s in specs if s.data["status"] == "suspended").plan = "unassigned"


def _create_users(data: dict[str, Any], park: Park) -> dict[str, User]:
    departments = {d.name: d for d in db.session.scalars(select(Department))}
    users: dict[str, User] = {}
    rnd = random.Random(DEMO_SEED + 1)
    hashed = generate_password_hash(DEMO_PASSWORD)  # one hash for all: hashing per account takes seconds
    for item in data["users"]:
        dept = departments[item["department"]] if item.get("department") else None
        users[item["username"]] = create_user(
            item["username"],
            item["name"],
            item["role"],
            DEMO_PASSWORD,
            actor=users.get("admin"),
            park=park if item.get("park") else None,
            department=dept,
            phone=_mobile(rnd, data["firms"]),
            password_hash=hashed,
            is_dept_head=bool(item.get("dept_head")),
            leader_level=item.get("leader_level"),
        )
    return users


def load_demo(today: date, path: Path = DEMO_FILE) -> dict[str, int]:
    """Fill an empty database with a demo park: users, ~60 firms, liaisons with history, a handover,
    three months of visits, the firms' product, sales and technology lists, and problems in every state."""
    if has_users():
        raise ServiceError("数据库中已有用户，演示数据只能装入空数据库")
    load_reference_data()
    data = read_demo_file(path)
    words, plan = data["firms"], data["plan"]
    park = db.session.scalar(select(Park).where(Park.code == data["park"]))
    if park is None:
        raise ServiceError(f"基础数据中没有园区 {data['park']}")
    chains = {c.name: c for c in db.session.scalars(select(IndustryChain))}
    users = _create_users(data, park)
    officer, officer2 = users["officer"], users["officer2"]
    rnd = random.Random(DEMO_SEED)

    specs = _firm_specs(rnd, words, chains, park, today)
    _plan(rnd, specs, plan, today)
    used_codes: set[str] = set()
    # 画像: the managed tags; the word list's 高企, 专精特新 … become qualifications.
    tags = demo_tags(users["admin"])
    profile_rnd = random.Random(DEMO_SEED + 3)
    for spec in specs:
        spec.data["credit_code"] = _credit_code(rnd, words, spec.data["founded_on"], used_codes)
        spec.data |= profile_of((spec.data.pop("tags") or "").split(","), tags, profile_rnd, today)
        spec.firm = create_enterprise(spec.data, officer)

    cadres = [u for u in users.values() if u.role == "cadre"]
    handover = plan["handover"]
    from_cadre, to_cadre = users[handover["from"]], users[handover["to"]]
    handed_on = today - timedelta(days=handover["days_ago"])
    others = [c for c in cadres if c is not from_cadre]

    # Initial assignments, one to two years back (never before the firm was founded).
    ordinary = [s for s in specs if s.plan == "assigned"]
    for i, spec in enumerate(ordinary):
        start = max(today - timedelta(days=rnd.randint(150, 700)), spec.data["founded_on"])
        assign_enterprise(spec.created, others[i % len(others)], officer, start, "入园建档，落实一企一人")
    for spec in (s for s in specs if s.plan == "handed_over"):
        start = max(today - timedelta(days=rnd.randint(150, 700)), spec.data["founded_on"])
        assign_enterprise(spec.created, from_cadre, officer, start, "入园建档，落实一企一人")

    # A few reassignments in the past, so the liaison history tab has something to show.
    moved = rnd.sample([s for s in ordinary if s.data["status"] == "active"], plan["reassignments"])
    for spec in moved:
        current = spec.created.cadre
        successor = next(c for c in others[rnd.randrange(len(others)) :] + others if c is not current)
        assign_enterprise(
            spec.created,
            successor,
            officer2,
            today - timedelta(days=rnd.randint(90, 140)),
            "按片区调整联系干部",
        )

    # Visits are logged by the liaison of the day: those before the handover by the outgoing cadre.
    activity = DemoActivity(random.Random(DEMO_SEED + 2), today, officer)
    # 现场佐证: collected since last month; the office places the firms (a few wait for a check-in).
    activity.evidence = DemoEvidence(random.Random(DEMO_SEED + 5), today, officer, park)
    activity.evidence.place_firms([s.created for s in specs])
    activity.plan_firms([(s.created, s.chain, s.industry, s.plan) for s in specs], handed_on)
    activity.log_visits(before=handed_on)
    handover_caseload(from_cadre, to_cadre, officer, handed_on, handover["reason"], handover["note"])
    after = plan["after_handover"]
    newcomers = [s for s in specs if s.plan == "after_handover"]
    for spec in newcomers:
        start = today - timedelta(days=rnd.randint(5, handover["days_ago"] - 20))
        assign_enterprise(spec.created, users[after["cadre"]], officer, start, after["reason"])
    activity.plan_new_firms([(s.created, s.chain, s.industry) for s in newcomers])
    activity.log_visits()
    activity.evidence.settle()
    activity.add_lists()
    activity.backdate()
    problems = load_demo_problems(today)
    voices = load_demo_firm_voice(today)  # service codes, 企业自报, ratings, a withdrawal, 回访抽查
    policies = load_demo_policies(today, park, officer, users["admin"])  # this year's 惠企政策 and 送政策
    policies |= load_demo_cases(today)  # 典型案例库: three solved problems promoted by the office
    policies |= load_demo_similar(today)  # solved 出口退税 history for similar problems, one 现场解答
    policies |= load_demo_groups(today)  # 共性问题: a 用地保障专班 at work, and problems the proposals group
    policies |= load_demo_hotspots(today)  # 热点分析: firms raising a trouble again soon after it was solved

    db.session.flush()
    return (
        {
            "users": len(users),
            "firms": len(specs),
            "assigned": sum(1 for s in specs if s.plan != "unassigned"),
            "unassigned_active": sum(
                1 for s in specs if s.plan == "unassigned" and s.data["status"] == "active"
            ),
            "suspended": sum(1 for s in specs if s.data["status"] == "suspended"),
            "handovers": 1,
        }
        | activity.counts
        | {"problems": problems}
        | voices
        | policies
    )
