"""共性问题 and their 专班: confirming a group of open problems of several firms, adding and removing
members, the 专班's progress and changes to the team or the joint deadline. Closing a group (and with
it every open member, 专班办结) is crm.services.knowledge.group_close.

Who: the park office (common_issue.manage, in scope) confirms, edits, adds, removes and closes; the
专班 itself — handlers of the lead department, or the lead leader — and the office post progress
(crm.permissions.knowledge.may_report_progress). A lead handler does not close the group: it reports
that the cause is solved and the office closes, because closing moves every member problem of the
park to 已办结 under the office's name.

Invariants: a problem belongs to at most one group, ever (Problem.common_issue_id; a member of a closed
group stays its member, as its history, and is followed on its own if its firm sends it back for 重办);
a group holds problems of at least MIN_GROUP_FIRMS firms of one park, all still being worked on when
they join. Every change writes a CommonIssueEvent (the group's timeline) and an audit entry, and is
refused as a whole, with a Chinese message naming the problem, when any part of it is wrong.
"""

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import CommonIssue, CommonIssueEvent, Department, Problem, User
from crm.permissions import can, manages_park
from crm.permissions.knowledge import may_report_progress
from crm.services.common.audit import record_audit
from crm.services.common.locking import check_version
from crm.services.common.validators import clean_multiline, clean_text
from crm.services.knowledge.group_notices import notify_cadres, notify_lead
from crm.services.knowledge.group_rules import (
    MIN_GROUP_FIRMS,
    NOTE_MAX,
    fail,
    firm_count,
    main_category,
    member_name,
    members_to_add,
    one_id,
    parse_ids,
    team_fields,
)
from crm.timeutil import utcnow

STALE_ISSUE = "该共性问题刚被其他人更新，请刷新页面查看最新情况后再操作"


def require_manage(actor: User, issue: Optional[CommonIssue] = None) -> None:
    """Refuse anyone but the office in scope (the views answer 403/404 before; this is the gate)."""
    if not can(actor, "common_issue.manage", issue) or (
        issue is not None and not manages_park(actor, issue.park_id)
    ):
        fail("没有权限管理共性问题")


def _require_open(issue: CommonIssue) -> None:
    if issue.status != "open":
        fail("该共性问题已办结，不能再修改")


def add_event(
    issue: CommonIssue,
    actor: Optional[User],
    action: str,
    today: date,
    note: Optional[str] = None,
    data: Optional[dict[str, Any]] = None,
    now: Optional[datetime] = None,
) -> CommonIssueEvent:
    """Append one step to the group's timeline."""
    event = CommonIssueEvent(
        common_issue_id=issue.id,
        actor_id=actor.id if actor else None,
        action=action,
        note=note,
        data=data,
        happened_on=today,
        at=now or utcnow(),
    )
    db.session.add(event)
    return event


def members_of(issue: CommonIssue) -> list[Problem]:
    """The group's member problems with their firms, oldest first."""
    return list(
        db.session.scalars(
            select(Problem)
            .options(joinedload(Problem.enterprise))
            .where(Problem.common_issue_id == issue.id)
            .order_by(Problem.raised_on, Problem.id)
        )
    )


def _member_data(problems: list[Problem]) -> dict[str, Any]:
    return {"problems": [p.id for p in problems], "titles": [p.title for p in problems]}


def _lead_name(issue: CommonIssue) -> str:
    if issue.team_kind == "department":
        dept = db.session.get(Department, issue.department_id) if issue.department_id else None
        return dept.name if dept else "—"
    leader = db.session.get(User, issue.leader_id) if issue.leader_id else None
    return leader.name if leader else "—"


