"""企业之声 over a month: the reproducible 回访抽查 sample and its calls, the reminder to call a firm that has
not rated, the figures (企业自评率, 满意率 by who gave it, 撤单 and 质检, 回访抽查) on the dashboards and in
the monthly workbook."""

from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from crm.extensions import db
from crm.models import CallbackCheck, CallbackDraw, Notification, PortalSetting
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.writer import monthly_workbook
from crm.services import ServiceError
from crm.services.portal.callbacks import (
    closed_in_month,
    draw_callbacks,
    draw_sample,
    month_bounds,
    monthly_callbacks,
    record_callback,
    sample_size,
)
from crm.services.portal.codes import issue_service_code
from crm.services.portal.figures import firm_voice_figures
from crm.services.portal.firm_steps import answer_withdrawal, rate_problem
from crm.services.portal.submissions import submit_problem
from crm.services.reminders.firm_rating import rating_reminders
from tests.support.dates import TODAY
from tests.support.factories import make_enterprise, make_park, make_user
from tests.support.problems import make_problem, problem_world, step

OCT = date(2026, 10, 15)


@pytest.fixture()
def w(db):
    return problem_world()


def _closed(w, n: int, on: date = OCT, firm=None) -> list[int]:
    return [
        make_problem(firm or w.firm, w.cadre, "closed", w.dept, w.handler, w.officer, raised_on=on, on=on).id
        for _ in range(n)
    ]


# --- 回访抽查 ---


@pytest.mark.parametrize(
    "population, percent, minimum, size",
    [(25, 10, 1, 3), (5, 10, 1, 1), (3, 10, 5, 3), (0, 10, 1, 0), (40, 25, 1, 10)],
)
def test_the_sample_size_is_a_rounded_up_share_at_least_the_minimum(population, percent, minimum, size):
    assert sample_size(population, percent, minimum) == size


def test_the_sample_is_seeded_by_month_and_park():
    ids = list(range(100, 140))
    first = draw_sample(ids, "2026-10", 7, 4)
    assert first == draw_sample(list(reversed(ids)), "2026-10", 7, 4)  # the same, however the ids come
    assert len(set(first)) == 4 and set(first) <= set(ids)
    others = {tuple(draw_sample(ids, "2026-09", 7, 4)), tuple(draw_sample(ids, "2026-10", 8, 4))}
    assert tuple(first) not in others


def test_a_months_sample_is_drawn_once_and_stored(w):
    ids = _closed(w, 25)
    withdrawn = make_problem(
        w.firm, w.cadre, "withdrawn", w.dept, w.handler, w.officer, raised_on=OCT, on=OCT
    )
    assert withdrawn.id not in closed_in_month(w.park.id, "2026-10") == ids  # a 撤单 is not a 销号
    draw = draw_callbacks(w.park, "2026-10", TODAY)
    chosen = [c.problem_id for c in draw.checks]
    assert (draw.population, draw.percent, draw.minimum, len(chosen)) == (25, 10, 1, 3)
    assert chosen == draw_sample(ids, "2026-10", w.park.id, 3)
    # Stored: new settings and another run change nothing.
    db.session.add(
        PortalSetting(park_id=w.park.id, callback_percent=50, callback_min=1, rating_reminder_days=5)
    )
    again = draw_callbacks(w.park, "2026-10", TODAY, w.officer)
    assert again.id == draw.id and [c.problem_id for c in again.checks] == chosen
    # Drawn afresh (as on another copy of the same data), the same problems come out.
    db.session.query(CallbackCheck).delete()
    db.session.query(CallbackDraw).delete()
    db.session.query(PortalSetting).delete()
    assert [c.problem_id for c in draw_callbacks(w.park, "2026-10", TODAY).checks] == chosen


def test_the_park_setting_decides_the_share(w):
    _closed(w, 8)
    db.session.add(
        PortalSetting(park_id=w.park.id, callback_percent=50, callback_min=1, rating_reminder_days=5)
    )
    assert len(draw_callbacks(w.park, "2026-10", TODAY).checks) == 4


def test_only_finished_months_are_drawn_and_only_by_the_park(w):
    with pytest.raises(ServiceError, match="已结束月份"):
        draw_callbacks(w.park, "2026-11", TODAY)
    other_officer = make_user("officer", make_park())
    with pytest.raises(ServiceError, match="没有"):
        draw_callbacks(w.park, "2026-10", TODAY, other_officer)


