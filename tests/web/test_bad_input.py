"""Bad input anywhere: a clear Chinese message next to the form, nothing changed, never an error page.

Each case posts what a careless or curious user could type; the firm, settings and assignment rows
must be exactly as before, and no English WTForms message ("Not a valid …") may reach the page.
"""

import re

import pytest
from sqlalchemy import func, select

from crm.models import Assignment, Enterprise, Handover, ParkSetting, Visit

ENGLISH = re.compile(r"Not a valid|Field cannot|Field must|This field|Invalid Choice|could not coerce")


def text(resp) -> str:
    return resp.get_data(as_text=True)


def assert_refused(resp, message: str) -> None:
    body = text(resp)
    assert resp.status_code == 200, resp.status_code  # the form again, not an error page or a redirect
    assert message in body, re.findall(r'invalid-feedback">([^<]*)<|alert-danger[^>]*>\s*([^<]*)', body)
    assert not ENGLISH.search(body), ENGLISH.search(body).group(0)


def firm_form(firm, **changes) -> dict:
    data = {
        "name": firm.name,
        "credit_code": firm.credit_code,
        "park_id": str(firm.park_id),
        "chain_id": "",
        "scale_type": "",
        "size": "",
        "status": "active",
        "version": str(firm.version),  # the edit form carries it
    }
    return data | changes


def snapshot(firm) -> tuple:
    return (firm.name, firm.headcount, firm.output_last_year, firm.tax_last_year, firm.founded_on)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"headcount": "abc"}, "请输入整数"),
        ({"headcount": "-3"}, "从业人数不能为负数"),
        ({"headcount": "99999999999"}, "从业人数数值过大"),
        ({"output_last_year": "NaN"}, "请输入有效的数字"),
        ({"output_last_year": "Infinity"}, "请输入有效的数字"),
        ({"output_last_year": "1e15"}, "上年产值(万元)数值过大"),
        ({"tax_last_year": "-1"}, "税收不能为负数"),
        ({"founded_on": "2026-13-45"}, "日期格式不正确"),
        ({"founded_on": "2030-01-01"}, "成立日期不能晚于今天"),
        ({"name": "长" * 201}, "不能超过200字"),
        ({"chain_id": "abc"}, "请从列表中选择"),
        ({"size": "huge"}, "请从列表中选择"),
        ({"credit_code": "91430300MA4L00000X"}, "统一社会信用代码校验位错误"),
    ],
)
def test_bad_firm_edit_is_refused_in_chinese_and_changes_nothing(
    client, login_as, world, db, changes, message
):
    firm = world.own_firm
    before = snapshot(firm)
    login_as(world.officer)
    assert_refused(client.post(f"/enterprises/{firm.id}/edit", data=firm_form(firm, **changes)), message)
    db.session.expire_all()
    assert snapshot(db.session.get(Enterprise, firm.id)) == before


def test_only_one_message_per_bad_number(client, login_as, world):
    """ "abc" in a number field is not also "negative": one problem, one message."""
    login_as(world.officer)
    body = text(
        client.post(f"/enterprises/{world.own_firm.id}/edit", data=firm_form(world.own_firm, headcount="x"))
    )
    assert "请输入整数" in body and "不能为负数" not in body


def test_bad_new_firm_creates_nothing(client, login_as, world, db):
    count = db.session.scalar(select(func.count(Enterprise.id)))
    login_as(world.officer)
    data = firm_form(world.own_firm, name="新企业有限公司", credit_code="", output_last_year="1e13")
    resp = client.post("/enterprises/new", data=data)
    assert_refused(resp, "请输入统一社会信用代码")
    assert db.session.scalar(select(func.count(Enterprise.id))) == count


