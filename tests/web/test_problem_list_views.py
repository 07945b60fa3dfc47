"""The problem list (问题清单): scope per role, every filter of the URL contract, colours, order, export."""

import re
from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests.support.problems import make_problem

NAMES = ("p_new", "p_red", "p_yellow", "p_green", "p_dept2", "p_foreign", "p_resolved", "p_closed",
         "p_returned", "p_ext")  # fmt: skip


def text(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def listed(resp) -> list[int]:
    """Problem ids of the table rows, in page order."""
    return [int(i) for i in re.findall(r'<tr class="problem-row[^"]*" data-problem="(\d+)"', text(resp))]


def ids(w, *names) -> set[int]:
    return {getattr(w, n).id for n in names}


SCOPE = {
    "admin": NAMES,
    "leader": NAMES,
    "officer": tuple(n for n in NAMES if n != "p_foreign"),
    "officer_b": ("p_foreign",),
    "cadre": ("p_new", "p_red", "p_green", "p_dept2", "p_resolved", "p_closed", "p_ext"),
    "cadre2": ("p_yellow", "p_returned"),
    # A department sees what was handed to it, in any park; a returned problem has left it.
    "handler": ("p_red", "p_yellow", "p_green", "p_foreign", "p_resolved", "p_closed", "p_ext"),
    "handler2": ("p_dept2",),
}


@pytest.mark.parametrize("role", SCOPE)
def test_each_role_lists_exactly_the_problems_in_its_scope(client, login_as, pworld, role):
    login_as(getattr(pworld, role))
    assert set(listed(client.get("/problems/?per_page=100"))) == ids(pworld, *SCOPE[role])


@pytest.mark.parametrize("role", SCOPE)
def test_export_holds_exactly_the_problems_in_scope(client, login_as, pworld, role):
    login_as(getattr(pworld, role))
    assert set(exported(client.get("/problems/export.xlsx"))["编号"]) == ids(pworld, *SCOPE[role])


FILTERS = [
    ("status=dispatched", ("p_red", "p_yellow")),
    ("colour=red", ("p_red", "p_ext")),
    ("colour=yellow", ("p_yellow",)),
    ("colour=grey", ("p_closed",)),
    ("colour=green", ("p_new", "p_green", "p_dept2", "p_resolved", "p_returned")),
    ("category=finance", ("p_new",)),
    ("level=3", ("p_red",)),
    ("level=2", ("p_green",)),
    ("open=1", tuple(n for n in SCOPE["officer"] if n != "p_closed")),
    ("extension=1", ("p_ext",)),
    ("q=另一家", ("p_yellow", "p_returned")),  # firm name
    ("q=审批", ("p_green",)),  # title
    ("closed_from=2026-11-01&closed_to=2026-11-02", ("p_closed",)),
    ("closed_to=2026-10-31", ()),
    ("raised_from=2026-10-20&raised_to=2026-10-20", SCOPE["officer"]),
    ("raised_to=2026-10-19", ()),
    ("status=dispatched&colour=red", ("p_red",)),
    # Junk values are ignored rather than failing the page.
    ("status=bogus&level=9&colour=pink&raised_from=notadate&department=x", SCOPE["officer"]),
]


@pytest.mark.parametrize("query, expected", FILTERS, ids=[f[0] for f in FILTERS])
def test_filters_of_the_url_contract(client, login_as, pworld, query, expected):
    login_as(pworld.officer)
    assert set(listed(client.get(f"/problems/?{query}"))) == ids(pworld, *expected)


def test_filters_by_department_cadre_firm_chain_and_park(client, login_as, pworld):
    w = pworld
    login_as(w.officer)
    assert set(listed(client.get(f"/problems/?department={w.dept2.id}"))) == ids(w, "p_dept2")
    assert set(listed(client.get(f"/problems/?cadre={w.cadre2.id}"))) == ids(w, "p_yellow", "p_returned")
    own = ids(w, *SCOPE["cadre"])
    assert set(listed(client.get(f"/problems/?firm={w.own_firm.id}"))) == own
    assert set(listed(client.get(f"/problems/?chain={w.chain.id}"))) == own  # only own_firm has the chain
    # Another park's id does not widen an officer's scope.
    assert listed(client.get(f"/problems/?park={w.park_b.id}")) == []
    login_as(w.admin)
    assert set(listed(client.get(f"/problems/?park={w.park_b.id}"))) == ids(w, "p_foreign")


def test_rows_show_colour_status_deadline_and_the_colour_chips_count(client, login_as, pworld):
    w = pworld
    login_as(w.officer)
    page = text(client.get("/problems/"))
    row = re.search(rf'data-problem="{w.p_red.id}".*?</tr>', page, re.S).group(0)
    assert 'data-colour="red"' in row and "红色预警" in row and "已交办" in row and "3级 区分管领导" in row
    assert "2026-10-27" in row and "签收" in row and "逾期4个工作日" in row  # sign was due 10-27
    assert w.own_firm.name in row and "税务局" in row
    closed = re.search(rf'data-problem="{w.p_closed.id}".*?</tr>', page, re.S).group(0)
    assert 'data-colour="grey"' in closed and "已销号" in closed
    chips = dict(re.findall(r'data-colour-filter="(\w+)"[^>]*>[^<]*?(\d+)</a>', page))
    assert chips == {"red": "2", "yellow": "1", "green": "5", "grey": "1"}


def test_most_urgent_first_then_grey_last(client, login_as, pworld):
    w = pworld
    login_as(w.officer)
    order = listed(client.get("/problems/"))
    colours = {w.p_red.id: 0, w.p_ext.id: 0, w.p_yellow.id: 1, w.p_closed.id: 3}
    ranks = [colours.get(i, 2) for i in order]
    assert ranks == sorted(ranks)
    assert order[:2] == [w.p_red.id, w.p_ext.id]  # sign due 10-27 before p_ext's feedback due 10-29
    newest = listed(client.get("/problems/?sort=-raised"))
    assert set(newest) == set(order)


def test_list_is_paginated(client, login_as, pworld):
    w = pworld
    for i in range(21):
        make_problem(w.own_firm, w.cadre, title=f"分页问题{i}")
    login_as(w.cadre)
    first = listed(client.get("/problems/"))
    second = listed(client.get("/problems/?page=2"))
    assert len(first) == 20 and len(second) == 8 and not set(first) & set(second)
    assert "共 28 条" in text(client.get("/problems/"))


def exported(resp) -> dict[str, list]:
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ws = load_workbook(BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    return {header: [r[i] for r in rows[1:]] for i, header in enumerate(rows[0])}


def test_export_matches_the_filtered_list_across_pages(client, login_as, pworld):
    w = pworld
    for i in range(25):
        make_problem(w.own_firm, w.cadre, title=f"导出问题{i}")
    login_as(w.officer)
    query = f"open=1&firm={w.own_firm.id}"
    on_screen = listed(client.get(f"/problems/?{query}")) + listed(client.get(f"/problems/?{query}&page=2"))
    sheet = exported(client.get(f"/problems/export.xlsx?{query}"))
    assert sheet["编号"] == on_screen and len(on_screen) == 31  # same rows, same order, all pages


def test_export_columns_colour_and_working_days(client, login_as, pworld):
    w = pworld
    login_as(w.officer)
    sheet = exported(client.get("/problems/export.xlsx?colour=red"))
    for header in (
        "企业名称",
        "问题标题",
        "状态",
        "三色预警",
        "协调级别",
        "承办部门",
        "办结期限",
        "已用工作日",
    ):
        assert header in sheet
    row = {h: v[sheet["编号"].index(w.p_red.id)] for h, v in sheet.items()}
    assert row["三色预警"] == "红色预警" and row["状态"] == "已交办" and row["协调级别"] == "3级 区分管领导"
    assert row["承办部门"] == "税务局" and row["已用工作日"] == 5  # days 10-27 … 10-30, 11-02
    assert row["逾期工作日"] == 4 and row["下一期限"] == "签收 2026-10-27"
    assert set(sheet["三色预警"]) == {"红色预警"}


def test_export_escapes_formulas(client, login_as, pworld):
    w = pworld
    make_problem(w.own_firm, w.cadre, title='=HYPERLINK("http://x")')
    login_as(w.officer)
    sheet = exported(client.get("/problems/export.xlsx?q=HYPERLINK"))
    assert sheet["问题标题"] == ['\'=HYPERLINK("http://x")']


def test_firm_tab_is_live_and_scoped(client, login_as, pworld):
    w = pworld
    login_as(w.cadre)
    resp = client.get(f"/enterprises/{w.own_firm.id}?tab=problems")
    assert set(listed(resp)) == ids(w, *SCOPE["cadre"])
    page = text(resp)
    assert f'href="/problems/{w.p_red.id}"' in page and 'data-colour="red"' in page
    assert f"/problems/?firm={w.own_firm.id}" in page
    # A handler reads the firm's lists, but only the problems handed to their department.
    login_as(w.handler)
    handler_rows = set(listed(client.get(f"/enterprises/{w.own_firm.id}?tab=problems")))
    assert handler_rows == ids(w, "p_red", "p_green", "p_resolved", "p_closed", "p_ext")


def test_menu_per_role(client, login_as, pworld):
    w = pworld
    links = {
        "officer": {"/problems/": True, "/problems/board": True, "/problems/escalations": True,
                    "/problems/inbox": False},
        "cadre": {"/problems/": True, "/problems/board": False, "/problems/escalations": False,
                  "/problems/inbox": False},
        "handler": {"/problems/": True, "/problems/inbox": True, "/problems/board": False},
        "leader": {"/problems/": True, "/problems/escalations": True, "/problems/board": False},
    }  # fmt: skip
    for role, expected in links.items():
        login_as(getattr(w, role))
        nav = text(client.get("/problems/")).split("</nav>")[0]
        for href, shown in expected.items():
            assert (f'href="{href}"' in nav) is shown, (role, href)


def test_query_count_is_constant(client, login_as, world, db, count_queries):
    w = world
    states = ("new", "dispatched", "in_progress", "resolved", "closed")

    def add(n, start):
        for i in range(start, start + n):
            firm = w.own_firm if i % 2 else w.other_firm
            make_problem(firm, w.cadre if i % 2 else w.cadre2, states[i % 5], w.dept, w.handler,
                         on=date(2026, 10, 20 + i % 10), title=f"计数{i}")  # fmt: skip
        db.session.commit()

    add(10, 0)
    urls = ["/problems/", "/problems/?colour=red", "/problems/?open=1&sort=-raised",
            f"/enterprises/{w.own_firm.id}?tab=problems"]  # fmt: skip
    login_as(w.officer)
    small = {}
    for url in urls:
        with count_queries() as q:
            assert client.get(url).status_code == 200
        small[url] = q.count
    add(90, 10)
    for url in urls:
        with count_queries() as q:
            assert client.get(url).status_code == 200
        assert q.count == small[url], (url, q.statements)
