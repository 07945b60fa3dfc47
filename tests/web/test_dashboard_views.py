"""Officer and leader home pages: the figures, that every number opens the list behind it (and that list
shows the same number), the park filter, CSP-safe charts, and a constant number of queries."""

import html
import re
from datetime import date

import pytest

from tests.support.factories import make_enterprise
from tests.support.reports import _raise, _step, report_world
from tests.support.visits import make_visit


@pytest.fixture()
def w(db):
    world = report_world()
    db.session.commit()
    return world


def _kpi(body: str, name: str) -> tuple[int, str]:
    """(value, href) of the KPI card marked data-kpi=name."""
    match = re.search(rf'href="([^"]+)" data-kpi={name}>.*?display-6[^>]*>(\d+)', body, re.S)
    assert match, name
    return int(match.group(2)), html.unescape(match.group(1))


def _total(client, url: str) -> int:
    """The row count a list page shows ("共 N 条")."""
    body = client.get(url).get_data(as_text=True)
    return int(re.search(r"共 (\d+) 条", body).group(1))


def test_leader_sees_kpis_and_every_number_opens_the_same_count(client, login_as, w):
    login_as(w.leader)  # city-wide
    body = client.get("/").get_data(as_text=True)
    assert "联企服务概览" in body and "全部园区" in body
    expected = {"open": 6, "red": 2, "new": 1, "closed": 0}  # P2 P3 P5 P7 P10 P9 open; P2 and P9 red
    for name, value in expected.items():
        shown, url = _kpi(body, name)
        assert shown == value, name
        assert url.startswith("/problems/?")
        assert _total(client, url) == value, url
    assert _kpi(body, "new")[1] == "/problems/?raised_from=2026-11-01&raised_to=2026-11-30"
    assert _kpi(body, "closed")[1] == "/problems/?closed_from=2026-11-01&closed_to=2026-11-30"
    # Charts: the 三色 ring and the status bars link to the same filters.
    for colour, count in (("red", 2), ("yellow", 1), ("green", 3)):
        url = f"/problems/?colour={colour}"
        assert f'href="{url}"' in body and _total(client, url) == count
    for status in ("new", "in_progress", "closed"):
        url = f"/problems/?status={status}"
        assert f'href="{url}"' in body
    assert _total(client, "/problems/?status=closed") == 4
    # The 12-month trend: October's columns open October's new and closed problems.
    oct_new = "/problems/?raised_from=2026-10-01&amp;raised_to=2026-10-31"
    oct_closed = "/problems/?closed_from=2026-10-01&amp;closed_to=2026-10-31"
    assert oct_new in body and oct_closed in body
    assert _total(client, html.unescape(oct_new)) == 6 and _total(client, html.unescape(oct_closed)) == 3
    # Department ranking and chain overview link to their filtered lists.
    assert f'href="/problems/?department={w.dept1.id}"' in body
    red_dept1 = f"/problems/?department={w.dept1.id}&amp;colour=red"
    assert red_dept1 in body and _total(client, html.unescape(red_dept1)) == 2
    chain_open = f"/problems/?chain={w.chain1.id}&amp;open=1"
    assert chain_open in body and _total(client, html.unescape(chain_open)) == 1
    assert f'href="/enterprises/?chain={w.chain1.id}&amp;status=active"' in body
    assert 'href="/coverage/"' in body and "本周联系覆盖" in body
    assert 'href="/reports/"' in body


def test_dashboard_charts_are_csp_safe_svg(client, login_as, w):
    login_as(w.leader)
    body = client.get("/").get_data(as_text=True)
    main = body.split("<main", 1)[1].split("</main>", 1)[0]
    assert main.count("<svg") >= 3 and 'class="chart-link"' in main
    assert (
        "<script" not in main
        and "style=" not in main
        and "http://" not in main.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )


def test_officer_home_has_todo_unassigned_warning_and_park_scope(client, login_as, w):
    login_as(w.officer)
    body = client.get("/").get_data(as_text=True)
    assert "工作台" in body and "待我处理" in body
    assert 'href="/problems/?status=new"' in body  # P7 and P10 wait for dispatch
    assert "尚未分配联系干部" in body and "甲五未分配有限公司" in body
    assert _kpi(body, "open")[0] == 5 and _kpi(body, "red")[0] == 1  # park A only: P9 is park B's
    assert "乙园区物流问题" not in body
    # A park-level user cannot widen or switch the scope with ?park=.
    other = client.get(f"/?park={w.park_b.id}").get_data(as_text=True)
    assert _kpi(other, "red")[0] == 1 and 'name="park"' not in other


def test_city_wide_user_can_narrow_to_one_park(client, login_as, w):
    login_as(w.leader)
    body = client.get(f"/?park={w.park_b.id}").get_data(as_text=True)
    value, url = _kpi(body, "red")
    assert value == 1 and url == f"/problems/?colour=red&park={w.park_b.id}"
    assert _total(client, url) == 1
    assert f'<option value="{w.park_b.id}" selected>' in body
    assert _kpi(client.get("/?park=999").get_data(as_text=True), "red")[0] == 2  # unknown park: all


def test_park_leader_sees_their_park(client, login_as, w):
    login_as(w.leader_a)
    body = client.get("/").get_data(as_text=True)
    assert "联企服务概览" in body and _kpi(body, "red")[0] == 1 and 'name="park"' not in body


def test_dashboard_query_count_does_not_grow_with_data(client, login_as, w, db, count_queries):
    def add(n, start):
        for i in range(start, start + n):
            firm = make_enterprise(
                w.park_a, f"扩容企业{i}", cadre=w.c2, assigned_by=w.officer, chain=w.chain1
            )
            make_visit(firm, w.c2, date(2026, 11, 2), "onsite")
            problem = _raise(firm, w.c2, f"扩容问题{i}", date(2026, 10, 20))
            _step(problem, "dispatch", w.officer, date(2026, 10, 20), department_id=w.dept2.id)
        db.session.commit()

    for user in (w.leader, w.officer):
        login_as(user)
        client.get("/")
    add(5, 0)
    counts = {}
    for user in (w.leader, w.officer):
        login_as(user)
        with count_queries() as q:
            assert client.get("/").status_code == 200
        counts[user.username] = q.count
    add(50, 5)
    for user in (w.leader, w.officer):
        login_as(user)
        with count_queries() as q:
            assert client.get("/").status_code == 200
        assert q.count == counts[user.username], [s[:80] for s in q.statements]