@pytest.mark.parametrize(
    "data, message",
    [
        ({"contact_days": "abc", "due_soon_days": "2", "visit_edit_days": "7"}, "请输入整数"),
        ({"contact_days": "", "due_soon_days": "", "visit_edit_days": ""}, "请输入整数"),
        (
            {"contact_days": "3", "due_soon_days": "3", "visit_edit_days": "7"},
            "提前提醒天数应小于最短的走访周期（3天）",
        ),
        (
            {"contact_days": "7", "key_onsite_days": "2", "due_soon_days": "2", "visit_edit_days": "7"},
            "提前提醒天数应小于最短的走访周期（2天）",
        ),
        (
            {"contact_days": "7", "key_contact_days": "9", "due_soon_days": "2", "visit_edit_days": "7"},
            "不能长于",
        ),
    ],
)
def test_bad_cadence_settings_are_refused(client, login_as, world, db, data, message):
    login_as(world.officer)
    assert_refused(client.post("/settings/cadence", data=data), message)
    assert db.session.get(ParkSetting, world.park_a.id) is None


def test_bad_handover_is_refused_and_moves_nothing(client, login_as, world, db):
    login_as(world.officer)
    cases = [
        ({}, "请选择移交人"),
        ({"from_cadre_id": "abc", "to_cadre_id": "x", "reason": "zzz"}, "请从列表中选择"),
        (
            {"from_cadre_id": world.cadre_b.id, "to_cadre_id": world.cadre.id, "reason": "leave"},
            "请从列表中选择",
        ),
        ({"from_cadre_id": world.cadre.id, "to_cadre_id": world.cadre.id, "reason": "leave"}, "不能是同一人"),
        (
            {
                "from_cadre_id": world.cadre.id,
                "to_cadre_id": world.cadre2.id,
                "reason": "leave",
                "first_visit_days": "0",
            },
            "请输入1到90之间的天数",
        ),
    ]
    for data, message in cases:
        assert_refused(client.post("/handovers/new", data=data), message)
    assert db.session.scalar(select(func.count(Handover.id))) == 0
    assert world.own_firm.cadre == world.cadre


def test_bad_assignment_is_refused(client, login_as, world, db):
    login_as(world.officer)
    url = f"/enterprises/{world.own_firm.id}/assign"
    assert_refused(client.post(url, data={"cadre_id": world.cadre_b.id}), "请从列表中选择")
    assert_refused(client.post(url, data={"cadre_id": "abc"}), "请选择联系干部")
    assert_refused(client.post(url, data={"cadre_id": world.cadre.id}), "已是该企业的联系干部")
    rows = db.session.scalars(select(Assignment).where(Assignment.enterprise_id == world.own_firm.id)).all()
    assert [(r.cadre_id, r.end_on) for r in rows] == [(world.cadre.id, None)]


def test_bad_visit_kind_is_refused_in_chinese(client, login_as, world, db):
    before = db.session.scalar(select(func.count(Visit.id)))
    login_as(world.cadre)
    data = {"visited_on": "2026-11-01", "kind": "fax", "summary": "电话了解情况"}
    assert_refused(client.post(f"/enterprises/{world.own_firm.id}/visits/new", data=data), "请从列表中选择")
    assert db.session.scalar(select(func.count(Visit.id))) == before


@pytest.mark.parametrize(
    "url",
    [
        "/enterprises/?page=abc",
        "/enterprises/?page=-2",
        "/enterprises/?page=999",
        "/visits/?page=abc&from=abc&to=2026-99-99&cadre=x&chain=y&kind=zz",
        "/visits/?page=999",
        "/cadres/?page=zz",
        "/handovers/?page=zz",
        "/coverage/?park=abc&chain=xyz&page=-1",
        "/admin/users/?page=abc",
    ],
)
def test_junk_page_numbers_and_filters_never_give_an_error_page(client, login_as, world, url):
    login_as(world.admin if url.startswith("/admin") else world.officer)
    assert client.get(url).status_code == 200


def test_a_page_past_the_end_shows_the_last_page(client, login_as, world):
    login_as(world.officer)
    body = text(client.get("/enterprises/?page=999"))
    assert world.own_firm.name in body and world.unassigned_firm.name in body
    tab = text(client.get(f"/enterprises/{world.own_firm.id}?tab=visits&page=7"))
    assert world.visit.summary in tab