def confirm_common_issue(
    actor: User, problem_ids: Any, data: dict[str, Any], today: date, now: Optional[datetime] = None
) -> CommonIssue:
    """Confirm a 共性问题: problems of at least two firms of one park go to a 专班 with a joint deadline."""
    require_manage(actor)
    ids = parse_ids(problem_ids)
    problems = members_to_add(actor, ids, None)
    park_id = problems[0].enterprise.park_id
    if not manages_park(actor, park_id):
        fail("只能确认本园区的共性问题")
    if firm_count(problems) < MIN_GROUP_FIRMS:
        fail(f"共性问题须涉及至少{MIN_GROUP_FIRMS}家企业，请再选择其他企业的问题")
    title = clean_text(data.get("title"), "共性问题名称", 200, required=True)
    description = clean_multiline(data.get("description"), "问题描述", NOTE_MAX)
    team = team_fields(actor, park_id, data, today)
    chains = {p.enterprise.chain_id for p in problems}
    now = now or utcnow()
    issue = CommonIssue(
        park_id=park_id,
        title=title,
        category=main_category(problems),
        chain_id=chains.pop() if len(chains) == 1 else None,
        description=description,
        status="open",
        confirmed_on=today,
        created_by_id=actor.id,
        created_at=now,
        **team,
    )
    db.session.add(issue)
    db.session.flush()
    for p in problems:
        p.common_issue = issue
        record_audit(
            actor,
            "problem",
            p.id,
            "common_issue",
            f"{member_name(p)}纳入共性问题「{title}」",
            enterprise_id=p.enterprise_id,
            at=now,
        )
    add_event(issue, actor, "confirm", today, description, _member_data(problems), now)
    lead = _lead_name(issue)
    record_audit(
        actor,
        "common_issue",
        issue.id,
        "confirm",
        f"确认共性问题「{title}」：{len(problems)}个问题、{firm_count(problems)}家企业，"
        f"{issue.team_name}（{lead}牵头），联合办结期限 {issue.due_on}",
        at=now,
    )
    db.session.flush()
    body = f"{issue.team_name}（{lead}牵头），联合办结期限 {issue.due_on}，涉及{firm_count(problems)}家企业。"
    notify_lead(issue, f"共性问题交专班办理：{title}", body, f"common_issue:{issue.id}:confirm", now)
    notify_cadres(
        problems, f"您联系企业的问题已纳入共性问题「{title}」", body, f"common_issue:{issue.id}:join", now
    )
    return issue


def add_members(
    actor: User,
    issue: CommonIssue,
    problem_ids: Any,
    today: date,
    version: Any = None,
    now: Optional[datetime] = None,
) -> list[Problem]:
    """Add problems to an open group (all or none)."""
    require_manage(actor, issue)
    check_version(issue, version, STALE_ISSUE)
    _require_open(issue)
    problems = members_to_add(actor, parse_ids(problem_ids), issue.park_id)
    now = now or utcnow()
    for p in problems:
        p.common_issue = issue
        record_audit(
            actor,
            "problem",
            p.id,
            "common_issue",
            f"{member_name(p)}纳入共性问题「{issue.title}」",
            enterprise_id=p.enterprise_id,
            at=now,
        )
    issue.updated_at = now  # the group's version moves: a form opened before sees the new members
    add_event(issue, actor, "add", today, None, _member_data(problems), now)
    record_audit(
        actor, "common_issue", issue.id, "add", f"共性问题「{issue.title}」加入{len(problems)}个问题", at=now
    )
    db.session.flush()
    body = f"{issue.team_name}，联合办结期限 {issue.due_on}。"
    notify_cadres(
        problems,
        f"您联系企业的问题已纳入共性问题「{issue.title}」",
        body,
        f"common_issue:{issue.id}:join",
        now,
    )
    return problems


