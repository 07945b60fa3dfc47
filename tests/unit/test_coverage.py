from datetime import date

import pytest

from crm.models import ParkSetting
from crm.services import ServiceError
from crm.services.assignments.operations import assign_enterprise, handover_caseload
from crm.services.visits.coverage import coverage_report, firm_cadence, my_firms
from crm.services.visits.settings import update_cadence_settings
from tests.support.factories import make_chain, make_enterprise, make_park, make_user
from tests.support.visits import make_visit

WEDNESDAY = date(2026, 11, 18)  # a Wednesday; the week started on 11-16


@pytest.fixture()
def setup(db):
    park = make_park()
    officer = make_user("officer", park)
    cadre = make_user("cadre", park, name="张干部")
    return park, officer, cadre


def test_my_firms_sorted_by_urgency(db, setup):
    park, officer, cadre = setup
    fine = make_enterprise(park, "正常企业", cadre=cadre, assigned_by=officer)
    make_visit(fine, cadre, date(2026, 11, 17), "onsite")
    soon = make_enterprise(park, "将到期企业", cadre=cadre, assigned_by=officer)
    make_visit(soon, cadre, date(2026, 11, 12), "onsite")  # contact due 11-19: 1 day left
    # assigned on 10-01 and never visited: contact due 10-08, on-site by 10-31
    never = make_enterprise(park, "从未走访企业", cadre=cadre, assigned_by=officer, today=date(2026, 10, 1))
    closed = make_enterprise(park, "已注销企业", cadre=cadre, assigned_by=officer, status="closed")
    rows = my_firms(cadre, WEDNESDAY)
    assert [r.firm_id for r in rows] == [f.id for f in (never, soon, fine, closed)]
    assert (rows[0].contact.status, rows[0].onsite.status) == ("overdue", "overdue")
    assert rows[1].contact.status == "soon" and rows[1].onsite.status == "ok"
    assert rows[2].contact.status == "ok" and rows[2].last_visit == date(2026, 11, 17)
    assert rows[3].contact is None and not rows[3].is_overdue


def test_phone_contact_keeps_weekly_rule_but_not_monthly(db, setup):
    park, officer, cadre = setup
    firm = make_enterprise(park, cadre=cadre, assigned_by=officer)
    make_visit(firm, cadre, date(2026, 10, 20), "onsite")
    make_visit(firm, cadre, date(2026, 11, 17), "phone")
    row = firm_cadence(firm, WEDNESDAY)
    assert row.contact.status == "ok"
    assert row.onsite.status == "ok" and row.onsite.due_on == date(2026, 11, 30)
    row = firm_cadence(firm, date(2026, 12, 1))
    assert row.onsite.status == "overdue"


def test_reassigned_firm_keeps_its_history(db, setup):
    park, officer, cadre = setup
    successor = make_user("cadre", park)
    firm = make_enterprise(park, cadre=cadre, assigned_by=officer)
    make_visit(firm, cadre, date(2026, 11, 16), "onsite")
    assign_enterprise(firm, successor, officer, date(2026, 11, 17), "调整")
    [row] = my_firms(successor, WEDNESDAY)
    assert row.firm_id == firm.id and row.contact.status == "ok" and row.last_visit == date(2026, 11, 16)
    assert my_firms(cadre, WEDNESDAY) == []


def test_handover_sets_first_visit_due(db, setup):
    park, officer, cadre = setup
    successor = make_user("cadre", park)
    firm = make_enterprise(park, cadre=cadre, assigned_by=officer)
    make_visit(firm, cadre, date(2026, 11, 2), "onsite")
    handover_caseload(cadre, successor, officer, date(2026, 11, 3), "retire", first_visit_days=10)
    [row] = my_firms(successor, WEDNESDAY)
    # monthly rule alone says "ok until 12-31"; the handover wants a first visit by 11-13
    assert row.onsite.due_on == date(2026, 11, 13) and row.onsite.status == "overdue"
    make_visit(firm, successor, date(2026, 11, 10), "onsite")
    [row] = my_firms(successor, WEDNESDAY)
    assert row.onsite.status == "ok"


