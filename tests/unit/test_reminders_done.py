"""A reminder is done once its cause is resolved: the visit that answers 联系已逾期 is logged, the step that
meets a deadline is taken. It leaves the bell (read) with what settled it; unrelated ones stay."""

from datetime import date

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Notification
from crm.services.notifications.inbox import unread_count
from crm.services.problems.flow import apply_action
from crm.services.reminders.scheduled import problem_deadline_reminders, visit_reminders
from crm.services.visits.records import log_visit, update_visit
from tests.support.dates import TODAY
from tests.support.reminders import dispatch, make_reminder_world, new_problem


@pytest.fixture()
def w(db):
    return make_reminder_world()


def reminders_of(firm, which):
    return db.session.scalars(
        select(Notification)
        .where(Notification.enterprise_id == firm.id, Notification.dedupe_key.like(f"visit:{which}:%"))
        .order_by(Notification.id)
    ).all()


def test_a_phone_call_settles_the_contact_reminder_and_not_the_on_site_one(w):
    visit_reminders(TODAY)
    [contact] = reminders_of(w.late, "contact")
    [onsite] = reminders_of(w.late, "onsite")
    assert contact.title.startswith("联系已逾期") and not contact.is_read
    before = unread_count(w.cadre)
    log_visit(
        w.late, w.cadre, {"visited_on": TODAY.isoformat(), "kind": "phone", "summary": "电话了解生产"}, TODAY
    )
    db.session.expire_all()
    assert contact.is_done and contact.is_read and contact.done_note == "已于 2026-11-02 登记走访（电话）"
    assert not onsite.is_done and not onsite.is_read
    assert unread_count(w.cadre) == before - 1
    # The on-site visit settles the rest.
    log_visit(
        w.late, w.cadre, {"visited_on": TODAY.isoformat(), "kind": "onsite", "summary": "上门走访"}, TODAY
    )
    db.session.expire_all()
    assert onsite.is_done and onsite.done_note == "已于 2026-11-02 登记走访（上门走访）"


def test_a_due_soon_reminder_is_settled_and_an_old_visit_settles_nothing(w):
    visit_reminders(TODAY)
    [soon] = reminders_of(w.soon, "contact")  # due 11-03 (last contact 10-27)
    assert "即将到期" in soon.title
    # A visit logged late but dated before the last contact moves nothing: the reminder stays.
    log_visit(w.soon, w.cadre, {"visited_on": "2026-10-20", "kind": "phone", "summary": "补录"}, TODAY)
    db.session.expire_all()
    assert not soon.is_done
    log_visit(w.soon, w.cadre, {"visited_on": "2026-11-01", "kind": "online", "summary": "线上沟通"}, TODAY)
    db.session.expire_all()
    assert soon.is_done


def test_a_never_visited_firm_is_settled_by_its_first_visit(w):
    visit_reminders(TODAY)
    reminders = reminders_of(w.never, "contact") + reminders_of(w.never, "onsite")
    assert len(reminders) == 2
    log_visit(
        w.never, w.cadre2, {"visited_on": TODAY.isoformat(), "kind": "onsite", "summary": "首次走访"}, TODAY
    )
    db.session.expire_all()
    assert all(n.is_done for n in reminders)


def test_correcting_a_visits_kind_to_on_site_settles_the_on_site_reminder(w):
    visit_reminders(TODAY)
    [onsite] = reminders_of(w.late, "onsite")
    visit = log_visit(
        w.late, w.cadre, {"visited_on": TODAY.isoformat(), "kind": "phone", "summary": "见面"}, TODAY
    )
    db.session.expire_all()
    assert not onsite.is_done
    update_visit(visit, w.cadre, {"kind": "onsite", "version": visit.version}, TODAY)
    db.session.expire_all()
    assert onsite.is_done


def test_signing_settles_the_sign_reminder_and_not_the_later_deadlines(w):
    problem = new_problem(w.fine, w.cadre, "用电增容", raised_on=date(2026, 10, 20))
    dispatch(problem, w.officer, w.dept, date(2026, 10, 26))  # sign due 10-27, feedback 10-29: both red
    problem_deadline_reminders(TODAY)
    keys = {
        n.dedupe_key: n
        for n in db.session.scalars(
            select(Notification).where(
                Notification.problem_id == problem.id, Notification.kind == "problem_deadline"
            )
        )
    }
    sign = keys[f"problem:{problem.id}:deadline:2026-10-27:red"]
    feedback = keys[f"problem:{problem.id}:deadline:2026-10-29:red"]
    apply_action(problem, "accept", w.h1, {}, today=TODAY)
    db.session.expire_all()
    assert sign.is_done and sign.is_read and sign.done_note == "已签收（2026-11-02）"
    assert not feedback.is_done
    apply_action(problem, "feedback", w.h1, {"note": "已联系供电公司"}, today=TODAY)
    db.session.expire_all()
    assert feedback.is_done and feedback.done_note == "已首次反馈（2026-11-02）"
