"""共性问题 and their 专班: confirming, adding and removing members, progress, editing and closing, with
the rules of who may do what, the all-or-nothing refusals, and the cascade of 专班办结 to every open
member (which still needs its own firm's evaluation before 销号)."""

from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import AuditLog, CommonIssue, CommonIssueEvent, Notification, Problem, ProblemEvent
from crm.reporting.monthly.close import close_month
from crm.services import ServiceError
from crm.services.knowledge.common_issues import (
    add_members,
    confirm_common_issue,
    edit_team,
    remove_member,
    report_progress,
)
from crm.services.knowledge.group_close import close_common_issue
from crm.services.knowledge.group_rules import DEFAULT_DUE_WORKDAYS, default_due_on
from crm.services.problems.flow import apply_action, available_actions
from crm.services.problems.rules import rules_of
from crm.services.workdays.calendar import get_calendar
from tests.support.dates import TODAY
from tests.support.factories import make_chain, make_department, make_enterprise, make_park, make_user
from tests.support.problems import make_problem, step
from tests.unit.test_problem_workflow_declaration import _assert_replays

DUE = date(2026, 11, 30)


@pytest.fixture()
def w(db):
    park = make_park()
    chain = make_chain("装备制造")
    w = SimpleNamespace(park=park, chain=chain)
    w.officer = make_user("officer", park)
    w.admin = make_user("admin")
    w.land = make_department("自然资源局", park)
    w.land_handler = make_user("handler", park, department=w.land)
    w.land_head = make_user("handler", park, department=w.land)
    w.land_head.is_dept_head = True
    w.tax = make_department("税务局")
    w.tax_handler = make_user("handler", park, department=w.tax)
    w.leader = make_user("leader", park)
    w.city_leader = make_user("leader")
    w.other_officer = make_user("officer", make_park())
    w.cadres = [make_user("cadre", park) for _ in range(4)]
    w.firms = [make_enterprise(park, cadre=c, chain=chain, assigned_by=w.officer) for c in w.cadres]
    # One problem per firm in the states a member may be in: 待交办, 已交办, 办理中, 已退回.
    states = ("new", "dispatched", "in_progress", "returned")
    w.problems = [
        make_problem(
            f, c, s, w.land, w.land_handler, w.officer, title=f"标准厂房用地指标不足{i}", category="land"
        )
        for i, (f, c, s) in enumerate(zip(w.firms, w.cadres, states, strict=False))
    ]
    db.session.flush()
    return w


def _team(w, **over):
    data = {
        "title": "装备制造产业链用地指标不足",
        "description": "三家企业扩产缺少标准厂房用地指标",
        "team_name": "用地保障专班",
        "team_kind": "department",
        "department_id": w.land.id,
        "due_on": DUE.isoformat(),
    }
    return data | over


def _confirm(w, problems=None, **over) -> CommonIssue:
    problems = w.problems[:3] if problems is None else problems
    return confirm_common_issue(w.officer, [p.id for p in problems], _team(w, **over), TODAY)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_confirm_makes_a_group_with_its_members_event_audit_and_notices(w):
    db.session.execute(Notification.__table__.delete())  # those of the workflow steps that made the world
    issue = _confirm(w)
    assert (issue.status, issue.park_id, issue.category, issue.chain_id) == (
        "open",
        w.park.id,
        "land",
        w.chain.id,
    )
    assert (issue.team_kind, issue.department_id, issue.due_on, issue.confirmed_on) == (
        "department",
        w.land.id,
        DUE,
        TODAY,
    )
    assert {p.common_issue_id for p in w.problems[:3]} == {issue.id} and w.problems[3].common_issue_id is None
    (event,) = db.session.scalars(
        select(CommonIssueEvent).where(CommonIssueEvent.common_issue_id == issue.id)
    )
    assert event.action == "confirm" and event.data["problems"] == [p.id for p in w.problems[:3]]
    audits = db.session.scalars(
        select(AuditLog.entity_type).where(AuditLog.action.in_(["confirm", "common_issue"]))
    )
    assert sorted(audits) == ["common_issue", "problem", "problem", "problem"]
    notified = set(db.session.scalars(select(Notification.user_id)))
    # The lead department's handlers (its head too) and the members' cadres; not the other department.
    assert notified == {w.land_handler.id, w.land_head.id} | {c.id for c in w.cadres[:3]}