def test_the_monthly_job_draws_every_park_and_tells_its_officers_once(w):
    _closed(w, 12)
    second = make_park()
    make_user("officer", second)
    counts = monthly_callbacks(TODAY)
    assert counts == {"parks": 2, "created": 2}
    assert monthly_callbacks(TODAY) == {"parks": 2, "created": 2}  # the same stored sample, no new rows
    assert db.session.query(CallbackDraw).count() == 2 and db.session.query(CallbackCheck).count() == 2
    notes = db.session.scalars(select(Notification).where(Notification.user_id == w.officer.id)).all()
    assert [n.title for n in notes if "回访抽查" in n.title] == ["2026-10回访抽查名单已生成：2件待回访"]


def test_recording_a_call(w):
    _closed(w, 1)
    check = draw_callbacks(w.park, "2026-10", TODAY).checks[0]
    with pytest.raises(ServiceError, match="请选择企业是否确认"):
        record_callback(check, w.officer, {"status": "reached", "version": check.version}, TODAY)
    with pytest.raises(ServiceError, match="请填写回访说明"):
        record_callback(
            check,
            w.officer,
            {"status": "reached", "confirmed": "no", "satisfaction": "basic", "version": check.version},
            TODAY,
        )
    with pytest.raises(ServiceError, match="没有"):
        record_callback(check, w.cadre, {"status": "unreachable", "version": check.version}, TODAY)
    record_callback(
        check,
        w.officer,
        {
            "status": "reached",
            "confirmed": "no",
            "satisfaction": "unsatisfied",
            "note": "仍然跳闸",
            "version": 1,
        },
        TODAY,
    )
    assert (check.status, check.confirmed, check.satisfaction, check.called_by_id) == (
        "reached",
        False,
        "unsatisfied",
        w.officer.id,
    )
    warned = db.session.scalars(
        select(Notification.user_id).where(Notification.title.like("回访抽查：%"))
    ).all()
    assert warned == [w.cadre.id]  # the firm's cadre hears that the firm disowns the result
    with pytest.raises(ServiceError, match="刚被其他人更新"):
        record_callback(check, w.officer, {"status": "unreachable", "version": 1}, TODAY)


# --- the reminder to call for a rating ---


def test_five_working_days_without_the_firms_rating_remind_the_cadre_once(w):
    due = make_problem(w.firm, w.cadre, "resolved", w.dept, w.handler, w.officer, on=date(2026, 10, 26))
    make_problem(w.firm, w.cadre, "resolved", w.dept, w.handler, w.officer, on=date(2026, 10, 27))  # 4 days
    rated = make_problem(w.firm, w.cadre, "closed", w.dept, w.handler, w.officer, on=date(2026, 10, 20))
    assert rating_reminders(TODAY) == {"problems": 1, "created": 1}
    assert rating_reminders(TODAY) == {"problems": 1, "created": 0}  # idempotent
    note = db.session.scalar(select(Notification).where(Notification.title.like("请回访企业%")))
    assert (note.user_id, note.problem_id) == (w.cadre.id, due.id) and "办结5个工作日" in note.title
    assert rated.status == "closed"


def test_the_park_may_wait_longer_and_a_firm_without_cadre_reminds_its_officers(w):
    db.session.add(
        PortalSetting(park_id=w.park.id, callback_percent=10, callback_min=1, rating_reminder_days=10)
    )
    make_problem(w.firm, w.cadre, "resolved", w.dept, w.handler, w.officer, on=date(2026, 10, 26))
    assert rating_reminders(TODAY)["created"] == 0
    orphan = make_enterprise(make_park())
    officer = make_user("officer", orphan.park)
    make_problem(orphan, officer, "resolved", w.dept, w.handler, officer, on=date(2026, 10, 20))
    assert rating_reminders(TODAY)["created"] == 1
    assert (
        db.session.scalar(select(Notification.user_id).where(Notification.title.like("请回访企业%")))
        == officer.id
    )


# --- the figures, on the dashboards and in the workbook ---


def _month_of_voices(w):
    """November so far in the world's park: what the figures must count."""
    code = issue_service_code(w.firm, w.officer)
    nov = date(2026, 11, 2)
    submit_problem(code, _form("停电"), (), "10.0.0.1", nov)
    submit_problem(code, _form("招工"), (), "10.0.0.1", nov)
    firm_rated = make_problem(w.firm, w.cadre, "resolved", w.dept, w.handler, w.officer, on=nov)
    rate_problem(code, firm_rated, {"evaluation": "satisfied", "version": firm_rated.version})
    unhappy = make_problem(w.firm, w.cadre, "resolved", w.dept, w.handler, w.officer, on=nov)
    rate_problem(code, unhappy, {"evaluation": "unsatisfied", "note": "没解决", "version": unhappy.version})
    by_phone = make_problem(w.firm, w.cadre, "resolved", w.dept, w.handler, w.officer, on=nov)
    step(by_phone, "evaluate", w.cadre, on=nov, evaluation="basic", channel="phone")
    make_problem(w.firm, w.cadre, "closed", w.dept, w.handler, w.officer, on=nov)  # 代录, way not said
    forced = make_problem(w.firm, w.cadre, "in_progress", w.dept, w.handler, w.officer, on=nov)
    step(forced, "force_close", w.officer, on=nov, note="企业已注销，无需继续办理")
    agreed = make_problem(w.firm, w.cadre, "withdrawal", w.dept, w.handler, w.officer, on=nov)
    answer_withdrawal(code, agreed, {"answer": "agree", "version": agreed.version}, today=nov)
    step(agreed, "review_withdrawal", w.officer, on=nov, verdict="false", note="企业否认同意撤单")
    make_problem(w.firm, w.cadre, "withdrawn", w.dept, w.handler, w.officer, on=nov)  # by phone, not reviewed
    # October's sample, called back in November.
    _closed(w, 2)
    draw = draw_callbacks(w.park, "2026-10", nov)
    first = draw.checks[0]
    record_callback(
        first, w.officer, {"status": "reached", "confirmed": "yes", "satisfaction": "satisfied"}, nov
    )
    db.session.commit()


