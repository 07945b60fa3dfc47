"""基础数据 pages: admins create, edit, retire, restore and delete parks, chains and departments; every
other role gets 403 and changes nothing; retired rows leave the pickers and filters of other pages."""

import re

import pytest
from sqlalchemy import func, select

from crm.models import AuditLog, Department, IndustryChain, Park
from crm.services.reference.admin import retire_reference
from crm.timeutil import utcnow
from tests.support.factories import make_chain, make_department, make_enterprise, make_user

OTHER_ROLES = ["officer", "leader", "cadre", "handler"]


def page(resp) -> str:
    return resp.get_data(as_text=True)


def options(html: str, select_name: str) -> list[str]:
    """The option texts of one <select name=…> of a page ([] when the page has no such select: a park
    filter is left out when only one park is left to choose)."""
    found = re.search(rf'<select[^>]*name="{select_name}"[^>]*>(.*?)</select>', html, re.S)
    if found is None:
        return []
    return [text.strip() for text in re.findall(r"<option[^>]*>([^<]*)</option>", found.group(1))]


def requests_for(w) -> list[tuple[str, str, dict | None]]:
    """Every 基础数据 route with a request that would change something if it were allowed."""
    return [
        ("GET", "/admin/reference", None),
        ("GET", "/admin/reference/parks/new", None),
        ("POST", "/admin/reference/parks/new", {"code": "NEW", "name": "新园区"}),
        ("GET", f"/admin/reference/parks/{w.park_a.id}/edit", None),
        ("POST", f"/admin/reference/parks/{w.park_a.id}/edit", {"code": "A", "name": "改名"}),
        ("GET", "/admin/reference/chains/new", None),
        ("POST", "/admin/reference/chains/new", {"name": "新能源", "sort_order": "1"}),
        ("GET", f"/admin/reference/chains/{w.chain.id}/edit", None),
        ("POST", f"/admin/reference/chains/{w.chain.id}/edit", {"name": "改名", "sort_order": "1"}),
        ("GET", "/admin/reference/departments/new", None),
        ("POST", "/admin/reference/departments/new", {"name": "发改局", "park_id": ""}),
        ("GET", f"/admin/reference/departments/{w.dept.id}/edit", None),
        ("POST", f"/admin/reference/departments/{w.dept.id}/edit", {"name": "改名", "heads": [w.handler.id]}),
        ("POST", f"/admin/reference/park/{w.park_b.id}/retire", None),
        ("POST", f"/admin/reference/chain/{w.unused_chain.id}/restore", None),
        ("POST", f"/admin/reference/chain/{w.unused_chain.id}/delete", None),
    ]


@pytest.fixture()
def ref(db, world):
    """The view-test world plus a retired, unused chain."""
    world.unused_chain = make_chain("旧产业链")
    retire_reference(world.admin, world.unused_chain, utcnow())
    db.session.commit()
    return world


def counts(db) -> tuple[int, ...]:
    db.session.expire_all()
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Park, IndustryChain, Department, AuditLog)
    )


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_get_403_and_change_nothing(client, login_as, ref, db, role):
    before = counts(db)
    login_as(getattr(ref, role))
    for method, url, data in requests_for(ref):
        assert client.open(url, method=method, data=data).status_code == 403, (method, url)
    assert counts(db) == before
    assert ref.park_b.is_active and ref.park_a.name == "甲园区" and not ref.handler.is_dept_head


def test_anonymous_is_sent_to_login(client, ref, db):
    before = counts(db)
    for method, url, data in requests_for(ref):
        resp = client.open(url, method=method, data=data)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], (method, url)
    assert counts(db) == before


def test_the_overview_lists_every_kind_with_usage_and_actions(client, login_as, ref):
    login_as(ref.admin)
    shown = page(client.get("/admin/reference"))
    for text in ("甲园区", "乙园区", "装备制造", "旧产业链", "税务局", "新增园区", "新增产业链", "新增部门"):
        assert text in shown, text
    assert "企业 3 家" in shown  # park A: three firms (and its users)
    row = shown.split(f'data-reference="chain-{ref.unused_chain.id}"')[1].split("</tr>")[0]
    assert "已停用" in row and "恢复启用" in row and "删除" in row and "未使用" in row
    used = shown.split(f'data-reference="park-{ref.park_a.id}"')[1].split("</tr>")[0]
    assert "停用" in used and "删除" not in used  # in use: retire only
    menu = page(client.get("/"))
    assert 'href="/admin/reference"' in menu.split("</nav>")[0]
    login_as(ref.officer)
    assert 'href="/admin/reference"' not in page(client.get("/")).split("</nav>")[0]