def test_the_default_deadline_is_twenty_working_days(w):
    assert default_due_on(TODAY) == get_calendar().add_workdays(TODAY, DEFAULT_DUE_WORKDAYS)
    assert get_calendar().workdays_between(TODAY, default_due_on(TODAY)) >= DEFAULT_DUE_WORKDAYS - 1


def test_a_leader_may_lead_the_team(w):
    issue = _confirm(w, team_kind="leader", leader_id=w.city_leader.id, department_id="")
    assert (issue.team_kind, issue.leader_id, issue.department_id) == ("leader", w.city_leader.id, None)
    assert db.session.scalar(select(func.count()).where(Notification.user_id == w.city_leader.id)) == 1


def _refused(w, match, problems=None, actor=None, **over):
    before = (_count(CommonIssue), _count(CommonIssueEvent), _count(AuditLog), _count(Notification))
    problems = w.problems[:3] if problems is None else problems
    with pytest.raises(ServiceError, match=match):
        confirm_common_issue(actor or w.officer, [p.id for p in problems], _team(w, **over), TODAY)
    db.session.flush()
    assert (_count(CommonIssue), _count(CommonIssueEvent), _count(AuditLog), _count(Notification)) == before


def test_confirm_needs_two_firms_and_refuses_bad_input_changing_nothing(w):
    twice = make_problem(w.firms[0], w.cadres[0], "new", title="用地指标", category="land")
    _refused(w, "至少2家企业", [w.problems[0], twice])
    _refused(w, "专班名称不能为空", team_name="  ")
    _refused(w, "共性问题名称.*控制字符", title="用地\x00指标")
    _refused(w, "不能早于今天", due_on="2026-11-01")
    _refused(w, "不能超过一年", due_on="2099-01-01")
    _refused(w, "格式不正确", due_on="明天")
    _refused(w, "请选择牵头部门", department_id="99999999999999999999")
    _refused(w, "请选择牵头领导", team_kind="leader", leader_id=w.officer.id)
    _refused(w, "请选择牵头方式", team_kind="boss")
    _refused(w, "请选择牵头部门", department_id=make_department("外园区部门", make_park()).id)
    with pytest.raises(ServiceError, match="编号“abc”无效"):
        confirm_common_issue(w.officer, ["abc"], _team(w), TODAY)
    assert all(p.common_issue_id is None for p in w.problems)


@pytest.mark.parametrize("role", ["cadre", "handler", "leader"])
def test_only_the_office_confirms(w, role):
    actor = {"cadre": w.cadres[0], "handler": w.land_handler, "leader": w.leader}[role]
    _refused(w, "没有权限", actor=actor)


def test_another_parks_officer_cannot_see_the_problems(w):
    _refused(w, "不存在或不在您的管理范围内", actor=w.other_officer)


def test_a_problem_is_never_in_two_groups_and_the_refusal_names_it(w):
    first = _confirm(w)
    taken = w.problems[1]
    others = [w.problems[3], taken]
    _refused(w, f"标准厂房用地指标不足1.*#{taken.id}.*已属于共性问题「{first.title}」", others)
    assert w.problems[3].common_issue_id is None and taken.common_issue_id == first.id


def test_a_resolved_problem_cannot_join(w):
    resolved = make_problem(
        w.firms[3], w.cadres[3], "resolved", w.land, w.land_handler, title="已办结的用地问题"
    )
    _refused(w, f"已办结的用地问题.*#{resolved.id}.*已办结", [w.problems[0], resolved])