def test_key_firm_rule_from_park_settings(db, setup):
    park, officer, cadre = setup
    update_cadence_settings(
        park,
        officer,
        {
            "contact_days": 7,
            "key_contact_days": 3,
            "key_onsite_days": 14,
            "due_soon_days": 2,
            "visit_edit_days": 7,
        },
    )
    key = make_enterprise(park, cadre=cadre, assigned_by=officer, is_key=True)
    plain = make_enterprise(park, cadre=cadre, assigned_by=officer)
    for firm in (key, plain):
        make_visit(firm, cadre, date(2026, 11, 14), "onsite")  # key: due 11-17; others: due 11-21
    assert firm_cadence(key, WEDNESDAY).contact.status == "overdue"
    assert firm_cadence(plain, WEDNESDAY).contact.status == "ok"


def test_settings_validation_changes_nothing(db, setup):
    park, officer, cadre = setup
    good = {
        "contact_days": 7,
        "key_contact_days": "",
        "key_onsite_days": "",
        "due_soon_days": 2,
        "visit_edit_days": 7,
    }
    for bad, message in [
        ({"contact_days": 0}, "1到60"),
        ({"contact_days": "abc"}, "整数"),
        ({"key_contact_days": 10}, "不能长于"),
        ({"due_soon_days": ""}, "不能为空"),
    ]:
        with pytest.raises(ServiceError, match=message):
            update_cadence_settings(park, officer, good | bad)
    assert db.session.get(ParkSetting, park.id) is None
    with pytest.raises(ServiceError, match="权限"):
        update_cadence_settings(park, make_user("officer", make_park()), good)
    with pytest.raises(ServiceError, match="权限"):
        update_cadence_settings(park, cadre, good)


def test_coverage_report_counts(db, setup):
    park, officer, cadre = setup
    other = make_user("cadre", park, name="李干部")
    chain = make_chain()
    since = date(2026, 10, 1)  # assigned before this month: a firm never on site is overdue by now
    firms = [
        make_enterprise(park, cadre=cadre, assigned_by=officer, chain=chain, today=since) for _ in range(4)
    ]
    make_visit(firms[0], cadre, date(2026, 11, 16), "phone")  # this week, not on-site
    make_visit(firms[1], cadre, date(2026, 11, 3), "onsite")  # this month, not this week
    make_visit(firms[2], cadre, date(2026, 11, 18), "onsite")  # both
    make_visit(firms[3], cadre, date(2026, 11, 15), "onsite")  # last Sunday: not this week
    make_enterprise(park, cadre=other, assigned_by=officer)
    make_enterprise(park)  # unassigned: not in anyone's coverage
    report = coverage_report(officer, WEDNESDAY)
    by_name = {c.cadre.name: c for c in report.cadres}
    zhang = by_name["张干部"]
    assert (zhang.firms, zhang.contacted_week, zhang.onsite_month) == (4, 2, 3)
    assert zhang.week_pct == 50.0 and zhang.month_pct == 75.0
    assert (zhang.contact_overdue, zhang.onsite_overdue) == (
        1,
        1,
    )  # firms[1]: contact 11-10; firms[0]: no on-site
    li = by_name["李干部"]
    assert (li.firms, li.week_pct, li.contact_overdue) == (1, 0.0, 1)
    assert len(report.overdue) == 3
    assert report.totals.firms == 5
    assert coverage_report(officer, WEDNESDAY, chain_id=chain.id).totals.firms == 4
    # another park's officer sees none of it
    assert coverage_report(make_user("officer", make_park()), WEDNESDAY).totals.firms == 0


def test_reminder_must_be_shorter_than_every_cycle(db, setup):
    """due_soon_days >= a cycle would flag a firm 即将到期 right after a contact: refused, nothing stored."""
    park, officer, _cadre = setup
    base = {"contact_days": 7, "key_contact_days": "", "key_onsite_days": "", "visit_edit_days": 7}
    for extra, shortest in [
        ({"due_soon_days": 7}, 7),
        ({"due_soon_days": 3, "key_contact_days": 3}, 3),
        ({"due_soon_days": 5, "key_onsite_days": 4}, 4),
    ]:
        with pytest.raises(ServiceError, match=f"最短的走访周期（{shortest}天）"):
            update_cadence_settings(park, officer, base | extra)
    assert db.session.get(ParkSetting, park.id) is None
    assert update_cadence_settings(park, officer, base | {"due_soon_days": 6})  # one day less is fine
