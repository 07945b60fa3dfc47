"""基础数据 kept by admins: create, edit, retire, restore and delete parks, chains and departments (with
their 部门负责人), audited; what retiring means for new firms and users; the seed that respects it all."""

import json
from datetime import datetime

import pytest
from sqlalchemy import func, select

from crm.extensions import db as _db
from crm.models import AuditLog, Department, IndustryChain, Park, ParkSetting, Setting, User
from crm.services import ServiceError
from crm.services.enterprises.registry import create_enterprise, update_enterprise
from crm.services.reference.admin import (
    create_chain,
    create_department,
    create_park,
    delete_reference,
    restore_reference,
    retire_reference,
    update_chain,
    update_department,
    update_park,
)
from crm.services.reference.seed import LEDGER_KEY, load_reference_data
from crm.services.reference.usage import reference_history, reference_overview, usage_of
from crm.services.users.accounts import create_user, update_user
from tests.support.factories import (
    PASSWORD,
    make_chain,
    make_department,
    make_enterprise,
    make_park,
    make_user,
    valid_credit_code,
)
from tests.support.problems import make_problem

NOW = datetime(2026, 11, 2, 8, 0)


@pytest.fixture()
def admin(db):
    return make_user("admin", username="root", name="胡管理")


def audits(entity_type: str, entity_id: int | None = None) -> list[AuditLog]:
    stmt = select(AuditLog).where(AuditLog.entity_type == entity_type).order_by(AuditLog.id)
    if entity_id is not None:
        stmt = stmt.where(AuditLog.entity_id == entity_id)
    return list(_db.session.scalars(stmt))


# --- parks ---------------------------------------------------------------------------------------


def test_admin_creates_and_edits_a_park_and_every_change_is_audited(db, admin):
    park = create_park(admin, " ｘｔｇｘ-2 ", "  湘潭高新区（示范区） ")
    assert park.code == "XTGX-2" and park.name == "湘潭高新区（示范区）"  # names keep （） as typed
    assert park.is_active and park.retired_at is None
    changes = update_park(admin, park, "XTGX2", "湘潭高新技术产业开发区")
    renamed = ("湘潭高新区（示范区）", "湘潭高新技术产业开发区")
    assert changes == {"代码": ("XTGX-2", "XTGX2"), "名称": renamed}
    assert update_park(admin, park, "xtgx2", "湘潭高新技术产业开发区") == {}  # nothing changed: no audit
    rows = audits("park", park.id)
    assert [(r.action, r.actor_id) for r in rows] == [("create", admin.id), ("update", admin.id)]
    assert rows[0].summary == "新建园区：湘潭高新区（示范区）（XTGX-2）"
    assert rows[1].changes == {"代码": ["XTGX-2", "XTGX2"], "名称": list(renamed)}


@pytest.mark.parametrize(
    "code, name, message",
    [
        ("", "新园区", "请填写园区代码"),
        ("NEW", "   ", "请填写园区名称"),
        ("NE W", "新园区", "园区代码只能由字母、数字、- 和 _ 组成"),
        ("-NEW", "新园区", "园区代码只能由字母、数字、- 和 _ 组成"),
        ("X" * 33, "新园区", "园区代码不能超过32位"),
        ("NEW", "园" * 101, "园区名称不能超过100字"),
        ("NEW", "新\x00园区", "园区名称含有不可见的控制字符"),
        ("NEW", "新园区\t二期", "园区名称含有不可见的控制字符"),
        ("N\x1bEW", "新园区", "园区代码含有不可见的控制字符"),
        ("xt", "另一个园区", "园区代码 XT 已被“湘潭高新区”使用"),
        ("NEW", "湘潭高新区", "园区“湘潭高新区”已存在"),
        ("NEW", " 湘潭 高新区 ", "园区“湘潭高新区”已存在"),  # spacing does not make a new name
    ],
)
def test_park_refusals_are_chinese_and_change_nothing(db, admin, code, name, message):
    make_park("XT", "湘潭高新区")
    with pytest.raises(ServiceError, match=message):
        create_park(admin, code, name)
    assert db.session.scalar(select(func.count(Park.id))) == 1 and audits("park") == []


