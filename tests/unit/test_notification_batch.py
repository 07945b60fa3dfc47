"""NotificationBatch: the same once-only guarantee as notify(), written by the chunk."""

from datetime import datetime

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Delivery, Notification, NotificationPref
from crm.services.notifications import batch as notification_batch
from crm.services.notifications.batch import NotificationBatch
from crm.services.notifications.inbox import notify
from tests.support.channel_servers import set_channels
from tests.support.factories import make_park, make_user

NOW = datetime(2026, 11, 2, 1, 0)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_each_key_is_created_once_across_chunks_runs_and_notify(db, monkeypatch):
    monkeypatch.setattr(notification_batch, "CHUNK", 3)  # several chunks in one run
    park = make_park()
    users = [make_user("cadre", park) for _ in range(4)]
    gone = make_user("cadre", park)
    gone.is_active_user = False
    notify(users[0], "visit_due", "已有", dedupe_key="k0", now=NOW)  # created earlier by notify()

    def run() -> int:
        batch = NotificationBatch(NOW)
        for i, user in enumerate(users):
            batch.add(user, "visit_due", f"提醒{i}", dedupe_key=f"k{i}")
            batch.add(user, "visit_due", f"重复{i}", dedupe_key=f"k{i}")  # twice in the same run
        batch.add(gone, "visit_due", "停用账号", dedupe_key="k9")
        return batch.flush()

    assert run() == 3  # k1..k3; k0 existed, duplicates and the deactivated user are skipped
    assert run() == 0  # a second run creates nothing
    assert count(Notification) == 4
    titles = dict(db.session.execute(select(Notification.dedupe_key, Notification.title)).all())
    assert titles == {"k0": "已有", "k1": "提醒1", "k2": "提醒2", "k3": "提醒3"}


def test_deliveries_follow_each_users_choice(db):
    set_channels(email={"enabled": True, "host": "127.0.0.1", "port": 25, "sender": "crm@example.com"})
    park = make_park()
    mail, digest, silent = (make_user("cadre", park) for _ in range(3))
    db.session.add_all(
        [
            NotificationPref(user_id=mail.id, channels=["email"], email="a@example.com", daily_digest=False),
            NotificationPref(user_id=digest.id, channels=["email"], email="b@example.com", daily_digest=True),
        ]
    )
    db.session.flush()
    batch = NotificationBatch(NOW)
    for user in (mail, digest, silent):
        batch.add(user, "problem_deadline", "期限将到", dedupe_key=f"d{user.id}")
    assert batch.flush() == 3
    queued = db.session.scalars(select(Delivery)).all()
    assert [(d.channel, d.status) for d in queued] == [("email", "pending")]  # only the e-mail user
    assert db.session.get(Notification, queued[0].notification_id).user_id == mail.id
