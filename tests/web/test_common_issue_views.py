"""共性问题 pages per role: who sees the list, the proposals, a group's page and its forms, who may post
progress or close, what a member problem's page and the leaders' dashboard show, and constant queries."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import CommonIssue, CommonIssueEvent
from crm.services.knowledge.common_issues import confirm_common_issue
from tests.support.dates import TODAY
from tests.support.factories import make_enterprise, make_user
from tests.support.problems import make_problem


def _team(w, **over):
    data = {
        "title": "装备制造产业链用地指标不足",
        "team_name": "用地保障专班",
        "team_kind": "department",
        "department_id": w.dept.id,
        "due_on": (TODAY + timedelta(days=20)).isoformat(),
    }
    return data | over


@pytest.fixture()
def g(world):
    """Three firms of park A with 用地 troubles in a group led by 税务局 (the handler's department)."""
    w = world
    w.p1 = make_problem(w.own_firm, w.cadre, "new", title="标准厂房用地指标不足", category="land")
    w.p2 = make_problem(
        w.other_firm, w.cadre2, "dispatched", w.dept, w.handler, title="厂房用地紧张", category="land"
    )
    w.p3 = make_problem(w.unassigned_firm, w.officer, "new", title="扩产缺少用地", category="land")
    w.issue = confirm_common_issue(w.officer, [w.p1.id, w.p2.id, w.p3.id], _team(w), TODAY)
    db.session.commit()
    return w


def _get(client, login_as, user, url):
    login_as(user)
    return client.get(url)


@pytest.mark.parametrize("role", ["admin", "officer", "leader", "cadre", "handler"])
def test_everyone_of_the_park_sees_the_group_in_the_list(client, login_as, g, role):
    html = _get(client, login_as, getattr(g, role), "/knowledge/groups/").get_data(as_text=True)
    assert g.issue.title in html and "用地保障专班" in html and "knowledge-tabs" in html
    assert ("data-proposals" in html) == (role in ("admin", "officer"))


def test_another_parks_officer_neither_lists_nor_opens_the_group(client, login_as, g):
    html = _get(client, login_as, g.officer_b, "/knowledge/groups/").get_data(as_text=True)
    assert g.issue.title not in html
    assert client.get(f"/knowledge/groups/{g.issue.id}").status_code == 404
    resp = client.post(f"/knowledge/groups/{g.issue.id}/close", data={"resolution": "越权"})
    assert resp.status_code == 404 and db.session.get(CommonIssue, g.issue.id).status == "open"


def test_the_cadre_reads_only_and_links_only_problems_it_may_see(client, login_as, g):
    html = _get(client, login_as, g.cadre, f"/knowledge/groups/{g.issue.id}").get_data(as_text=True)
    assert "data-members" in html and "标准厂房用地指标不足" in html and "厂房用地紧张" in html
    assert f'href="/problems/{g.p1.id}"' in html and f'href="/problems/{g.p2.id}"' not in html
    for form in ("data-progress-form", "data-close-form", "data-edit-form", "data-add-form"):
        assert form not in html
    assert client.post(f"/knowledge/groups/{g.issue.id}/progress", data={"note": "x"}).status_code == 403
    assert client.post(f"/knowledge/groups/{g.issue.id}/close", data={"resolution": "x"}).status_code == 403


def test_the_lead_departments_handler_posts_progress_but_does_not_close(client, login_as, g):
    html = _get(client, login_as, g.handler, f"/knowledge/groups/{g.issue.id}").get_data(as_text=True)
    assert "data-progress-form" in html and "data-close-form" not in html
    assert f'href="/problems/{g.p2.id}"' in html and f'href="/problems/{g.p1.id}"' not in html
    resp = client.post(f"/knowledge/groups/{g.issue.id}/progress", data={"note": "已梳理可调剂地块"})
    assert resp.status_code == 302
    assert db.session.scalar(select(CommonIssueEvent.note).where(CommonIssueEvent.action == "progress")) == (
        "已梳理可调剂地块"
    )
    version = str(g.issue.version)
    assert (
        client.post(
            f"/knowledge/groups/{g.issue.id}/close", data={"resolution": "x", "version": version}
        ).status_code
        == 403
    )
    assert db.session.get(CommonIssue, g.issue.id).status == "open"


def test_a_leader_who_does_not_lead_reads_but_posts_nothing(client, login_as, g):
    html = _get(client, login_as, g.leader, f"/knowledge/groups/{g.issue.id}").get_data(as_text=True)
    assert "data-progress-form" not in html and "data-close-form" not in html
    assert client.post(f"/knowledge/groups/{g.issue.id}/progress", data={"note": "x"}).status_code == 403


def test_the_office_closes_and_each_member_waits_for_its_evaluation(client, login_as, g):
    login_as(g.officer)
    html = client.get(f"/knowledge/groups/{g.issue.id}").get_data(as_text=True)
    assert "data-close-form" in html and "data-edit-form" in html and 'name="member_version"' in html
    resp = client.post(
        f"/knowledge/groups/{g.issue.id}/close",
        data={
            "resolution": "已调剂工业用地指标",
            "version": str(g.issue.version),
            "member_version": [f"{p.id}:{p.version}" for p in (g.p1, g.p2, g.p3)],
        },
        follow_redirects=True,
    )
    assert "3个问题转为已办结" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert {p.status for p in (g.p1, g.p2, g.p3)} == {"resolved"}
    page = _get(client, login_as, g.cadre, f"/problems/{g.p1.id}").get_data(as_text=True)
    assert (
        f'data-common-issue="{g.issue.id}"' in page
        and "用地保障专班" in page
        and "已调剂工业用地指标" in page
    )
    assert 'data-action="evaluate"' in page and 'data-action="group_resolve"' not in page


def test_a_member_page_never_offers_the_group_step(client, login_as, g):
    page = _get(client, login_as, g.officer, f"/problems/{g.p1.id}").get_data(as_text=True)
    assert f'data-common-issue="{g.issue.id}"' in page and 'data-action="dispatch"' in page
    assert 'data-action="group_resolve"' not in page
    resp = client.post(
        f"/problems/{g.p1.id}/group_resolve",
        data={"note": "直接办结", "version": str(g.p1.version)},
        follow_redirects=True,
    )
    assert "只能通过办结该问题所属的共性问题" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert g.p1.status == "new"


def test_confirming_from_the_proposals_and_refusing_a_problem_already_grouped(client, login_as, world):
    w = world
    cadre = make_user("cadre", w.park_a)
    firms = [make_enterprise(w.park_a, cadre=cadre, chain=w.chain, assigned_by=w.officer) for _ in range(3)]
    problems = [
        make_problem(f, cadre, "new", title=f"用地审批慢{i}", category="land") for i, f in enumerate(firms)
    ]
    db.session.commit()
    login_as(w.officer)
    html = client.get("/knowledge/groups/").get_data(as_text=True)
    assert "data-proposal=" in html and all(f'value="{p.id}"' in html for p in problems)
    assert "用地保障专班" in html  # the suggested 专班 name
    assert "data-proposal=" not in _get(client, login_as, w.officer_b, "/knowledge/groups/").get_data(
        as_text=True
    )
    login_as(w.officer)
    data = _team(w) | {"problem_ids": [str(p.id) for p in problems]}
    resp = client.post("/knowledge/groups/confirm", data=data)
    issue = db.session.scalar(select(CommonIssue))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/knowledge/groups/{issue.id}")
    again = client.post("/knowledge/groups/confirm", data=data, follow_redirects=True).get_data(as_text=True)
    assert f"#{problems[0].id}" in again and "已属于共性问题" in again
    assert db.session.scalar(select(func.count(CommonIssue.id))) == 1


@pytest.mark.parametrize(
    "over, message",
    [
        ({"problem_ids": ["abc"]}, "编号“abc”无效"),
        ({"extra_ids": "99999999999999999999"}, "无效"),
        ({"title": "用地\x07问题"}, "控制字符"),
        ({"due_on": "2026-13-45"}, "日期格式不正确"),
        ({"problem_ids": []}, "请选择要纳入共性问题的问题"),
    ],
)
def test_hostile_confirm_input_is_refused_with_a_chinese_message(client, login_as, g, over, message):
    login_as(g.officer)
    data = _team(g) | {"problem_ids": [str(g.p1.id)]} | over
    html = client.post("/knowledge/groups/confirm", data=data, follow_redirects=True).get_data(as_text=True)
    assert message in html
    assert db.session.scalar(select(func.count(CommonIssue.id))) == 1


def test_the_leaders_dashboard_shows_open_groups_overdue_in_red(client, login_as, g):
    html = _get(client, login_as, g.leader, "/").get_data(as_text=True)
    assert "data-common-issue-card" in html and g.issue.title in html and "data-overdue" not in html
    g.issue.due_on = TODAY - timedelta(days=1)
    db.session.commit()
    html = client.get("/?fresh=1").get_data(as_text=True)
    assert "data-overdue" in html and "1 项超期" in html
    officer_home = _get(client, login_as, g.officer, "/").get_data(as_text=True)
    assert "data-common-issue-card" in officer_home


def test_the_list_costs_the_same_queries_for_one_group_or_many(client, login_as, g, count_queries):
    login_as(g.officer)
    client.get("/knowledge/groups/")
    with count_queries() as one:
        assert client.get("/knowledge/groups/?status=all").status_code == 200
    for i in range(5):
        a = make_problem(g.own_firm, g.cadre, "new", title=f"问题甲{i}", category="other")
        b = make_problem(g.other_firm, g.cadre2, "new", title=f"问题乙{i}", category="other")
        confirm_common_issue(g.officer, [a.id, b.id], _team(g, title=f"共性问题{i}"), TODAY)
    db.session.commit()
    with count_queries() as many:
        html = client.get("/knowledge/groups/?status=all").get_data(as_text=True)
    assert html.count("data-group=") == 6
    assert many.count == one.count


def test_the_office_edits_the_team_and_adds_and_removes_members(client, login_as, g):
    login_as(g.officer)
    html = client.get(f"/knowledge/groups/{g.issue.id}").get_data(as_text=True)
    assert f'<option selected value="{g.dept.id}">' in html or f'value="{g.dept.id}" selected' in html
    later = (TODAY + timedelta(days=40)).isoformat()
    data = _team(g, due_on=later, team_name="用地保障工作专班") | {"version": str(g.issue.version)}
    resp = client.post(f"/knowledge/groups/{g.issue.id}/edit", data=data, follow_redirects=True)
    assert "已修改专班" in resp.get_data(as_text=True)
    db.session.expire_all()
    issue = db.session.get(CommonIssue, g.issue.id)
    assert (issue.team_name, issue.due_on.isoformat()) == ("用地保障工作专班", later)
    stale = client.post(f"/knowledge/groups/{g.issue.id}/edit", data=data, follow_redirects=True)
    assert "刚被其他人更新" in stale.get_data(as_text=True)
    extra = make_problem(g.own_firm, g.cadre, "new", title="仓库用地不足", category="land")
    db.session.commit()
    version = str(db.session.get(CommonIssue, g.issue.id).version)
    resp = client.post(
        f"/knowledge/groups/{g.issue.id}/members", data={"problem_ids": str(extra.id), "version": version}
    )
    db.session.expire_all()
    assert resp.status_code == 302 and extra.common_issue_id == g.issue.id
    version = str(db.session.get(CommonIssue, g.issue.id).version)
    resp = client.post(
        f"/knowledge/groups/{g.issue.id}/members/{g.p3.id}/remove",
        data={"note": "经核实为个别原因", "version": version},
        follow_redirects=True,
    )
    assert "移出共性问题" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert g.p3.common_issue_id is None and extra.common_issue_id == g.issue.id