def test_a_duplicate_of_a_retired_park_says_it_can_be_restored(db, admin):
    park = make_park("XT", "湘潭高新区")
    retire_reference(admin, park, NOW)
    with pytest.raises(ServiceError, match="已存在（已停用，可在列表中恢复启用）"):
        create_park(admin, "NEW", "湘潭高新区")
    other = make_park("YH", "雨湖园区")
    with pytest.raises(ServiceError, match="园区代码 XT 已被“湘潭高新区”使用"):
        update_park(admin, other, "XT", "雨湖园区")


# --- chains ----------------------------------------------------------------------------------------


def test_admin_creates_and_edits_a_chain(db, admin):
    chain = create_chain(admin, "新能源", "５")
    assert (chain.name, chain.sort_order) == ("新能源", 5)
    assert create_chain(admin, "数字经济", "").sort_order == 0
    assert update_chain(admin, chain, "新能源汽车", 3) == {"名称": ("新能源", "新能源汽车"), "排序": (5, 3)}
    with pytest.raises(ServiceError, match="产业链“新能源汽车”已存在"):
        create_chain(admin, "新能源汽车 ", 1)
    with pytest.raises(ServiceError, match="排序应为0到9999之间的整数"):
        update_chain(admin, chain, "新能源汽车", "前面")
    with pytest.raises(ServiceError, match="排序应为0到9999之间的整数"):
        create_chain(admin, "氢能", -1)
    with pytest.raises(ServiceError, match="请填写产业链名称"):
        create_chain(admin, "", 1)
    with pytest.raises(ServiceError, match="产业链名称含有不可见的控制字符"):
        create_chain(admin, "氢\u202e能", 1)
    assert [r.action for r in audits("industry_chain")] == ["create", "create", "update"]


# --- departments ------------------------------------------------------------------------------------


def test_admin_creates_departments_at_park_or_city_level(db, admin):
    park = make_park("XT", "湘潭高新区")
    city = create_department(admin, "税务局", None)
    local = create_department(admin, "税务局", park)  # the same name at another level is another department
    assert city.park_id is None and local.park_id == park.id
    with pytest.raises(ServiceError, match="市级部门“税务局”已存在"):
        create_department(admin, "税务局", None)
    with pytest.raises(ServiceError, match="湘潭高新区的部门“税务局”已存在"):
        update_department(admin, city, "税务局", park)
    assert audits("department", city.id)[0].summary == "新建部门：税务局（市级（服务全部园区））"


def test_admin_chooses_the_department_heads_among_its_handlers(db, admin):
    park = make_park("XT", "湘潭高新区")
    dept = make_department("税务局")
    a = make_user("handler", park, username="tang", name="唐静", department=dept)
    b = make_user("handler", park, username="liu", name="刘洋", department=dept)
    stranger = make_user("handler", park, username="zhou", department=make_department("人社局"))
    cadre = make_user("cadre", park)
    changes = update_department(admin, dept, "税务局", None, [a.id])
    assert changes == {"部门负责人": ("无", "唐静")}
    assert a.is_dept_head and not b.is_dept_head and a.escalation_level == 2
    changes = update_department(admin, dept, "税务局", None, [b.id])
    assert changes == {"部门负责人": ("唐静", "刘洋")} and not a.is_dept_head and b.is_dept_head
    assert update_department(admin, dept, "税务局", None) == {}  # heads None: kept as they are
    assert b.is_dept_head
    for outsider in (stranger, cadre):
        with pytest.raises(ServiceError, match="部门负责人只能从本部门的部门经办中选择"):
            update_department(admin, dept, "税务局", None, [outsider.id])
    # The users' own trails say so too, as when the user form changes it.
    trail = [(r.entity_id, r.changes) for r in audits("user")]
    assert trail == [
        (a.id, {"部门负责人": ["否", "是"]}),
        (a.id, {"部门负责人": ["是", "否"]}),
        (b.id, {"部门负责人": ["否", "是"]}),
    ]
    assert [r.action for r in audits("department", dept.id)] == ["update", "update"]


