"""Every list page exports exactly what it shows, with its filters.

For each list and each of its filters, the rows of the .xlsx equal the rows the page lists (the page's
"共 N 条" and the names in it); user text is escaped so it never becomes a formula.
"""

import re
from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from crm.services.assignments.operations import handover_caseload
from crm.services.problems.intake import raise_problem
from tests.support.factories import make_enterprise
from tests.support.visits import make_visit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet(client, url: str, sheet: int = 0) -> list[list]:
    resp = client.get(url)
    assert resp.status_code == 200 and resp.mimetype == XLSX, url
    ws = load_workbook(BytesIO(resp.data)).worksheets[sheet]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _total(client, url: str) -> int:
    body = client.get(url).get_data(as_text=True)
    return int(re.search(r"共 (\d+) 条", body).group(1))


@pytest.fixture()
def more(world, db):
    """A few more firms in park A with different attributes, and visits in both parks."""
    w = world
    w.big = make_enterprise(
        w.park_a, "湘潭大型制造有限公司", cadre=w.cadre2, chain=w.chain, assigned_by=w.officer,
        scale_type="above", size="large", is_key=True,
    )  # fmt: skip
    w.formula = make_enterprise(
        w.park_a, '=HYPERLINK("http://x","y")', cadre=w.cadre, assigned_by=w.officer, status="suspended"
    )
    make_visit(w.big, w.cadre2, date(2026, 10, 20), "onsite")
    make_visit(w.foreign_firm, w.cadre_b, date(2026, 10, 21), "phone")
    db.session.commit()
    return w


ENTERPRISE_FILTERS = [
    "",
    "q=湘潭",
    "q=xtgx",
    "park={park_a}",
    "chain={chain}",
    "scale=above",
    "size=large",
    "status=suspended",
    "key=1",
    "cadre={cadre}",
    "unassigned=1",
    "sort=-created",
    "chain={chain}&key=1",
]


@pytest.mark.parametrize("role", ["officer", "leader", "cadre"])
def test_enterprise_export_matches_the_list_for_every_filter(client, login_as, more, role):
    w = more
    login_as(getattr(w, role))
    for template in ENTERPRISE_FILTERS:
        query = template.format(park_a=w.park_a.id, chain=w.chain.id, cadre=w.cadre.id)
        rows = _sheet(client, f"/enterprises/export.xlsx?{query}")
        assert len(rows) - 1 == _total(client, f"/enterprises/?{query}"), (role, query)
        page = client.get(f"/enterprises/?{query}").get_data(as_text=True)
        for row in rows[1:]:
            assert row[0].lstrip("'") in page.replace("&#34;", '"').replace("&quot;", '"'), (query, row[0])
    if role == "officer":
        names = [r[0] for r in _sheet(client, "/enterprises/export.xlsx?status=suspended")[1:]]
        assert names == ['\'=HYPERLINK("http://x","y")']


def test_visit_export_follows_the_new_park_filter(client, login_as, more):
    w = more
    login_as(w.leader)  # city-wide: may narrow to one park
    page = client.get("/visits/").get_data(as_text=True)
    assert 'id="park"' in page
    for park, firms in ((w.park_a, {w.own_firm.name, w.big.name}), (w.park_b, {w.foreign_firm.name})):
        query = f"park={park.id}"
        rows = _sheet(client, f"/visits/export.xlsx?{query}")
        assert {r[1] for r in rows[1:]} == firms
        assert len(rows) - 1 == _total(client, f"/visits/?{query}")
        assert {r[3] for r in rows[1:]} == {park.name}
    login_as(w.officer)
    assert 'id="park"' not in client.get("/visits/").get_data(as_text=True)
    # An officer cannot widen the scope with ?park=: park B's visits stay out.
    assert _sheet(client, f"/visits/export.xlsx?park={w.park_b.id}")[1:] == []


