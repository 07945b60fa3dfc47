import re
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import func, select

from crm.models import AuditLog, Enterprise
from tests.support.factories import make_enterprise, valid_credit_code


def names(resp):
    return resp.get_data(as_text=True)


def test_anonymous_is_sent_to_login(client):
    resp = client.get("/enterprises/")
    assert resp.status_code == 302 and "/login?next=" in resp.headers["Location"]


def test_cadre_sees_only_own_firms(client, login_as, world):
    login_as(world.cadre)
    body = names(client.get("/enterprises/"))
    assert world.own_firm.name in body
    assert world.other_firm.name not in body and world.foreign_firm.name not in body
    assert world.unassigned_firm.name not in body


def test_officer_sees_own_park_only(client, login_as, world):
    login_as(world.officer)
    body = names(client.get("/enterprises/"))
    for firm in (world.own_firm, world.other_firm, world.unassigned_firm):
        assert firm.name in body
    assert world.foreign_firm.name not in body


def test_search_by_pinyin_initials_name_and_code(client, login_as, world):
    login_as(world.officer)
    assert world.own_firm.name in names(client.get("/enterprises/?q=xtgx"))
    assert world.other_firm.name not in names(client.get("/enterprises/?q=xtgx"))
    assert world.own_firm.name in names(client.get("/enterprises/?q=高新电机"))
    code = world.other_firm.credit_code
    body = names(client.get(f"/enterprises/?q={code[-8:].lower()}"))
    assert world.other_firm.name in body and world.own_firm.name not in body


def test_filters_unassigned_key_and_cadre(client, login_as, world, db):
    world.other_firm.is_key = True
    db.session.commit()
    login_as(world.officer)
    body = names(client.get("/enterprises/?unassigned=1"))
    assert world.unassigned_firm.name in body and world.own_firm.name not in body
    body = names(client.get("/enterprises/?key=1"))
    assert world.other_firm.name in body and world.own_firm.name not in body
    body = names(client.get(f"/enterprises/?cadre={world.cadre.id}"))
    assert world.own_firm.name in body and world.other_firm.name not in body
    assert client.get("/enterprises/?park=abc&sort=evil&page=1").status_code == 200


def test_list_paginates(client, login_as, world, db):
    for i in range(25):
        make_enterprise(world.park_a, f"分页企业{i:02d}有限公司")
    db.session.commit()
    login_as(world.officer)
    first = names(client.get("/enterprises/?q=分页企业"))
    second = names(client.get("/enterprises/?q=分页企业&page=2"))
    assert "共 25 条" in first and first.count("分页企业") >= 20
    assert "分页企业24有限公司" in second and "分页企业00有限公司" not in second


def test_list_query_count_does_not_grow_with_firms(client, login_as, world, db, count_queries):
    login_as(world.officer)
    client.get("/enterprises/")  # warm-up: first request loads the user etc.
    with count_queries() as few:
        assert client.get("/enterprises/").status_code == 200
    for i in range(40):
        make_enterprise(
            world.park_a,
            f"批量企业{i}有限公司",
            cadre=world.cadre2 if i % 2 else world.cadre,
            assigned_by=world.officer,
        )
    db.session.commit()
    with count_queries() as many:
        assert client.get("/enterprises/").status_code == 200
    assert many.count == few.count, many.statements


def test_create_validates_credit_code_and_uniqueness(client, login_as, world, db):
    login_as(world.officer)
    before = db.session.scalar(select(func.count(Enterprise.id)))
    data = {
        "name": "新企业有限公司",
        "park_id": world.park_a.id,
        "chain_id": "",
        "status": "active",
        "scale_type": "",
        "size": "",
    }
    resp = client.post("/enterprises/new", data=data | {"credit_code": "91350100M000100Y44"})
    assert "校验位错误" in names(resp)
    resp = client.post("/enterprises/new", data=data | {"credit_code": world.foreign_firm.credit_code})
    assert "已被其他企业使用" in names(resp)
    resp = client.post(
        "/enterprises/new", data=data | {"credit_code": valid_credit_code(), "headcount": "-3"}
    )
    assert "不能为负数" in names(resp)
    assert db.session.scalar(select(func.count(Enterprise.id))) == before
    code = valid_credit_code()
    resp = client.post("/enterprises/new", data=data | {"credit_code": " " + code.lower()})
    assert resp.status_code == 302
    firm = db.session.scalar(select(Enterprise).where(Enterprise.credit_code == code))
    assert firm.name_initials == "xqyyxgs"


