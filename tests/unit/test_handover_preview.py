"""Before a handover runs, the officer sees what it moves (firms, their due dates now and after, open
problems with their deadlines, the reminders it settles); the handover runs only on what they saw."""

from datetime import date

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Assignment, Handover, Notification
from crm.services import ServiceError
from crm.services.assignments.operations import handover_caseload
from crm.services.notifications.inbox import notify
from crm.services.reminders.scheduled import visit_reminders
from crm.services.visits.coverage import my_firms
from crm.services.visits.handover import preview_handover
from tests.support.dates import TODAY
from tests.support.factories import make_department, make_enterprise, make_park, make_user
from tests.support.problems import make_problem
from tests.support.visits import make_visit


@pytest.fixture()
def w(db):
    park = make_park()
    officer = make_user("officer", park)
    old, new = make_user("cadre", park), make_user("cadre", park)
    dept = make_department(park=None)
    # Assigned in August: the last on-site visit in September, so on 2026-11-02 上门 is overdue (October
    # had none); the other firm was visited last week.
    late = make_enterprise(
        park, "湘潭逾期企业有限公司", cadre=old, assigned_by=officer, today=date(2026, 8, 3)
    )
    fine = make_enterprise(
        park, "湘潭正常企业有限公司", cadre=old, assigned_by=officer, today=date(2026, 8, 3)
    )
    make_visit(late, old, date(2026, 9, 15))
    make_visit(fine, old, date(2026, 10, 28))
    problem = make_problem(late, old, "in_progress", dept)
    db.session.flush()
    return park, officer, old, new, late, fine, problem


def test_preview_lists_firms_due_dates_and_open_problems_and_writes_nothing(w):
    park, officer, old, new, late, fine, problem = w
    preview = preview_handover(old, new, officer, TODAY, "retire", "正常退休", first_visit_days=15)
    assert {row.firm_id for row in preview.firms} == {late.id, fine.id}
    by_firm = {row.firm_id: row for row in preview.firms}
    assert by_firm[late.id].onsite.status == "overdue" and preview.overdue_firms == 1
    assert preview.first_visit_due_on == date(2026, 11, 17)
    # Both are due on site by the handover's date: sooner than the end of November.
    assert preview.successor_due(by_firm[late.id]) == date(2026, 11, 17)
    assert preview.successor_due(by_firm[fine.id]) == date(2026, 11, 17)
    assert [p.id for p in preview.problems] == [problem.id]
    assert preview.problems_of(late.id) == [problem] and preview.problems_of(fine.id) == []
    assert problem.due_on is not None  # the deadline the page shows
    assert preview.token
    # Nothing moved.
    assert db.session.scalar(select(func.count(Handover.id))) == 0
    assert late.cadre == old and fine.cadre == old


def test_preview_refuses_what_the_handover_refuses(w):
    _park, officer, old, new, *_ = w
    with pytest.raises(ServiceError, match="交接原因"):
        preview_handover(old, new, officer, TODAY, "bogus")
    with pytest.raises(ServiceError, match="同一人"):
        preview_handover(old, old, officer, TODAY, "leave")
    with pytest.raises(ServiceError, match="没有联系企业"):
        preview_handover(new, old, officer, TODAY, "leave")


def test_the_handover_runs_only_on_what_was_previewed(w):
    park, officer, old, new, late, fine, problem = w
    preview = preview_handover(old, new, officer, TODAY, "retire")
    extra = make_enterprise(park, "湘潭后来企业有限公司", cadre=old, assigned_by=officer)
    db.session.flush()
    with pytest.raises(ServiceError, match="预览后有变化"):
        handover_caseload(old, new, officer, TODAY, "retire", confirms=preview.token)
    # Another reason than the one previewed is refused as well.
    again = preview_handover(old, new, officer, TODAY, "retire")
    with pytest.raises(ServiceError, match="预览后有变化"):
        handover_caseload(old, new, officer, TODAY, "leave", confirms=again.token)
    assert db.session.scalar(select(func.count(Handover.id))) == 0
    done = handover_caseload(old, new, officer, TODAY, "retire", confirms=again.token)
    moved = db.session.scalars(
        select(Assignment.enterprise_id).where(Assignment.handover_id == done.id)
    ).all()
    assert sorted(moved) == sorted([late.id, fine.id, extra.id])


def test_the_handover_settles_the_predecessors_reminders(w):
    park, officer, old, new, late, fine, problem = w
    visit_reminders(TODAY)
    notify(old, "system", "系统消息", dedupe_key="unrelated")
    mine = db.session.scalars(select(Notification).where(Notification.user_id == old.id)).all()
    reminders = [n for n in mine if n.kind == "visit_due"]
    assert reminders, "the overdue on-site visit was reminded"
    preview = preview_handover(old, new, officer, TODAY, "post_change")
    assert preview.reminders == len(reminders)
    handover_caseload(old, new, officer, TODAY, "post_change", confirms=preview.token)
    db.session.expire_all()
    for n in reminders:
        assert n.is_done and n.is_read and n.done_note == f"企业已交接给 {new.name}（2026-11-02）"
    other = db.session.scalar(select(Notification).where(Notification.dedupe_key == "unrelated"))
    assert not other.is_done and not other.is_read


def test_the_successors_card_shows_the_handover_date_not_overdue(w):
    park, officer, old, new, late, fine, problem = w
    handover_caseload(old, new, officer, TODAY, "retire", first_visit_days=15)
    rows = {r.firm_id: r for r in my_firms(new, TODAY)}
    onsite = rows[late.id].onsite
    assert (onsite.status, onsite.due_on) == ("ok", date(2026, 11, 17))
    assert not rows[late.id].is_overdue and rows[late.id].first_visit_pending
    # A contact the predecessor had missed (last one in September) is due a week after the handover.
    contact = rows[late.id].contact
    assert (contact.status, contact.due_on) == ("ok", date(2026, 11, 9))
    # Past the handover's date without a visit, it is overdue again.
    later = {r.firm_id: r for r in my_firms(new, date(2026, 11, 18))}
    assert later[late.id].onsite.status == "overdue"
