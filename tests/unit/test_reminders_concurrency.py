"""Two job runs at the same moment, each in its own thread, app context and database connection:
the unique key in the database makes them create every reminder exactly once (SQLite and PostgreSQL)."""

import threading
from collections import Counter

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Notification
from crm.services.notifications.inbox import notify
from crm.services.reminders.scheduled import (
    problem_deadline_reminders,
    visit_reminders,
    weekly_overdue_list,
)
from tests.support.dates import TODAY
from tests.support.reminders import make_reminder_world


def _in_threads(app, target, n: int = 2) -> list:
    """Run target() in n threads released together; each commits its own transaction."""
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results.append(target())
                db.session.commit()
            except Exception as exc:  # reported below: a thread's failure must fail the test
                db.session.rollback()
                errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    return results


def _duplicates() -> list:
    rows = db.session.execute(select(Notification.user_id, Notification.dedupe_key)).all()
    return [key for key, n in Counter(rows).items() if n > 1]


def test_parallel_runs_create_each_reminder_once(app, db):
    make_reminder_world()

    def all_reminders():
        made = visit_reminders(TODAY)["created"]
        made += problem_deadline_reminders(TODAY)["created"]
        return made + weekly_overdue_list(TODAY)["created"]

    results = _in_threads(app, all_reminders)
    db.session.rollback()
    count = db.session.scalar(select(func.count(Notification.id)))
    assert _duplicates() == []
    assert count == 5 + 8 + 2  # visits, problem deadlines, the weekly list (see test_reminders)
    assert sum(results) == count  # the runs split the work; neither created a copy


def test_many_threads_racing_on_one_key(app, db):
    w = make_reminder_world()

    def one():
        return notify(db.session.merge(w.cadre), "system", "同一条提醒", dedupe_key="race:1")

    results = _in_threads(app, one, n=4)
    db.session.rollback()
    assert sum(1 for r in results if r is not None) == 1
    assert db.session.scalar(select(func.count(Notification.id))) == 1