def test_officer_cannot_create_in_other_park(client, login_as, world, db):
    login_as(world.officer)
    resp = client.post(
        "/enterprises/new",
        data={
            "name": "越权企业",
            "credit_code": valid_credit_code(),
            "park_id": world.park_b.id,
            "status": "active",
        },
    )
    assert resp.status_code == 200
    assert db.session.scalar(select(Enterprise).where(Enterprise.name == "越权企业")) is None


def test_edit_is_audited_and_shown_in_history(client, login_as, world, db):
    login_as(world.officer)
    firm = world.own_firm
    resp = client.post(
        f"/enterprises/{firm.id}/edit",
        data={
            "name": firm.name,
            "credit_code": firm.credit_code,
            "park_id": firm.park_id,
            "chain_id": firm.chain_id,
            "status": "suspended",
            "scale_type": "above",
            "size": "",
            "headcount": "120",
            "version": str(firm.version),
        },
    )
    assert resp.status_code == 302
    entry = db.session.scalars(
        select(AuditLog).where(AuditLog.enterprise_id == firm.id, AuditLog.action == "update")
    ).one()
    assert entry.actor_id == world.officer.id
    assert set(entry.changes) == {"status", "scale_type", "headcount"}
    body = names(client.get(f"/enterprises/{firm.id}?tab=audit"))
    assert "经营状态" in body and "suspended" in body


def test_handler_and_cadre_cannot_edit(client, login_as, world):
    for user in (world.handler, world.cadre):
        login_as(user)
        assert client.post(f"/enterprises/{world.own_firm.id}/edit", data={"name": "改名"}).status_code == 403
    login_as(world.cadre)
    assert client.get(f"/enterprises/{world.other_firm.id}/edit").status_code == 404


def test_assign_through_view_then_cadre_sees_firm(client, login_as, world, db):
    login_as(world.officer)
    resp = client.post(
        f"/enterprises/{world.unassigned_firm.id}/assign",
        data={"cadre_id": world.cadre.id, "reason": "新入园"},
    )
    assert resp.status_code == 302
    login_as(world.cadre)
    assert client.get(f"/enterprises/{world.unassigned_firm.id}").status_code == 200
    body = names(client.get(f"/cadres/{world.cadre.id}"))
    assert world.unassigned_firm.name in body and world.own_firm.name in body


def test_assign_refuses_cadre_of_other_park(client, login_as, world, db):
    login_as(world.officer)
    resp = client.post(f"/enterprises/{world.unassigned_firm.id}/assign", data={"cadre_id": world.cadre_b.id})
    assert resp.status_code == 200  # not a valid choice: form error, nothing changes
    db.session.expire_all()
    assert world.unassigned_firm.cadre is None


def test_export_respects_filters_and_escapes_formulas(client, login_as, world, db):
    world.own_firm.contact_name = '=HYPERLINK("http://x")'
    world.own_firm.address = "@SUM(A1)"
    db.session.commit()
    login_as(world.officer)
    resp = client.get("/enterprises/export.xlsx?q=xtgx")
    assert resp.status_code == 200
    ws = load_workbook(BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "企业名称" and len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["企业名称"] == world.own_firm.name
    assert row["联系人"] == '\'=HYPERLINK("http://x")' and row["地址"] == "'@SUM(A1)"
    assert row["联系干部"] == world.cadre.name
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")


def test_officer_dashboard_warns_about_unassigned(client, login_as, world):
    login_as(world.officer)
    body = names(client.get("/"))
    assert "尚未分配联系干部" in body and world.unassigned_firm.name in body


def test_handover_view_prints_list(client, login_as, world, db):
    login_as(world.officer)
    data = {
        "from_cadre_id": world.cadre.id,
        "to_cadre_id": world.cadre2.id,
        "reason": "retire",
        "first_visit_days": 10,
        "note": "",
    }
    preview = names(client.post("/handovers/new", data=data))
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]+)"', preview).group(1)
    resp = client.post("/handovers/new", data=data | {"token": token, "confirm": "1"})
    assert resp.status_code == 302
    body = names(client.get(resp.headers["Location"]))
    assert "联系企业交接清单" in body and world.own_firm.name in body and "2026-11-12" in body
    db.session.expire_all()
    assert world.own_firm.cadre == world.cadre2