def test_a_department_moves_to_a_park_only_when_its_users_and_problems_are_there(db, admin):
    park_a, park_b = make_park("A", "甲园区"), make_park("B", "乙园区")
    dept = make_department("税务局")
    make_user("handler", park_a, department=dept)
    with pytest.raises(ServiceError, match="部门有 1 名用户属于其他园区，不能改为乙园区的部门"):
        update_department(admin, dept, "税务局", park_b)
    assert update_department(admin, dept, "税务局", park_a) == {"层级": ("市级（服务全部园区）", "甲园区")}
    assert update_department(admin, dept, "税务局", None)["层级"] == ("甲园区", "市级（服务全部园区）")
    other = make_department("人社局")
    firm_b = make_enterprise(park_b)
    problem = make_problem(firm_b, make_user("officer", park_b))
    problem.department_id = other.id
    db.session.flush()
    with pytest.raises(ServiceError, match="部门承办过 1 件其他园区企业的问题，不能改为甲园区的部门"):
        update_department(admin, other, "人社局", park_a)


# --- retire, restore, delete -------------------------------------------------------------------------


def test_unused_rows_are_deleted_and_the_deletion_is_audited(db, admin):
    park = create_park(admin, "NEW", "新园区")
    db.session.add(ParkSetting(park_id=park.id, contact_days=5))  # the park's own settings go with it
    chain = create_chain(admin, "新能源", 1)
    dept = create_department(admin, "发改局", None)
    for item, entity in ((park, "park"), (chain, "industry_chain"), (dept, "department")):
        item_id = item.id
        assert not usage_of(item).in_use
        delete_reference(admin, item)
        assert audits(entity, item_id)[-1].action == "delete"
    assert audits("park")[-1].summary == "删除园区：新园区（NEW）"
    assert db.session.scalar(select(func.count(Park.id))) == 0
    assert db.session.scalar(select(func.count(ParkSetting.park_id))) == 0
    assert db.session.scalar(select(func.count(IndustryChain.id))) == 0
    assert db.session.scalar(select(func.count(Department.id))) == 0


def test_rows_in_use_are_refused_deletion_and_can_only_be_retired(db, admin):
    park = make_park("XT", "湘潭高新区")
    chain = make_chain("装备制造")
    dept = make_department("税务局")
    cadre = make_user("cadre", park)
    firm = make_enterprise(park, chain=chain, cadre=cadre, assigned_by=admin)
    make_user("handler", park, department=dept)
    make_problem(firm, cadre).department_id = dept.id
    db.session.flush()
    cases = [
        (park, "园区“湘潭高新区”已被使用（企业 1 家、用户 2 名），不能删除，只能停用"),
        (chain, "产业链“装备制造”已被使用（企业 1 家），不能删除，只能停用"),
        (dept, "部门“税务局”已被使用（用户 1 名、问题 1 件），不能删除，只能停用"),
    ]
    for item, message in cases:
        assert usage_of(item).in_use
        with pytest.raises(ServiceError, match=message):
            delete_reference(admin, item)
        retire_reference(admin, item, NOW)
        assert not item.is_active and item.retired_at == NOW
        with pytest.raises(ServiceError, match="已是停用状态"):
            retire_reference(admin, item, NOW)
    # Retired, the firm still shows its park and chain and the problem its department.
    db.session.expire_all()
    assert firm.park.name == "湘潭高新区" and firm.chain.name == "装备制造"
    restore_reference(admin, chain)
    assert chain.is_active and chain.retired_at is None
    with pytest.raises(ServiceError, match="已是启用状态"):
        restore_reference(admin, chain)
    assert [r.action for r in audits("industry_chain", chain.id)] == ["retire", "restore"]
    assert [h.action for h in reference_history(chain)] == ["restore", "retire"]


