"""The work desks: the handler's inbox, the officer's dispatch board, the leaders' escalation view."""

from flask import render_template, request
from flask_login import current_user, login_required

from crm.blueprints.problems.blueprint import bp
from crm.blueprints.problems.helpers import problem_clock_now
from crm.blueprints.problems.routes import dispatch_context, upload_context
from crm.pagination import paginate
from crm.permissions import roles_required
from crm.services.common.args import arg_choice, arg_flag
from crm.services.problems.desks import (
    BOARD_LIMIT,
    escalation_level_counts,
    escalation_query,
    inbox_query,
    inbox_tabs,
    recent_notes,
    unreceived,
)
from crm.services.problems.desks import board as board_data


@bp.route("/inbox")
@login_required
@roles_required("problem.inbox")
def inbox():
    clock = problem_clock_now()
    tabs = inbox_tabs(current_user, clock.today)
    keys = [t.key for t in tabs]
    # Without a known tab, open the first tab with work in it.
    tab = arg_choice(request.args, "tab", keys) or next((t.key for t in tabs if t.count), keys[0])
    page = paginate(inbox_query(current_user, tab, clock.today), per_page=20)
    return render_template("problems/inbox.html", tabs=tabs, tab=tab, page=page, **upload_context())


@bp.route("/board")
@login_required
@roles_required("problem.board")
def board():
    clock = problem_clock_now()
    data = board_data(current_user, clock.today)
    return render_template(
        "problems/board.html",
        board=data,
        limit=BOARD_LIMIT,
        **dispatch_context(data.sections["dispatch"]),
        **upload_context(),
    )


@bp.route("/escalations")
@login_required
@roles_required("problem.escalations")
def escalations():
    clock = problem_clock_now()
    include_closed = arg_flag(request.args, "all")
    page = paginate(escalation_query(current_user, include_closed, clock.today), per_page=20)
    return render_template(
        "problems/escalations.html",
        page=page,
        include_closed=include_closed,
        level_counts=escalation_level_counts(current_user, include_closed),
        notes=recent_notes([p.id for p in page.items]),
        unreceived=unreceived(page.items),
        **upload_context(),
    )
