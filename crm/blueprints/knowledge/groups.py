"""共性问题 pages: the list with the system's proposals and the confirm form (the office), a group's
page with its members, timeline, progress, members added or removed, the 专班 edited, and its closing."""

from typing import Optional

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from crm.blueprints.boundary import run_step, saved
from crm.blueprints.knowledge.blueprint import bp
from crm.blueprints.knowledge.group_forms import CloseForm, ConfirmForm, EditForm, MembersForm, NoteForm
from crm.extensions import db
from crm.models import CommonIssue, Park, Problem
from crm.models.problem import PROBLEM_CATEGORIES
from crm.pagination import paginate
from crm.permissions import (
    can,
    is_park_limited,
    manages_park,
    roles_required,
    visible_parks,
    visible_problems,
)
from crm.permissions.knowledge import get_common_issue_or_404, may_report_progress
from crm.services import ServiceError
from crm.services.common.args import arg_choice, arg_flag, arg_id
from crm.services.dashboard.cache import cached_figures
from crm.services.knowledge.common_issues import (
    STALE_ISSUE,
    add_members,
    confirm_common_issue,
    edit_team,
    remove_member,
    report_progress,
)
from crm.services.knowledge.group_close import close_common_issue
from crm.services.knowledge.group_queries import (
    GROUP_FILTERS,
    GroupCard,
    group_card,
    group_events,
    group_list_query,
    group_members,
    group_panel,
    lead_choices,
    lead_label,
    member_figures,
)
from crm.services.knowledge.group_rules import default_due_on, parse_ids
from crm.services.knowledge.proposals import MIN_FIRMS, WINDOW_DAYS, propose_common_issues
from crm.timeutil import today


def _proposal_park() -> Optional[Park]:
    """The park the proposals are for: an officer's own; an admin's pick (?park=), else the first park."""
    parks = list(db.session.scalars(visible_parks(current_user)))
    if is_park_limited(current_user):
        return next((p for p in parks if p.id == current_user.park_id), None)
    wanted = arg_id(request.args, "park")
    return next((p for p in parks if p.id == wanted), parks[0] if parks else None)


@bp.route("/groups/")
@login_required
@roles_required("common_issue.view")
def groups():
    status = arg_choice(request.args, "status", GROUP_FILTERS) or "open"
    page = paginate(group_list_query(current_user, status), per_page=20)
    day = today()
    context = {}
    if can(current_user, "common_issue.manage"):
        park = _proposal_park()
        departments, leaders = lead_choices(current_user, park.id if park else None)
        context = {
            "proposals": propose_common_issues(park.id if park else None, day),
            "proposal_park": park,
            "parks": list(db.session.scalars(visible_parks(current_user)))
            if not is_park_limited(current_user)
            else [],
            "confirm_form": ConfirmForm(formdata=None, due_on=default_due_on(day)).prepare(
                departments, leaders
            ),
            "window_days": WINDOW_DAYS,
            "min_firms": MIN_FIRMS,
        }
    return render_template(
        "knowledge/groups.html",
        page=page,
        status=status,
        filters=GROUP_FILTERS,
        figures=member_figures([g.id for g in page.items]),
        lead_label=lead_label,
        today=day,
        **context,
    )


@bp.route("/groups/confirm", methods=["POST"])
@login_required
@roles_required("common_issue.manage")
def group_confirm():
    form = ConfirmForm()
    form.prepare([], [])
    if not form.validate_on_submit():
        flash(_form_error(form), "danger")
        return redirect(url_for("knowledge.groups"))
    try:
        ids = parse_ids(request.form.getlist("problem_ids")) + parse_ids(form.extra_ids.data or "")
    except ServiceError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("knowledge.groups"))
    data = form.team_data() | {"description": form.description.data}
    step = run_step(
        confirm_common_issue,
        current_user,
        ids,
        data,
        today(),
        success=lambda issue: f"已确认共性问题「{issue.title}」，交{issue.team_name}办理",
    )
    if step:
        return redirect(url_for("knowledge.group", issue_id=step.value.id))
    return redirect(url_for("knowledge.groups"))


def _form_error(form) -> str:
    typed = [error for field in form if field.name != "csrf_token" for error in field.errors]
    return typed[0] if typed else "提交无效，请刷新页面后重试"