def test_a_department_of_a_retired_park_is_restored_after_its_park(db, admin):
    park = make_park("XT", "湘潭高新区")
    dept = make_department("园区建设局", park)
    retire_reference(admin, dept, NOW)
    retire_reference(admin, park, NOW)
    with pytest.raises(ServiceError, match="所属园区“湘潭高新区”已停用，请先恢复园区"):
        restore_reference(admin, dept)
    with pytest.raises(ServiceError, match="园区“湘潭高新区”已停用，不能在其下设立部门"):
        create_department(admin, "园区财政局", park)
    restore_reference(admin, park)
    restore_reference(admin, dept)
    assert dept.is_active


def test_a_new_row_does_not_inherit_the_history_of_a_deleted_one(db, admin):
    chain = create_chain(admin, "临时", 1)
    delete_reference(admin, chain)
    again = create_chain(admin, "新能源", 1)
    assert [h.summary for h in reference_history(again)] == ["新建产业链：新能源"]


@pytest.mark.parametrize("role", ["officer", "leader", "cadre", "handler"])
def test_only_admins_keep_reference_data(db, admin, role):
    user = make_user(role, make_park())
    park, chain, dept = make_park("XT", "湘潭高新区"), make_chain("装备制造"), make_department("税务局")
    attempts = [
        lambda: create_park(user, "NEW", "新园区"),
        lambda: update_park(user, park, "XT", "改名"),
        lambda: create_chain(user, "新能源", 1),
        lambda: update_chain(user, chain, "改名", 1),
        lambda: create_department(user, "发改局", None),
        lambda: update_department(user, dept, "改名", None, []),
        lambda: retire_reference(user, park, NOW),
        lambda: restore_reference(user, park),
        lambda: delete_reference(user, chain),
    ]
    for attempt in attempts:
        with pytest.raises(ServiceError, match="没有维护基础数据的权限"):
            attempt()
    assert park.name == "湘潭高新区" and park.is_active and audits("park") == []


# --- what retiring means elsewhere --------------------------------------------------------------------


def test_new_firms_cannot_be_placed_in_a_retired_park_or_chain_but_old_ones_keep_them(db, admin):
    park, other = make_park("XT", "湘潭高新区"), make_park("YH", "雨湖园区")
    chain = make_chain("装备制造")
    firm = make_enterprise(park, chain=chain)
    elsewhere = make_enterprise(other)
    retire_reference(admin, park, NOW)
    retire_reference(admin, chain, NOW)
    data = {"name": "新企业有限公司", "credit_code": valid_credit_code(), "park_id": park.id}
    with pytest.raises(ServiceError, match="所属园区“湘潭高新区”已停用，请选择其他园区"):
        create_enterprise(data, admin)
    with pytest.raises(ServiceError, match="所属产业链“装备制造”已停用，请选择其他产业链"):
        create_enterprise(data | {"park_id": other.id, "chain_id": chain.id}, admin)
    # A firm that has them keeps them through an edit; another firm cannot move in.
    assert update_enterprise(firm, {"name": "改名后的企业有限公司"}, admin)
    assert firm.park_id == park.id and firm.chain_id == chain.id
    with pytest.raises(ServiceError, match="已停用"):
        update_enterprise(elsewhere, {"park_id": park.id}, admin)
    with pytest.raises(ServiceError, match="已停用"):
        update_enterprise(elsewhere, {"chain_id": chain.id}, admin)


def test_users_cannot_be_placed_in_a_retired_park_or_department_but_old_ones_keep_them(db, admin):
    park, other = make_park("XT", "湘潭高新区"), make_park("YH", "雨湖园区")
    dept = make_department("税务局")
    handler = make_user("handler", park, department=dept)
    retire_reference(admin, dept, NOW)
    retire_reference(admin, park, NOW)
    with pytest.raises(ServiceError, match="部门“税务局”已停用，请选择其他部门"):
        create_user("newh", "新经办", "handler", PASSWORD, admin, department=dept)
    with pytest.raises(ServiceError, match="园区“湘潭高新区”已停用，请选择其他园区"):
        create_user("newc", "新干部", "cadre", PASSWORD, admin, park=park)
    old_name = handler.name
    assert update_user(handler, admin, "改名", "handler", park, dept) == {"姓名": (old_name, "改名")}
    assert handler.department_id == dept.id and handler.park_id == park.id
    cadre = make_user("cadre", other)
    with pytest.raises(ServiceError, match="园区“湘潭高新区”已停用"):
        update_user(cadre, admin, cadre.name, "cadre", park)