def test_add_and_remove_members_with_their_rules(w):
    issue = _confirm(w, problems=w.problems[:2])
    added = add_members(w.officer, issue, str(w.problems[2].id), TODAY, issue.version)
    assert added == [w.problems[2]] and w.problems[2].common_issue_id == issue.id
    with pytest.raises(ServiceError, match="已属于共性问题"):
        add_members(w.officer, issue, [w.problems[2].id], TODAY, issue.version)
    with pytest.raises(ServiceError, match="刚被其他人更新"):
        add_members(w.officer, issue, [w.problems[3].id], TODAY, issue.version - 1)
    with pytest.raises(ServiceError, match="移出理由不能为空"):
        remove_member(w.officer, issue, w.problems[2].id, "", TODAY, issue.version)
    remove_member(w.officer, issue, w.problems[2].id, "经核实系个别原因", TODAY, issue.version)
    assert w.problems[2].common_issue_id is None
    with pytest.raises(ServiceError, match="不足2家企业"):
        remove_member(w.officer, issue, w.problems[1].id, "不属于同一原因", TODAY, issue.version)
    with pytest.raises(ServiceError, match="没有权限"):
        add_members(w.land_handler, issue, [w.problems[3].id], TODAY, issue.version)
    actions = db.session.scalars(
        select(CommonIssueEvent.action)
        .where(CommonIssueEvent.common_issue_id == issue.id)
        .order_by(CommonIssueEvent.id)
    )
    assert list(actions) == ["confirm", "add", "remove"]


def test_progress_by_the_office_and_the_lead_only(w):
    issue = _confirm(w)
    report_progress(w.officer, issue, "已召开专班会议", TODAY)
    report_progress(w.land_handler, issue, "已梳理可用地块", TODAY)
    for outsider in (w.tax_handler, w.cadres[0], w.leader):
        with pytest.raises(ServiceError, match="只有园区管理员和专班牵头方"):
            report_progress(outsider, issue, "越权进展", TODAY)
    led = _confirm(
        w,
        problems=[w.problems[3], make_problem(w.firms[0], w.cadres[0], "new", category="land")],
        team_kind="leader",
        leader_id=w.leader.id,
    )
    report_progress(w.leader, led, "分管领导已协调", TODAY)
    with pytest.raises(ServiceError, match="进展情况不能为空"):
        report_progress(w.officer, issue, "  ", TODAY)


def test_edit_changes_the_lead_and_deadline_with_event_audit_and_notice(w):
    issue = _confirm(w)
    data = _team(w, team_kind="leader", leader_id=w.leader.id, due_on="2026-12-15", version=issue.version)
    changes = edit_team(w.officer, issue, data, TODAY)
    assert set(changes) == {"team_kind", "department_id", "leader_id", "due_on"}
    assert (issue.team_kind, issue.leader_id, issue.due_on) == ("leader", w.leader.id, date(2026, 12, 15))
    event = db.session.scalar(select(CommonIssueEvent).where(CommonIssueEvent.action == "edit"))
    assert "牵头：自然资源局 → " in event.note and "2026-11-30 → 2026-12-15" in event.note
    audit = db.session.scalar(
        select(AuditLog).where(AuditLog.entity_type == "common_issue", AuditLog.action == "edit")
    )
    assert audit.changes["due_on"] == ["2026-11-30", "2026-12-15"]
    assert db.session.scalar(select(func.count()).where(Notification.user_id == w.leader.id)) == 1
    same = _team(w, team_kind="leader", leader_id=w.leader.id, due_on="2026-12-15", version=issue.version)
    assert edit_team(w.officer, issue, same, TODAY) == {}


def _events(problem: Problem) -> list[str]:
    return list(
        db.session.scalars(
            select(ProblemEvent.action).where(ProblemEvent.problem_id == problem.id).order_by(ProblemEvent.id)
        )
    )


