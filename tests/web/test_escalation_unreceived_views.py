"""升级协调 shows 无人接收 for a problem whose level has nobody to receive it; admins see the
department without a head in 系统提示."""

from tests.support.problems import step


def page(client, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def row(html: str, problem_id: int) -> str:
    start = html.index(f'data-problem="{problem_id}"')
    end = html.find('<tr class="problem-row', start)
    return html[start : end if end != -1 else len(html)]


def test_headless_level_two_is_shown_as_unreceived(client, login_as, pworld, db):
    w = pworld
    # dept2 (人社局) has a handler but no 部门负责人; w.dept (税务局) has one.
    step(w.p_dept2, "escalate", w.officer, level=2, note="逾期未反馈")
    db.session.commit()
    login_as(w.officer)
    html = page(client, "/problems/escalations")
    assert "data-unreceived" in row(html, w.p_dept2.id) and "无人接收" in row(html, w.p_dept2.id)
    assert "data-unreceived" not in row(html, w.p_green.id)  # level 2 of a department with a head
    assert "data-unreceived" not in row(html, w.p_red.id)  # level 3: the 区分管领导 receives it


def test_admins_are_warned_about_the_department(client, login_as, pworld):
    w = pworld
    login_as(w.admin)
    html = page(client, "/problems/escalations")
    assert "没有部门负责人" in html and w.dept2.name in html
    login_as(w.officer)
    assert "没有部门负责人" not in page(client, "/problems/escalations")