def _form(title: str) -> dict:
    return {
        "category": "labour",
        "title": title,
        "description": f"{title}的具体情况",
        "contact_name": "李会计",
        "contact_phone": "0731-58881234",
    }


def test_the_figures_count_who_gave_each_rating(w):
    _month_of_voices(w)
    f = firm_voice_figures(w.park.id, date(2026, 11, 1), TODAY)
    assert f.self_reported == 2
    # 销号: the firm's 满意, the cadre's 基本满意 (phone) and the support's 满意, one forced; 撤单 apart.
    assert (f.closed, f.closed_by_firm, f.rate("self_rating_rate")) == (4, 1, 25.0)
    assert (f.firm_ratings, f.firm_satisfied, f.rate("firm_satisfaction_rate")) == (2, 1, 50.0)
    assert (f.proxy_ratings, f.proxy_satisfied, f.rate("proxy_satisfaction_rate")) == (2, 2, 100.0)
    assert f.proxy_by_channel == {"phone": 1, "": 1}
    assert (f.withdrawals, f.withdrawals_by_firm, f.reviewed, f.genuine, f.false) == (2, 1, 1, 0, 1)
    assert f.rate("withdrawal_genuine_rate") == 0.0
    assert (f.callback_month, f.callback_closed, f.callback_sample, f.callback_reached) == (
        "2026-10",
        2,
        1,
        1,
    )
    assert (f.rate("callback_coverage"), f.rate("verified_satisfaction_rate")) == (100.0, 100.0)
    other = firm_voice_figures(w.park.id + 1000, date(2026, 11, 1), TODAY)
    assert (other.self_reported, other.closed, other.withdrawals, other.callback_sample) == (0, 0, 0, 0)


def test_the_monthly_workbook_shows_the_firms_voice(w):
    _month_of_voices(w)
    book = load_workbook(monthly_workbook(ReportScope(w.park), Period.parse("2026-11", TODAY)))
    assert {"企业之声", "撤单质检", "回访抽查"} <= set(book.sheetnames)
    figures = {row[0]: row[1] for row in book["企业之声"].iter_rows(min_row=3, values_only=True) if row[0]}
    assert figures["企业自报诉求（件）"] == 2 and figures["企业自评率"] == pytest.approx(0.25)
    assert figures["满意率（企业自评）"] == pytest.approx(0.5) and figures["满意率（代录）"] == pytest.approx(
        1.0
    )
    assert figures["本月撤单（件）"] == 2 and figures["撤单质检属实率"] == pytest.approx(0.0)
    assert figures["回访抽查覆盖率"] == pytest.approx(1.0) and figures["核实满意率"] == pytest.approx(1.0)
    withdrawals = list(book["撤单质检"].iter_rows(min_row=2, values_only=True))
    assert sorted(r[8] for r in withdrawals) == ["企业在服务页确认", "电话确认"]
    assert sorted(r[9] for r in withdrawals) == ["不属实", "待质检"]
    callbacks = list(book["回访抽查"].iter_rows(min_row=2, values_only=True))
    assert len(callbacks) == 1 and callbacks[0][7:10] == ("已回访", "是", "满意")
    texts = [str(v) for row in book["指标说明"].iter_rows(values_only=True) for v in row if v]
    assert any(t.startswith("企业自评率 = ") for t in texts) and any(
        t.startswith("核实满意率 = ") for t in texts
    )


def test_month_bounds_refuse_what_is_not_a_month_with_a_value_error():
    assert month_bounds("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert month_bounds("9999-11") == (date(9999, 11, 1), date(9999, 11, 30))
    for junk in ("9999-12", "2026-13", "abcd-ef", ""):
        with pytest.raises(ValueError):
            month_bounds(junk)