def test_closing_the_group_resolves_every_open_member_but_leaves_the_evaluation(w):
    resolved = make_problem(w.firms[0], w.cadres[0], "in_progress", w.land, w.land_handler, category="land")
    issue = _confirm(w, problems=w.problems + [resolved])
    step(resolved, "resolve", w.land_handler, note="部门已单独办结")
    with pytest.raises(ServiceError, match="没有权限"):  # the lead department reports, the office closes
        close_common_issue(w.land_handler, issue, {"resolution": "已调剂用地指标"}, TODAY)
    with pytest.raises(ServiceError, match="办结情况不能为空"):
        close_common_issue(w.officer, issue, {"resolution": " "}, TODAY)
    moved = close_common_issue(
        w.officer, issue, {"resolution": "已调剂用地指标", "version": issue.version}, TODAY
    )
    assert moved == w.problems and issue.status == "closed" and issue.closed_on == TODAY
    for p in w.problems:
        assert (p.status, p.resolution, p.resolved_on, p.closed_on) == (
            "resolved",
            "已调剂用地指标",
            TODAY,
            None,
        )
        assert _events(p)[-1] == "group_resolve"
    assert _events(resolved)[-1] == "resolve" and resolved.resolution == "部门已单独办结"
    close = db.session.scalar(select(CommonIssueEvent).where(CommonIssueEvent.action == "close"))
    assert close.data == {"resolved": [p.id for p in w.problems], "kept": [resolved.id]}
    cadre_notes = db.session.scalars(select(Notification.title).where(Notification.user_id == w.cadres[1].id))
    assert any("请回访企业评价" in t for t in cadre_notes)
    # 销号 still needs the firm's evaluation: satisfied closes it.
    step(w.problems[0], "evaluate", w.cadres[0], evaluation="satisfied")
    assert w.problems[0].status == "closed"
    with pytest.raises(ServiceError, match="已办结"):
        report_progress(w.officer, issue, "再报进展", TODAY)


def test_an_unsatisfied_firm_sends_a_member_back_even_without_a_department(w):
    issue = _confirm(w)
    close_common_issue(w.officer, issue, {"resolution": "已调剂用地指标"}, TODAY)
    new_member, dispatched = w.problems[0], w.problems[1]
    assert new_member.department_id is None
    step(new_member, "evaluate", w.cadres[0], evaluation="unsatisfied", note="仍无用地")
    assert (new_member.status, new_member.redo_count) == ("new", 1)  # back to the office's 待交办
    step(dispatched, "evaluate", w.cadres[1], evaluation="unsatisfied", note="仍无用地")
    assert (dispatched.status, dispatched.department_id) == (
        "in_progress",
        w.land.id,
    )  # 重办 by its department
    assert new_member.common_issue_id == issue.id  # it stays in its (closed) group's history
    # A member of a closed group is not grouped again.
    with pytest.raises(ServiceError, match="已属于共性问题"):
        confirm_common_issue(w.officer, [new_member.id, w.problems[3].id], _team(w), TODAY)


def _state(w) -> list:
    return [(p.status, p.resolution, p.version) for p in w.problems]


def test_a_member_that_cannot_move_leaves_everything_unchanged(w):
    issue = _confirm(w)
    before, events = _state(w), _count(ProblemEvent)
    stale = [f"{p.id}:{p.version}" for p in w.problems[:2]] + [
        f"{w.problems[2].id}:{w.problems[2].version - 1}"
    ]
    with pytest.raises(ServiceError, match=f"#{w.problems[2].id}.*刚被其他人更新.*所有问题均未改变"):
        close_common_issue(w.officer, issue, {"resolution": "已解决", "member_versions": stale}, TODAY)
    db.session.flush()
    assert issue.status == "open" and issue.resolution is None and _state(w) == before
    assert _count(ProblemEvent) == events and _count(CommonIssueEvent) == 1


def test_a_closed_month_refuses_the_closure(w):
    issue = _confirm(w)
    october = date(2026, 10, 30)
    close_month("2026-10", w.admin, TODAY)
    before = _state(w)
    with pytest.raises(ServiceError, match="2026年10月已月结"):
        close_common_issue(w.officer, issue, {"resolution": "已解决"}, october)
    assert issue.status == "open" and _state(w) == before


def test_the_step_is_never_offered_nor_taken_outside_the_group(w):
    issue = _confirm(w)
    p = w.problems[2]
    cal = get_calendar()
    assert "group_resolve" not in available_actions(w.officer, p, TODAY, rules_of(p), cal)
    with pytest.raises(ServiceError, match="只能通过办结该问题所属的共性问题"):
        apply_action(
            p, "group_resolve", w.officer, {"note": "直接办结", "common_issue_id": issue.id}, today=TODAY
        )
    assert p.status == "in_progress"


def test_group_resolution_is_replayed_at_month_end(w):
    issue = _confirm(w)
    close_common_issue(w.officer, issue, {"resolution": "已调剂用地指标"}, TODAY)
    db.session.flush()
    for p in w.problems[:3]:
        _assert_replays(p, f"group_resolve from {p.id}")