def remove_member(
    actor: User,
    issue: CommonIssue,
    problem_id: Any,
    note: Any,
    today: date,
    version: Any = None,
    now: Optional[datetime] = None,
) -> Problem:
    """Take a problem out of an open group, with a reason; at least two firms must stay."""
    require_manage(actor, issue)
    check_version(issue, version, STALE_ISSUE)
    _require_open(issue)
    pid = one_id(problem_id)
    members = members_of(issue)
    problem = next((p for p in members if p.id == pid), None)
    if problem is None:
        fail("该问题不属于这个共性问题")
    assert problem is not None
    reason = clean_multiline(note, "移出理由", 500, required=True)
    if firm_count(p for p in members if p.id != problem.id) < MIN_GROUP_FIRMS:
        fail(f"移出后不足{MIN_GROUP_FIRMS}家企业，不再是共性问题；如问题已解决，请办结专班")
    now = now or utcnow()
    problem.common_issue = None
    issue.updated_at = now
    add_event(issue, actor, "remove", today, reason, _member_data([problem]), now)
    record_audit(
        actor,
        "problem",
        problem.id,
        "common_issue",
        f"{member_name(problem)}移出共性问题「{issue.title}」",
        enterprise_id=problem.enterprise_id,
        at=now,
    )
    record_audit(
        actor,
        "common_issue",
        issue.id,
        "remove",
        f"共性问题「{issue.title}」移出{member_name(problem)}",
        at=now,
    )
    db.session.flush()
    return problem


def report_progress(
    actor: User, issue: CommonIssue, note: Any, today: date, now: Optional[datetime] = None
) -> CommonIssueEvent:
    """The 专班's progress (the office, the lead department's handlers, the lead leader)."""
    _require_open(issue)
    if not may_report_progress(actor, issue):
        fail("只有园区管理员和专班牵头方可以报告进展")
    text = clean_multiline(note, "进展情况", NOTE_MAX, required=True)
    now = now or utcnow()
    event = add_event(issue, actor, "progress", today, text, None, now)
    record_audit(actor, "common_issue", issue.id, "progress", f"共性问题「{issue.title}」专班进展", at=now)
    db.session.flush()
    return event


def edit_team(
    actor: User, issue: CommonIssue, data: dict[str, Any], today: date, now: Optional[datetime] = None
) -> dict[str, tuple[Any, Any]]:
    """Change the group's title, 专班, lead or joint deadline; returns the changes (empty: nothing)."""
    require_manage(actor, issue)
    check_version(issue, data.get("version"), STALE_ISSUE)
    _require_open(issue)
    assert issue.park_id is not None, "groups are confirmed within one park"
    new: dict[str, Any] = {"title": clean_text(data.get("title"), "共性问题名称", 200, required=True)}
    # An unchanged deadline may already have passed (an overdue group whose lead changes): keep it.
    if str(data.get("due_on") or "").strip() == issue.due_on.isoformat():
        new |= team_fields(actor, issue.park_id, data | {"due_on": issue.due_on}, min(today, issue.due_on))
    else:
        new |= team_fields(actor, issue.park_id, data, today)
    changes = {k: (getattr(issue, k), v) for k, v in new.items() if getattr(issue, k) != v}
    if not changes:
        return {}
    old_lead = _lead_name(issue)
    now = now or utcnow()
    for key, (_old, value) in changes.items():
        setattr(issue, key, value)
    issue.updated_at = now
    db.session.flush()
    lead = _lead_name(issue)
    lines = []
    if "team_name" in changes:
        lines.append(f"专班：{changes['team_name'][0]} → {issue.team_name}")
    if lead != old_lead:
        lines.append(f"牵头：{old_lead} → {lead}")
    if "due_on" in changes:
        lines.append(f"联合办结期限：{changes['due_on'][0]} → {issue.due_on}")
    if "title" in changes:
        lines.append(f"名称：{changes['title'][0]} → {issue.title}")
    data_out = {
        k: [str(o) if o is not None else None, str(n) if n is not None else None]
        for k, (o, n) in changes.items()
    }
    add_event(issue, actor, "edit", today, "；".join(lines) or None, data_out, now)
    record_audit(actor, "common_issue", issue.id, "edit", f"修改共性问题「{issue.title}」", changes, at=now)
    if lead != old_lead:
        body = f"{issue.team_name}（{lead}牵头），联合办结期限 {issue.due_on}。"
        notify_lead(
            issue,
            f"共性问题交专班办理：{issue.title}",
            body,
            f"common_issue:{issue.id}:lead:{now:%Y%m%d%H%M%S%f}",
            now,
        )
    return changes
