"""A firm's name typed with full-width brackets is stored, shown, searched and exported as typed."""

from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import func, select

from crm.models import Enterprise
from tests.support.factories import valid_credit_code

LICENCE_NAME = "湘潭华宇（集团）新材料有限公司"


def form(world, **overrides):
    return {
        "name": LICENCE_NAME,
        "credit_code": valid_credit_code(),
        "park_id": world.park_a.id,
        "chain_id": "",
        "status": "active",
        "scale_type": "",
        "size": "",
    } | overrides


def test_full_width_name_round_trips_through_form_search_and_export(client, login_as, world, db):
    login_as(world.officer)
    code = valid_credit_code()
    data = form(world, credit_code="　" + code.lower(), contact_phone="１３８００００００００")
    data |= {"legal_rep": "王五（代）", "address": "晓塘路（东）１号"}
    assert client.post("/enterprises/new", data=data).status_code == 302
    firm = db.session.scalar(select(Enterprise).where(Enterprise.credit_code == code))
    assert (firm.name, firm.legal_rep, firm.address) == (LICENCE_NAME, "王五（代）", "晓塘路（东）１号")
    assert firm.contact_phone == "13800000000"
    assert LICENCE_NAME in client.get(f"/enterprises/{firm.id}").get_data(as_text=True)
    for q in ("湘潭华宇(集团)", "华宇（集团）"):
        assert LICENCE_NAME in client.get("/enterprises/", query_string={"q": q}).get_data(as_text=True)
    resp = client.get("/enterprises/export.xlsx", query_string={"q": "湘潭华宇(集团)"})
    rows = list(load_workbook(BytesIO(resp.data)).active.iter_rows(values_only=True))
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["企业名称"], row["统一社会信用代码"]) == (LICENCE_NAME, code)
    assert (row["法定代表人"], row["地址"]) == ("王五（代）", "晓塘路（东）１号")


def test_form_refuses_a_name_equal_across_widths(client, login_as, world, db):
    login_as(world.officer)
    assert client.post("/enterprises/new", data=form(world)).status_code == 302
    first = db.session.scalar(select(Enterprise).where(Enterprise.name == LICENCE_NAME))
    before = db.session.scalar(select(func.count(Enterprise.id)))
    resp = client.post("/enterprises/new", data=form(world, name="湘潭华宇(集团)新材料有限公司"))
    body = resp.get_data(as_text=True)
    assert f"企业名称与已有企业“{LICENCE_NAME}”（统一社会信用代码 {first.credit_code}）相同，请核对" in body
    assert db.session.scalar(select(func.count(Enterprise.id))) == before
