"""The work desks: handler's inbox (待签收/办理中/即将超期/已超期/已升级), the officer's dispatch board and
the escalation view — per role what they see and must not see, and constant query counts."""

import re
from datetime import date

import pytest

from tests.support.factories import make_user
from tests.support.problems import make_problem, step


def text(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def listed(page: str) -> set[int]:
    return {int(i) for i in re.findall(r'<tr class="problem-row[^"]*" data-problem="(\d+)"', page)}


def ids(w, *names) -> set[int]:
    return {getattr(w, n).id for n in names}


def tabs(page: str) -> dict[str, int]:
    return {
        k: int(n) for k, n in re.findall(r'data-tab="(\w+)">[^<]*<span class="badge[^"]*">(\d+)</span>', page)
    }


def section(page: str, key: str) -> set[int]:
    body = re.search(rf'<section id="board-{key}">(.*?)</section>', page, re.S).group(1)
    return listed(body)


# ---- inbox


def test_handler_inbox_tabs_and_counts(client, login_as, pworld):
    w = pworld
    login_as(w.handler)
    page = text(client.get("/problems/inbox"))
    assert tabs(page) == {"sign": 3, "doing": 2, "soon": 2, "late": 2}  # no 已升级 tab for a non-head
    assert 'data-tab="sign"' in page and "active" in re.search(
        r'<a class="nav-link[^"]*"[^>]*data-tab="sign"', page
    ).group(0)
    assert listed(page) == ids(w, "p_red", "p_yellow", "p_foreign")  # 待签收, any park
    expected = {"doing": ("p_green", "p_ext"), "soon": ("p_yellow", "p_foreign"), "late": ("p_red", "p_ext")}
    for tab, names in expected.items():
        assert listed(text(client.get(f"/problems/inbox?tab={tab}"))) == ids(w, *names), tab
    assert listed(text(client.get("/problems/inbox?tab=escalated"))) == listed(page)  # unknown tab: default


def test_inbox_sign_tab_has_a_quick_accept_that_returns_to_the_inbox(client, login_as, pworld):
    w = pworld
    login_as(w.handler)
    page = text(client.get("/problems/inbox?tab=sign"))
    assert f'action="/problems/{w.p_yellow.id}/accept"' in page
    data = {"next": "/problems/inbox?tab=sign", "version": w.p_yellow.version}  # what the inbox form posts
    resp = client.post(f"/problems/{w.p_yellow.id}/accept", data=data)
    assert resp.headers["Location"].endswith("/problems/inbox?tab=sign")
    assert tabs(text(client.get("/problems/inbox")))["sign"] == 2


def test_department_head_has_an_escalated_tab(client, login_as, pworld):
    w = pworld
    login_as(w.head)
    page = text(client.get("/problems/inbox"))
    assert tabs(page)["escalated"] == 2 and "已升级" in page
    assert listed(text(client.get("/problems/inbox?tab=escalated"))) == ids(w, "p_red", "p_green")


def test_a_problem_named_for_one_handler_stays_out_of_colleagues_inboxes(client, login_as, pworld, db):
    w = pworld
    colleague = make_user("handler", w.park_a, username="handler_a3", department=w.dept)
    named = make_problem(
        w.own_firm, w.cadre, "dispatched", w.dept, w.handler, assign_handler=True, title="点名"
    )
    db.session.commit()
    login_as(colleague)
    page = text(client.get("/problems/inbox"))
    # Signed problems now belong to world.handler; only unsigned, unnamed ones are the colleague's.
    assert tabs(page) == {"sign": 3, "doing": 0, "soon": 2, "late": 1}
    assert named.id not in listed(page)
    login_as(w.handler)
    assert named.id in listed(text(client.get("/problems/inbox")))
    login_as(w.head)
    assert named.id in listed(text(client.get("/problems/inbox")))


def test_other_department_handler_sees_only_its_own(client, login_as, pworld):
    login_as(pworld.handler2)
    page = text(client.get("/problems/inbox"))
    assert tabs(page) == {"sign": 0, "doing": 1, "soon": 0, "late": 0}
    assert listed(page) == ids(pworld, "p_dept2")  # opens the first tab with work in it


def test_handler_home_is_the_inbox_and_others_may_not_open_it(client, login_as, pworld):
    w = pworld
    login_as(w.handler)
    assert client.get("/").headers["Location"].endswith("/problems/inbox")
    for role in ("officer", "cadre", "leader", "admin"):
        login_as(getattr(w, role))
        assert client.get("/problems/inbox").status_code == 403, role


# ---- dispatch board


def test_board_counts_and_sections(client, login_as, pworld):
    w = pworld
    login_as(w.officer)
    page = text(client.get("/problems/board"))
    kpis = dict(re.findall(r'data-kpi="(\w+)">\s*<div[^>]*><div class="fs-4[^"]*">(\d+)</div>', page))
    assert kpis == {"new": "1", "returned": "1", "extension": "1", "evaluate": "1", "red": "2", "yellow": "1"}
    assert section(page, "dispatch") == ids(w, "p_new", "p_returned")
    assert section(page, "extension") == ids(w, "p_ext")
    assert section(page, "evaluate") == ids(w, "p_resolved")
    assert section(page, "red") == ids(w, "p_red", "p_ext")
    assert section(page, "yellow") == ids(w, "p_yellow")  # p_foreign is another park's
    assert "需要现场勘查" in page  # the extension's reason next to 同意 / 不同意
    assert f'action="/problems/{w.p_ext.id}/approve_extension"' in page
    assert f'formaction="/problems/{w.p_ext.id}/refuse_extension"' in page


def test_board_quick_dispatch(client, login_as, pworld, db):
    w = pworld
    login_as(w.officer)
    page = text(client.get("/problems/board"))
    form = re.search(rf'action="/problems/{w.p_new.id}/dispatch".*?</form>', page, re.S).group(0)
    assert f'value="{w.dept.id}"' in form and f'value="{w.dept2.id}"' in form
    resp = client.post(
        f"/problems/{w.p_new.id}/dispatch",
        data={"department_id": w.dept2.id, "version": w.p_new.version, "next": "/problems/board"},
        follow_redirects=True,
    )
    page = text(resp)
    assert "已交办给人社局" in page and section(page, "dispatch") == ids(w, "p_returned")


def test_board_is_scoped_limited_and_links_to_the_list(client, login_as, pworld, db):
    w = pworld
    for i in range(21):
        make_problem(w.other_firm, w.cadre2, title=f"待交办{i}")
    db.session.commit()
    login_as(w.officer)
    page = text(client.get("/problems/board"))
    assert len(section(page, "dispatch")) == 20 and "查看全部 23 条" in page
    login_as(w.officer_b)
    page = text(client.get("/problems/board"))
    assert section(page, "dispatch") == set() and section(page, "yellow") == ids(w, "p_foreign")
    for role in ("cadre", "handler", "leader"):
        login_as(getattr(w, role))
        assert client.get("/problems/board").status_code == 403, role


# ---- escalation view


@pytest.mark.parametrize("role, expected", [
    ("leader", ("p_red",)),  # 区分管领导: level 3 only
    ("chief", ("p_red", "p_yellow")),  # 区主要领导: levels 3 and 4
    ("officer", ("p_red", "p_green", "p_yellow")),  # every escalated problem of the park
    ("admin", ("p_red", "p_green", "p_yellow")),
    ("officer_b", ()),
])  # fmt: skip
def test_escalations_by_level(client, login_as, pworld, db, role, expected):
    w = pworld
    step(w.p_yellow, "escalate", w.officer, level=4, note="久拖不决")
    db.session.commit()
    login_as(getattr(w, role))
    assert listed(text(client.get("/problems/escalations"))) == ids(w, *expected)


def test_leader_instructs_inline_and_sees_it_listed(client, login_as, pworld):
    w = pworld
    login_as(w.leader)
    page = text(client.get("/problems/escalations"))
    assert f'action="/problems/{w.p_red.id}/instruct"' in page and "supervise" not in page
    assert "逾期4个工作日" in page and 'data-level-count="3"' in page
    resp = client.post(
        f"/problems/{w.p_red.id}/instruct",
        data={"note": "请税务局三日内办结", "next": "/problems/escalations", "version": w.p_red.version},
        follow_redirects=True,
    )
    assert "批示成功" in text(resp) and "请税务局三日内办结" in text(resp)
    login_as(w.officer)
    page = text(client.get("/problems/escalations"))
    assert f'action="/problems/{w.p_red.id}/supervise"' in page and "/instruct" not in page


def test_escalations_hide_closed_unless_asked(client, login_as, pworld, db):
    w = pworld
    step(w.p_green, "force_close", w.officer, note="企业已搬迁，诉求不再存在")
    db.session.commit()
    login_as(w.officer)
    assert listed(text(client.get("/problems/escalations"))) == ids(w, "p_red")
    assert listed(text(client.get("/problems/escalations?all=1"))) == ids(w, "p_red", "p_green")
    for role in ("cadre", "handler", "head"):
        login_as(getattr(w, role))
        assert client.get("/problems/escalations").status_code == 403, role


# ---- query counts


def test_desk_query_counts_are_constant(client, login_as, world, db, count_queries):
    w = world
    w.handler.is_dept_head = True
    officer, handler = w.officer, w.handler
    states = ("new", "dispatched", "in_progress", "resolved", "returned", "extension")

    def add(n, start):
        for i in range(start, start + n):
            p = make_problem(w.own_firm, w.cadre, states[i % 6], w.dept, handler,
                             on=date(2026, 10, 20 + i % 10), title=f"计数{i}")  # fmt: skip
            if p.status in ("dispatched", "in_progress") and i % 3 == 0:
                step(p, "escalate", officer, level=2 + i % 3, note="提级")
                step(p, "instruct", w.leader, note="批示") if p.level >= 3 else None
        db.session.commit()

    add(10, 0)
    pages = [
        (officer, "/problems/board"),
        (officer, "/problems/escalations"),
        (w.leader, "/problems/escalations"),
    ]
    pages += [(handler, f"/problems/inbox?tab={t}") for t in ("sign", "doing", "soon", "late", "escalated")]
    small = {}
    for user, url in pages:
        login_as(user)
        with count_queries() as q:
            assert client.get(url).status_code == 200
        small[(user.id, url)] = q.count
    add(90, 10)
    for user, url in pages:
        login_as(user)
        with count_queries() as q:
            assert client.get(url).status_code == 200
        assert q.count == small[(user.id, url)], (url, q.statements)