@bp.route("/groups/<int:issue_id>")
@login_required
def group(issue_id: int):
    issue = get_common_issue_or_404(issue_id)
    members = group_members(issue)
    ids = [p.id for p in members]
    visible = (
        set(
            db.session.scalars(
                visible_problems(current_user).where(Problem.id.in_(ids)).with_only_columns(Problem.id)
            )
        )
        if ids
        else set()
    )
    manage = can(current_user, "common_issue.manage", issue) and manages_park(current_user, issue.park_id)
    forms = {}
    if manage and issue.status == "open":
        departments, leaders = lead_choices(current_user, issue.park_id)
        edit = EditForm(formdata=None, obj=issue).prepare(departments, leaders)
        edit.version.data = issue.version
        forms = {
            "edit_form": edit,
            "members_form": MembersForm(formdata=None, version=issue.version),
            "close_form": CloseForm(formdata=None, version=issue.version),
            "remove_form": NoteForm(formdata=None, version=issue.version),
        }
    return render_template(
        "knowledge/group.html",
        issue=issue,
        lead=lead_label(issue),
        category=PROBLEM_CATEGORIES.get(issue.category, issue.category),
        members=members,
        firms=len({p.enterprise_id for p in members}),
        visible=visible,
        events=group_events(issue),
        manage=manage,
        progress_form=NoteForm(formdata=None) if may_report_progress(current_user, issue) else None,
        today=today(),
        **forms,
    )


def _back(issue: CommonIssue):
    return redirect(url_for("knowledge.group", issue_id=issue.id))


@bp.route("/groups/<int:issue_id>/progress", methods=["POST"])
@login_required
def group_progress(issue_id: int):
    issue = get_common_issue_or_404(issue_id, "common_issue.progress")
    if issue.status == "open" and not may_report_progress(current_user, issue):
        abort(403)
    form = NoteForm()
    if not form.validate_on_submit():
        flash(_form_error(form), "danger")
        return _back(issue)
    run_step(report_progress, current_user, issue, form.note.data, today(), success="已记录专班进展")
    return _back(issue)


def _managed(issue_id: int) -> CommonIssue:
    issue = get_common_issue_or_404(issue_id, "common_issue.manage")
    if not manages_park(current_user, issue.park_id):
        abort(403)
    return issue


@bp.route("/groups/<int:issue_id>/members", methods=["POST"])
@login_required
def group_add(issue_id: int):
    issue = _managed(issue_id)
    form = MembersForm()
    if not form.validate_on_submit():
        flash(_form_error(form), "danger")
        return _back(issue)
    run_step(
        add_members,
        current_user,
        issue,
        form.problem_ids.data or "",
        today(),
        form.version.data,
        success=lambda added: f"已加入{len(added)}个问题",
        stale=STALE_ISSUE,
    )
    return _back(issue)


@bp.route("/groups/<int:issue_id>/members/<int:problem_id>/remove", methods=["POST"])
@login_required
def group_remove(issue_id: int, problem_id: int):
    issue = _managed(issue_id)
    form = NoteForm()
    if not form.validate_on_submit():
        flash(_form_error(form), "danger")
        return _back(issue)
    run_step(
        remove_member,
        current_user,
        issue,
        problem_id,
        form.note.data,
        today(),
        form.version.data,
        success=lambda p: f"已将「{p.title}」移出共性问题",
        stale=STALE_ISSUE,
    )
    return _back(issue)


@bp.route("/groups/<int:issue_id>/edit", methods=["POST"])
@login_required
def group_edit(issue_id: int):
    issue = _managed(issue_id)
    form = EditForm()
    form.prepare([], [])
    if not form.validate_on_submit():
        flash(_form_error(form), "danger")
        return _back(issue)
    data = form.team_data() | {"version": form.version.data}
    run_step(edit_team, current_user, issue, data, today(), success=saved("已修改专班"), stale=STALE_ISSUE)
    return _back(issue)


@bp.route("/groups/<int:issue_id>/close", methods=["POST"])
@login_required
def group_close(issue_id: int):
    issue = _managed(issue_id)
    form = CloseForm()
    if not form.validate_on_submit():
        flash(_form_error(form), "danger")
        return _back(issue)
    data = {
        "resolution": form.resolution.data,
        "version": form.version.data,
        "member_versions": request.form.getlist("member_version")[:500],
    }
    run_step(
        close_common_issue,
        current_user,
        issue,
        data,
        today(),
        success=lambda moved: f"专班已办结，{len(moved)}个问题转为已办结，待各企业回访评价",
        stale=STALE_ISSUE,
    )
    return _back(issue)


def common_issue_panel(problem: Problem):
    """A member problem's group for its page (template global; nothing for a problem in no group)."""
    if problem.common_issue_id is None or not can(current_user, "common_issue.view"):
        return None
    return group_panel(problem)


def common_issue_card(park_id: Optional[int] = None) -> Optional[GroupCard]:
    """The dashboards' 共性问题 card for the page's park (or the user's own), cached like the rest."""
    if not can(current_user, "common_issue.view") or not can(current_user, "dashboard.officer"):
        return None
    scope = current_user.park_id if is_park_limited(current_user) else park_id
    day = today()
    key = ("common_issue_card", current_user.role, current_user.park_id, scope, day)
    card, _at = cached_figures(
        key, lambda: group_card(current_user, scope, day), fresh=arg_flag(request.args, "fresh")
    )
    return card


bp.add_app_template_global(common_issue_panel, "common_issue_panel")
bp.add_app_template_global(common_issue_card, "common_issue_card")
