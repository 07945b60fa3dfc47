"""政策申报截止提醒: who is reminded, when, and never twice for the same firm, policy and closing date."""

from datetime import date, timedelta

from sqlalchemy import select

from crm.jobs import JOBS
from crm.models import Notification
from crm.services.policies.delivery import take_step
from crm.services.reminders.policies import policy_window_reminders
from tests.support.dates import TODAY
from tests.support.factories import make_enterprise, make_park, make_user
from tests.support.policies import make_policy


def _world(db):
    park = make_park("A", "甲园区")
    officer = make_user("officer", park)
    cadre, other = make_user("cadre", park, name="王干部"), make_user("cadre", park, name="李干部")
    firms = {
        "open": make_enterprise(park, "未申报企业", cadre=cadre, assigned_by=officer, scale_type="above"),
        "delivered": make_enterprise(
            park, "已送达企业", cadre=other, assigned_by=officer, scale_type="above"
        ),
        "applied": make_enterprise(park, "已申报企业", cadre=cadre, assigned_by=officer, scale_type="above"),
        "ineligible": make_enterprise(
            park, "不符合企业", cadre=cadre, assigned_by=officer, scale_type="above"
        ),
        "no_cadre": make_enterprise(park, "无干部企业", scale_type="above"),
        "below": make_enterprise(park, "规下企业", cadre=cadre, assigned_by=officer, scale_type="below"),
    }
    return park, officer, cadre, other, firms


def notes(db):
    return db.session.scalars(select(Notification).order_by(Notification.user_id, Notification.id)).all()


def test_cadres_of_matched_firms_not_yet_applied_are_reminded_once(db):
    park, officer, cadre, other, firms = _world(db)
    closing = make_policy(
        officer,
        title="稳岗补贴",
        scale_type="above",
        apply_to=TODAY + timedelta(days=10),
        today=date(2026, 10, 1),
    )
    make_policy(officer, title="远期政策", scale_type="above", apply_to=TODAY + timedelta(days=11))
    take_step(other, closing, firms["delivered"], "deliver", TODAY)
    for key in ("applied", "ineligible"):
        take_step(cadre, closing, firms[key], "deliver", TODAY)
    take_step(cadre, closing, firms["applied"], "interest", TODAY)
    take_step(cadre, closing, firms["applied"], "apply", TODAY)
    take_step(cadre, closing, firms["ineligible"], "ineligible", TODAY, reason="已享受同类政策")
    db.session.commit()

    counts = policy_window_reminders(TODAY)
    assert counts == {"policies": 1, "firms": 2, "created": 2}
    got = [(n.user_id, n.enterprise_id, n.kind, n.title) for n in notes(db)]
    assert sorted(got) == sorted(
        [
            (cadre.id, firms["open"].id, "policy_window", "政策申报11月12日截止：稳岗补贴"),
            (other.id, firms["delivered"].id, "policy_window", "政策申报11月12日截止：稳岗补贴"),
        ]
    )
    body = next(n.body for n in notes(db) if n.enterprise_id == firms["open"].id)
    assert body.startswith("未申报企业符合「稳岗补贴」的条件，尚未申报。申报截止日期为2026-11-12（还有10天）")
    # Idempotent: again (as a second scheduler or a re-run would), nothing new.
    assert policy_window_reminders(TODAY)["created"] == 0
    # Three days on, 远期政策 is 8 days from closing: its four 规上 firms with a cadre (none acted on it).
    assert policy_window_reminders(TODAY + timedelta(days=3)) == {"policies": 2, "firms": 6, "created": 4}
    assert policy_window_reminders(TODAY + timedelta(days=3))["created"] == 0
    assert len(notes(db)) == 6


def test_a_moved_deadline_reminds_again_and_a_closed_window_no_more(db):
    park, officer, cadre, other, firms = _world(db)
    policy = make_policy(
        officer, title="技改补助", scale_type="below", apply_to=TODAY, today=date(2026, 10, 1)
    )
    assert policy_window_reminders(TODAY)["created"] == 1
    assert notes(db)[0].title == "政策申报今天截止：技改补助"
    policy.apply_to, policy.valid_to = TODAY + timedelta(days=5), date(2026, 12, 31)
    db.session.flush()
    assert policy_window_reminders(TODAY)["created"] == 1  # a new closing date: a new reminder
    assert policy_window_reminders(TODAY + timedelta(days=6))["created"] == 0  # the window has closed
    policy.remind_days = 3
    policy.apply_to = TODAY + timedelta(days=20)
    db.session.flush()
    assert policy_window_reminders(TODAY + timedelta(days=16))["created"] == 0  # 4 days left, remind at 3
    assert policy_window_reminders(TODAY + timedelta(days=17))["created"] == 1


def test_the_job_is_registered_and_decides_from_today_only():
    job = JOBS["policy_windows"]
    assert (job.func, job.label, job.decides_from is not None) == (
        policy_window_reminders,
        "政策申报截止提醒",
        True,
    )
