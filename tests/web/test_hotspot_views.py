"""The 热点分析 page per role: who may read it, which park each sees, the links to the problem list with the
right filters, bad input, a closed month's frozen figures and a constant number of queries."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from crm.extensions import db
from crm.models import Problem
from tests.support.factories import make_enterprise
from tests.support.hotspots import d, hotspot_world, raise_on
from tests.support.month_close import close

URL = "/knowledge/hotspots"
OCTOBER = f"{URL}?month=2026-10"


@pytest.fixture()
def w(db):
    return hotspot_world()


def links(body: str, path: str) -> list[dict[str, str]]:
    """The query arguments of every link to path on the page."""
    out = []
    for href in re.findall(r'href="([^"]+)"', body):
        url = urlsplit(html.unescape(href))
        if url.path == path:
            out.append({k: v[0] for k, v in parse_qs(url.query).items()})
    return out


@pytest.mark.parametrize("role", ["cadre_a", "h1"])
def test_cadres_and_handlers_may_not_read_it(client, login_as, w, role):
    login_as(getattr(w, role))
    assert client.get(OCTOBER).status_code == 403


def test_an_officer_sees_their_own_park_only(client, login_as, w):
    login_as(w.officer_a)
    body = client.get(OCTOBER).get_data(as_text=True)
    assert "热点分析 · 甲园区 · 2026年10月" in body
    assert "甲一机械有限公司" in body and "乙三装备有限公司" not in body  # park B's repeat is not listed
    assert 'id="park"' not in body  # no park picker
    assert client.get(f"{OCTOBER}&park={w.park_a.id}").status_code == 200
    assert client.get(f"{OCTOBER}&park={w.park_b.id}").status_code == 404
    login_as(w.officer_b)
    body = client.get(OCTOBER).get_data(as_text=True)
    assert "热点分析 · 乙园区" in body and "甲一机械有限公司" not in body
    assert client.get(f"{OCTOBER}&park={w.park_a.id}").status_code == 404


def test_a_park_leader_is_limited_to_the_park(client, login_as, w):
    login_as(w.park_leader)
    assert client.get(f"{OCTOBER}&park={w.park_b.id}").status_code == 404
    assert "热点分析 · 甲园区" in client.get(OCTOBER).get_data(as_text=True)


def test_a_city_wide_leader_sees_all_parks_or_one(client, login_as, w):
    login_as(w.leader)
    body = client.get(OCTOBER).get_data(as_text=True)
    assert "热点分析 · 全部园区 · 2026年10月" in body
    assert "甲一机械有限公司" in body and "乙三装备有限公司" in body
    assert "本月提出问题 6 件（上月 3 件）" in body
    assert 'id="park"' in body
    body = client.get(f"{OCTOBER}&park={w.park_b.id}").get_data(as_text=True)
    assert "热点分析 · 乙园区" in body and "甲一机械有限公司" not in body


def test_figures_link_to_the_problem_list_with_their_filters(client, login_as, w):
    login_as(w.leader)
    body = client.get(OCTOBER).get_data(as_text=True)
    month = {"raised_from": "2026-10-01", "raised_to": "2026-10-31"}
    listed = links(body, "/problems/")
    assert month | {"category": "finance"} in listed  # the city's 融资
    assert month | {"category": "finance", "park": str(w.park_a.id)} in listed  # 甲园区's
    assert month | {"category": "finance", "chain": str(w.c1.id)} in listed  # 装备制造's
    assert month | {"q": "贷款"} in listed
    resolved = {"resolved_from": "2026-10-01", "resolved_to": "2026-10-31"}
    assert resolved | {"category": "land"} in listed
    assert resolved | {"department": str(w.d1.id)} in listed
    # … and each filtered list holds exactly the problems counted.
    login_as(w.admin)
    for args, expected in (
        (month | {"category": "finance", "chain": str(w.c1.id)}, {w.o5.id, w.o6.id}),
        (resolved | {"department": str(w.d1.id)}, {w.o1.id, w.o4.id}),
        (month | {"q": "贷款"}, {w.o5.id, w.o6.id}),
    ):
        page = client.get("/problems/", query_string=args).get_data(as_text=True)
        shown = {int(i) for i in re.findall(r'href="/problems/(\d+)"', page)}
        assert shown == expected, args
    # Repeats and case answers link to the problems and the firm.
    problems = re.findall(r'href="/problems/(\d+)"', body)
    for p in (w.o1, w.e1, w.o4, w.e3, w.o2, w.cp, w.o5, w.s1):
        assert str(p.id) in problems
    assert f'href="/enterprises/{w.f1.id}"' in body


@pytest.mark.parametrize(
    "query, message",
    [
        ("month=abc", "月份格式应为 YYYY-MM"),
        ("month=2026-13", "月份格式应为 YYYY-MM"),
        ("month=2099-01", "尚未开始"),
        ("month=" + "9" * 5000, "月份格式应为 YYYY-MM"),
        ("month=2026-10%00", "月份格式应为 YYYY-MM"),
        ("park=999999", "所选园区不存在"),
        ("park=abc", "所选园区不存在"),
        ("park=99999999999999999999", "所选园区不存在"),
    ],
)
def test_bad_input_is_a_message_never_a_500(client, login_as, w, query, message):
    login_as(w.leader)
    resp = client.get(f"{URL}?{query}")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert message in body and "热点分析 · 全部园区" in body


def test_a_closed_month_shows_its_frozen_figures(client, login_as, w):
    login_as(w.leader)
    assert "初稿：实时统计" in client.get(OCTOBER).get_data(as_text=True)
    close()
    w.o6.category = "other"  # after the close: the closed month does not move
    db.session.commit()
    body = client.get(OCTOBER).get_data(as_text=True)
    assert "正式版：已月结（第1版）" in body
    assert "其他" not in body.split('id="terms"')[0]  # 类别 block: o6 still counted as 融资
    assert "本月提出问题 6 件" in body


def test_the_page_runs_a_fixed_number_of_queries(client, login_as, w, count_queries):
    login_as(w.leader)
    with count_queries() as small:
        assert client.get(OCTOBER).status_code == 200
    for n in range(10):
        firm = make_enterprise(w.park_b, cadre=w.cadre_b, chain=w.c2, assigned_by=w.admin)
        p = raise_on(firm, w.cadre_b, f"用地审批{n}", "land", d(10, 2 + n))
        p.answered_from_id = w.s2.id
    db.session.commit()
    with count_queries() as large:
        body = client.get(OCTOBER).get_data(as_text=True)
    assert "本月提出问题 16 件" in body
    assert large.count == small.count
    assert db.session.query(Problem).count() > 20