def test_admin_creates_and_edits_a_park(client, login_as, ref, db):
    login_as(ref.admin)
    resp = client.post("/admin/reference/parks/new", data={"code": "yh", "name": "雨湖工业集中区（二期）"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/reference#parks")
    park = db.session.scalar(select(Park).where(Park.code == "YH"))
    assert park.name == "雨湖工业集中区（二期）"
    assert "已新建园区：雨湖工业集中区（二期）（YH）" in page(client.get("/admin/reference"))
    resp = client.post(f"/admin/reference/parks/{park.id}/edit", data={"code": "YH", "name": "雨湖园区二期"})
    assert resp.headers["Location"] == f"/admin/reference/parks/{park.id}/edit"
    edit = page(client.get(resp.headers["Location"]))
    assert "已保存修改" in edit and "修改园区 雨湖园区二期：名称" in edit and "未被任何记录使用" in edit
    assert 'value="雨湖园区二期"' in edit
    again = client.post(f"/admin/reference/parks/{park.id}/edit", data={"code": "YH", "name": "雨湖园区二期"})
    assert "没有需要保存的修改" in page(client.get(again.headers["Location"]))


@pytest.mark.parametrize(
    "url, data, message",
    [
        ("/admin/reference/parks/new", {"code": "", "name": "新园区"}, "请填写园区代码"),
        ("/admin/reference/parks/new", {"code": "NEW", "name": ""}, "请填写园区名称"),
        ("/admin/reference/parks/new", {"code": "a", "name": "新园区"}, "园区代码 A 已被“甲园区”使用"),
        ("/admin/reference/parks/new", {"code": "NEW", "name": "乙园区"}, "园区“乙园区”已存在"),
        ("/admin/reference/parks/new", {"code": "N W", "name": "新园区"}, "只能由字母、数字、- 和 _ 组成"),
        ("/admin/reference/parks/new", {"code": "NEW", "name": "新\x07园区"}, "园区名称含有不可见的控制字符"),
        ("/admin/reference/chains/new", {"name": "", "sort_order": "1"}, "请填写产业链名称"),
        ("/admin/reference/chains/new", {"name": "旧产业链", "sort_order": "1"}, "已存在（已停用"),
        ("/admin/reference/chains/new", {"name": "新能源", "sort_order": "abc"}, "排序应为0到9999之间的整数"),
        ("/admin/reference/departments/new", {"name": "税务局", "park_id": ""}, "市级部门“税务局”已存在"),
        ("/admin/reference/departments/new", {"name": "", "park_id": ""}, "请填写部门名称"),
        ("/admin/reference/departments/new", {"name": "发改局", "park_id": "99999"}, "请从列表中选择"),
    ],
)
def test_refusals_are_chinese_and_change_nothing(client, login_as, ref, db, url, data, message):
    before = counts(db)
    login_as(ref.admin)
    resp = client.post(url, data=data)
    assert resp.status_code == 200 and message in page(resp)
    assert counts(db) == before


def test_admin_creates_a_department_and_chooses_its_heads(client, login_as, ref, db):
    login_as(ref.admin)
    form = page(client.get("/admin/reference/departments/new"))
    assert options(form, "park_id") == ["市级（服务全部园区）", "甲园区", "乙园区"]
    data = {"name": "园区财政局", "park_id": str(ref.park_a.id)}
    resp = client.post("/admin/reference/departments/new", data=data)
    assert resp.status_code == 302
    dept = db.session.scalar(select(Department).where(Department.name == "园区财政局"))
    assert dept.park_id == ref.park_a.id
    other = make_user("handler", ref.park_a, username="handler_a2", name="刘洋", department=ref.dept)
    db.session.commit()
    edit = page(client.get(f"/admin/reference/departments/{ref.dept.id}/edit"))
    assert f'value="{ref.handler.id}"' in edit and "刘洋" in edit and "部门负责人" in edit
    data = {"name": "税务局", "park_id": "", "heads": [str(other.id)]}
    resp = client.post(f"/admin/reference/departments/{ref.dept.id}/edit", data=data)
    assert resp.status_code == 302
    db.session.expire_all()
    assert other.is_dept_head and not ref.handler.is_dept_head
    shown = page(client.get(resp.headers["Location"]))
    assert "部门负责人：无 → 刘洋" in shown
    assert re.search(rf'value="{other.id}"[^>]*checked', shown)
    refused = client.post(
        f"/admin/reference/departments/{ref.dept.id}/edit",
        data={"name": "税务局", "park_id": "", "heads": [str(ref.cadre.id)]},
    )
    assert refused.status_code == 200 and "请从列表中选择" in page(refused)
    empty = page(client.get(f"/admin/reference/departments/{dept.id}/edit"))
    assert "本部门还没有部门经办" in empty


def test_admin_retires_restores_and_deletes(client, login_as, ref, db):
    login_as(ref.admin)
    back = f"/admin/reference/parks/{ref.park_b.id}/edit"
    resp = client.post(f"/admin/reference/park/{ref.park_b.id}/retire", data={"next": back})
    assert resp.headers["Location"] == back
    shown = page(client.get(back))
    assert "已停用园区：乙园区" in shown and "恢复启用" in shown and "停用于" in shown
    db.session.expire_all()
    assert not ref.park_b.is_active and ref.park_b.retired_at is not None
    delete = f"/admin/reference/park/{ref.park_b.id}/delete"
    refused = client.post(delete, data={"next": back}, follow_redirects=True)
    assert "已被使用（企业 1 家、用户 2 名），不能删除，只能停用" in page(refused)
    client.post(f"/admin/reference/park/{ref.park_b.id}/restore")
    db.session.expire_all()
    assert ref.park_b.is_active
    unused = ref.unused_chain.id
    resp = client.post(f"/admin/reference/chain/{unused}/delete", data={"next": "https://evil.example/"})
    assert resp.headers["Location"] == "/admin/reference#chains"
    assert "已删除产业链：旧产业链" in page(client.get("/admin/reference"))
    db.session.expire_all()
    assert db.session.get(IndustryChain, unused) is None
    assert client.post("/admin/reference/chain/999999/delete").status_code == 404
    assert client.post(f"/admin/reference/policy/{ref.chain.id}/delete").status_code == 404
    kinds = AuditLog.entity_type.in_(["park", "industry_chain"])
    actions = db.session.scalars(select(AuditLog.action).where(kinds).order_by(AuditLog.id))
    assert list(actions) == ["retire", "retire", "restore", "delete"]


# --- retired rows in the other pages' pickers and filters ---------------------------------------------


@pytest.fixture()
def retired(db, ref):
    """Park B, the chain 新材料 and the department 人社局 retired; park A's firm keeps a retired chain."""
    old_chain = make_chain("新材料")
    old_dept = make_department("人社局")
    ref.kept_firm = make_enterprise(ref.park_a, "沿用旧产业链有限公司", chain=old_chain)
    for item in (old_chain, old_dept, ref.park_b):
        retire_reference(ref.admin, item, utcnow())
    ref.old_chain, ref.old_dept = old_chain, old_dept
    db.session.commit()
    return ref


def test_the_firm_form_offers_retired_rows_only_to_the_firm_that_has_them(client, login_as, retired):
    login_as(retired.admin)
    new = page(client.get("/enterprises/new"))
    assert options(new, "park_id") == ["甲园区"]
    assert "新材料" not in options(new, "chain_id") and "装备制造" in options(new, "chain_id")
    kept = page(client.get(f"/enterprises/{retired.kept_firm.id}/edit"))
    assert "新材料" in options(kept, "chain_id")
    listed = page(client.get("/enterprises/"))
    assert "新材料" not in options(listed, "chain") and "乙园区" not in options(listed, "park")
    chosen = page(client.get(f"/enterprises/?chain={retired.old_chain.id}"))
    assert "新材料" in options(chosen, "chain") and "沿用旧产业链有限公司" in chosen


def test_filters_of_problems_visits_and_coverage_leave_retired_rows_out(client, login_as, retired):
    login_as(retired.admin)
    problems = page(client.get("/problems/"))
    assert "人社局" not in "".join(options(problems, "department")) and "税务局" in "".join(
        options(problems, "department")
    )
    assert "乙园区" not in options(problems, "park") and "新材料" not in options(problems, "chain")
    chosen = page(client.get(f"/problems/?department={retired.old_dept.id}"))
    assert "人社局" in "".join(options(chosen, "department"))
    visits = page(client.get("/visits/"))
    assert "新材料" not in options(visits, "chain") and "乙园区" not in options(visits, "park")
    coverage = page(client.get("/coverage/"))
    assert "新材料" not in options(coverage, "chain") and "乙园区" not in options(coverage, "park")


def test_the_user_form_offers_retired_rows_only_to_users_who_have_them(client, login_as, retired, db):
    login_as(retired.admin)
    new = page(client.get("/admin/users/new"))
    assert "乙园区" not in options(new, "park_id")
    assert not any("人社局" in text for text in options(new, "department_id"))
    kept = page(client.get(f"/admin/users/{retired.officer_b.id}/edit"))
    assert "乙园区（已停用）" in options(kept, "park_id")
    # The firm page of park B still names its park; the reference overview still lists it.
    assert "乙园区" in page(client.get(f"/enterprises/{retired.foreign_firm.id}"))
    assert "乙园区" in page(client.get("/admin/reference"))