# --- the overview and the seed -------------------------------------------------------------------------


def test_overview_lists_active_rows_first_with_their_usage(db, admin, count_queries):
    park, old = make_park("XT", "湘潭高新区"), make_park("OLD", "旧园区")
    make_enterprise(park)
    make_department("园区建设局", park)
    retire_reference(admin, old, NOW)
    reference_overview()  # warm-up: the first call also flushes and loads what the session lacks
    with count_queries() as few:
        reference_overview()
    data = reference_overview()
    listed = [(r.item.code, r.usage.counts) for r in data["parks"]]
    assert listed == [("XT", {"企业": 1, "部门": 1}), ("OLD", {})]
    for i in range(5):
        make_enterprise(make_park(), chain=make_chain())
        make_user("handler", department=make_department(f"部门{i}"))
    with count_queries() as many:
        reference_overview()
    assert many.count == few.count


def write_seed(tmp_path, data: dict):
    path = tmp_path / "reference.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


SEED = {
    "parks": [{"code": "XTGX", "name": "湘潭高新区"}],
    "industry_chains": ["装备制造", "医药化工"],
    "departments": [{"name": "税务局", "park": None}, {"name": "园区建设局", "park": "XTGX"}],
}


def test_seed_adds_what_is_missing_and_never_undoes_an_admins_change(db, admin, tmp_path):
    path = write_seed(tmp_path, SEED)
    assert load_reference_data(path) == {"parks": 1, "industry_chains": 2, "departments": 2}
    assert load_reference_data(path) == {"parks": 0, "industry_chains": 0, "departments": 0}
    park = db.session.scalar(select(Park))
    chain = db.session.scalar(select(IndustryChain).where(IndustryChain.name == "医药化工"))
    tax = db.session.scalar(select(Department).where(Department.name == "税务局"))
    retire_reference(admin, park, NOW)
    update_chain(admin, chain, "生物医药", 1)
    delete_reference(admin, tax)
    more = SEED | {"industry_chains": [*SEED["industry_chains"], "新能源"]}
    added = load_reference_data(write_seed(tmp_path, more))
    assert added == {"parks": 0, "industry_chains": 1, "departments": 0}
    db.session.expire_all()
    assert not park.is_active  # not un-retired
    names = set(db.session.scalars(select(IndustryChain.name)))
    assert names == {"装备制造", "生物医药", "新能源"}  # the renamed chain is not added again
    assert db.session.scalar(select(func.count(Department.id))) == 1  # the deleted one stays deleted
    assert db.session.get(Setting, LEDGER_KEY).value["industry_chains"]["新能源"]


def test_seed_on_an_existing_database_adopts_matching_rows_without_duplicating(db, admin, tmp_path):
    make_park("XTGX", "湘潭高新技术产业开发区")  # same code, name since changed
    retired = make_chain("装备制造")
    retire_reference(admin, retired, NOW)
    make_department("税务局")
    added = load_reference_data(write_seed(tmp_path, SEED))
    assert added == {"parks": 0, "industry_chains": 1, "departments": 1}
    assert db.session.scalar(select(func.count(Park.id))) == 1
    assert not retired.is_active
    assert db.session.scalar(select(func.count(Department.id))) == 2


def test_the_shipped_seed_file_loads_twice_without_duplicates(db):
    first = load_reference_data()
    assert first["parks"] >= 1 and first["industry_chains"] >= 1 and first["departments"] >= 1
    assert load_reference_data() == {"parks": 0, "industry_chains": 0, "departments": 0}
    assert db.session.scalar(select(func.count(User.id))) == 0
