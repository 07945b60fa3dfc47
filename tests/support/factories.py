"""The registry: make_park, make_chain, make_department, make_user(role=…), make_enterprise(cadre=…)."""

import itertools
import random
from datetime import date

from werkzeug.security import generate_password_hash

from crm.extensions import db
from crm.models import Department, Enterprise, IndustryChain, Park, User
from crm.services.assignments.operations import assign_enterprise
from crm.services.common.creditcode import CHARSET, check_digit, fold_key
from crm.services.common.pinyin import initials, search_pinyin
from tests.support.dates import TODAY

PASSWORD = "Passw0rd!"
_seq = itertools.count(1)
_hashes: dict[str, str] = {}


def _hash(password: str) -> str:
    """scrypt is deliberately slow; hash each test password once per run."""
    if password not in _hashes:
        _hashes[password] = generate_password_hash(password)
    return _hashes[password]


def valid_credit_code(seed: int | None = None) -> str:
    """A random but valid 统一社会信用代码."""
    rnd = random.Random(seed if seed is not None else next(_seq) * 7919)
    body = "91430300" + "".join(rnd.choice(CHARSET) for _ in range(9))
    return body + check_digit(body)


def make_park(code: str | None = None, name: str | None = None) -> Park:
    n = next(_seq)
    park = Park(code=code or f"P{n}", name=name or f"测试园区{n}")
    db.session.add(park)
    db.session.flush()
    return park


def make_chain(name: str | None = None) -> IndustryChain:
    chain = IndustryChain(name=name or f"产业链{next(_seq)}")
    db.session.add(chain)
    db.session.flush()
    return chain


def make_department(name: str | None = None, park: Park | None = None) -> Department:
    dept = Department(name=name or f"部门{next(_seq)}", park_id=park.id if park else None)
    db.session.add(dept)
    db.session.flush()
    return dept


def make_user(
    role: str = "cadre",
    park: Park | None = None,
    username: str | None = None,
    name: str | None = None,
    department: Department | None = None,
    password: str = PASSWORD,
) -> User:
    n = next(_seq)
    user = User(
        username=username or f"{role}{n}",
        name=name or f"{role}用户{n}",
        role=role,
        park_id=park.id if park else None,
        department_id=department.id if department else None,
    )
    user.password_hash = _hash(password)
    db.session.add(user)
    db.session.flush()
    return user


def make_enterprise(
    park: Park,
    name: str | None = None,
    cadre: User | None = None,
    chain: IndustryChain | None = None,
    assigned_by: User | None = None,
    today: date = TODAY,
    **fields,
) -> Enterprise:
    n = next(_seq)
    name = name or f"测试企业{n}有限公司"
    firm = Enterprise(
        name=name,
        name_initials=initials(name),
        name_pinyin=search_pinyin(name),
        name_key=fold_key(name),
        credit_code=fields.pop("credit_code", None) or valid_credit_code(),
        park_id=park.id,
        chain_id=chain.id if chain else None,
        **fields,
    )
    db.session.add(firm)
    db.session.flush()
    if cadre is not None:
        actor = assigned_by or make_user("admin")
        assign_enterprise(firm, cadre, actor, today, "测试分配")
    return firm