def test_coverage_export_follows_park_and_chain(client, login_as, more):
    w = more
    login_as(w.leader)
    cadres = {r[0] for r in _sheet(client, f"/coverage/export.xlsx?park={w.park_b.id}")[1:]}
    assert cadres == {w.cadre_b.name}
    with_chain = _sheet(client, f"/coverage/export.xlsx?park={w.park_a.id}&chain={w.chain.id}")
    firms = {row[0]: row[1] for row in with_chain[1:]}
    assert firms == {w.cadre.name: 1, w.cadre2.name: 1}  # own_firm and big are the chain's firms


def test_cadre_list_export(client, login_as, more):
    w = more
    login_as(w.officer)
    page = client.get("/cadres/").get_data(as_text=True)
    assert "/cadres/export.xlsx" in page
    rows = _sheet(client, "/cadres/export.xlsx")
    assert rows[0] == ["姓名", "用户名", "所属园区", "联系电话", "账号状态", "联系企业", "其中重点企业"]
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {w.cadre.name, w.cadre2.name}  # park A only
    assert by_name[w.cadre2.name][5:] == [2, 1] and by_name[w.cadre.name][5:] == [2, 0]
    assert len(rows) - 1 == _total(client, "/cadres/")
    login_as(w.leader)
    assert {r[0] for r in _sheet(client, "/cadres/export.xlsx")[1:]} == {
        w.cadre.name,
        w.cadre2.name,
        w.cadre_b.name,
    }
    login_as(w.cadre)
    assert [r[0] for r in _sheet(client, "/cadres/export.xlsx")[1:]] == [w.cadre.name]


def test_caseload_export_in_the_pages_order(client, login_as, more):
    w = more
    login_as(w.cadre)
    page = client.get(f"/cadres/{w.cadre.id}").get_data(as_text=True)
    assert f"/cadres/{w.cadre.id}/export.xlsx" in page
    rows = _sheet(client, f"/cadres/{w.cadre.id}/export.xlsx")
    assert rows[0][:6] == ["企业名称", "统一社会信用代码", "产业链", "重点企业", "经营状态", "联系状态"]
    names = [r[0] for r in rows[1:]]
    assert names == [w.own_firm.name, '\'=HYPERLINK("http://x","y")']  # urgent first; suspended last
    assert rows[2][5] == "不跟踪" and rows[1][5] in ("正常", "即将到期", "已逾期")
    assert client.get(f"/cadres/{w.cadre2.id}/export.xlsx").status_code == 404


def test_handover_list_export(client, login_as, more, db):
    w = more
    data = {"title": "用电增容", "description": "需增容", "category": "utilities", "source": "visit"}
    raise_problem(w.own_firm, w.cadre, data, today=date(2026, 10, 30))
    handover = handover_caseload(w.cadre, w.cadre2, w.officer, date(2026, 11, 2), "retire", "退休", 10)
    db.session.commit()
    login_as(w.officer)
    page = client.get(f"/handovers/{handover.id}").get_data(as_text=True)
    assert f"/handovers/{handover.id}/export.xlsx" in page
    rows = _sheet(client, f"/handovers/{handover.id}/export.xlsx")
    assert rows[0] == ["序号", "企业名称", "统一社会信用代码", "产业链", "联系人", "联系电话", "重点企业"]
    assert {r[1] for r in rows[1:]} == {w.own_firm.name, '\'=HYPERLINK("http://x","y")'}
    assert "用电增容" in page and "在办问题" in page  # the open problems move with the firms
    problems = _sheet(client, f"/handovers/{handover.id}/export.xlsx", sheet=1)
    assert problems[0][:5] == ["序号", "企业名称", "问题标题", "类别", "状态"]
    assert [r[1:3] + [r[4]] for r in problems[1:]] == [[w.own_firm.name, "用电增容", "待交办"]]
    facts = dict(_sheet(client, f"/handovers/{handover.id}/export.xlsx", sheet=2)[1:])
    assert facts["移交人"] == w.cadre.name and facts["接收人"] == w.cadre2.name and facts["企业数"] == 2
    login_as(w.officer_b)
    assert client.get(f"/handovers/{handover.id}/export.xlsx").status_code == 404
