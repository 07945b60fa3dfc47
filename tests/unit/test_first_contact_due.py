"""A firm assigned, imported or handed over is due for its first contact and visit counted from the
assignment's start: never 已逾期 on day 0, and every count (my firms, 走访覆盖, the dashboard's
figure, the reminders) says the same."""

from datetime import date

from openpyxl import Workbook
from sqlalchemy import select

from crm.models import Notification
from crm.services.assignments.operations import assign_enterprise, handover_caseload
from crm.services.imports.enterprises import import_enterprises
from crm.services.reminders.scheduled import visit_reminders
from crm.services.visits.coverage import coverage_report, coverage_totals, firm_cadence, my_firms
from tests.support.factories import make_enterprise, make_park, make_user, valid_credit_code

DAY0 = date(2026, 11, 2)


def statuses(row):
    return (row.contact.status, row.contact.due_on, row.onsite.status, row.onsite.due_on)


def test_a_firm_assigned_today_is_not_overdue(db):
    park = make_park()
    officer, cadre = make_user("officer", park), make_user("cadre", park)
    firm = make_enterprise(park)
    assign_enterprise(firm, cadre, officer, DAY0)
    assert statuses(firm_cadence(firm, DAY0)) == ("ok", date(2026, 11, 9), "ok", date(2026, 11, 30))
    assert not my_firms(cadre, DAY0)[0].is_overdue
    totals, overdue = coverage_totals(officer, DAY0)
    assert (totals.firms, totals.contact_overdue, totals.onsite_overdue, overdue) == (1, 0, 0, 0)
    # A week and a day later the first contact is overdue, everywhere alike.
    later = date(2026, 11, 10)
    assert firm_cadence(firm, later).contact.status == "overdue"
    totals, overdue = coverage_totals(officer, later)
    assert (totals.contact_overdue, totals.onsite_overdue, overdue) == (1, 0, 1)
    assert len(coverage_report(officer, later).overdue) == 1


def test_an_imported_firm_is_due_from_the_import_day(db, tmp_path):
    park = make_park("A", "甲园区")
    officer = make_user("officer", park)
    cadre = make_user("cadre", park, name="张伟")
    wb = Workbook()
    for row in (
        ["企业名称", "统一社会信用代码", "所属园区", "联系干部"],
        ["新导入有限公司", valid_credit_code(), "甲园区", "张伟"],
    ):
        wb.active.append(row)
    wb.save(tmp_path / "firms.xlsx")
    result = import_enterprises(tmp_path / "firms.xlsx", officer, DAY0)
    assert result.ok and result.assigned == 1, result.errors
    (row,) = my_firms(cadre, DAY0)
    assert statuses(row) == ("ok", date(2026, 11, 9), "ok", date(2026, 11, 30))
    assert coverage_totals(officer, DAY0)[1] == 0
    # The reminders agree: nothing is due on day 0, the contact is "soon" two days before its due date.
    visit_reminders(DAY0)
    assert not db.session.scalars(select(Notification)).all()
    visit_reminders(date(2026, 11, 7))
    keys = set(db.session.scalars(select(Notification.dedupe_key)))
    assert keys == {f"visit:contact:soon:{row.firm_id}:2026-11-09"}


def test_a_handed_over_firm_never_visited_is_due_from_the_handover(db):
    park = make_park()
    officer = make_user("officer", park)
    old, new = make_user("cadre", park), make_user("cadre", park)
    firm = make_enterprise(park, cadre=old, assigned_by=officer, today=date(2026, 11, 20))
    handover_caseload(old, new, officer, date(2026, 11, 25), "post_change", first_visit_days=15)
    row = my_firms(new, date(2026, 11, 25))[0]
    assert row.firm_id == firm.id and not row.is_overdue
    # contact 7 days after the handover; on-site by the end of November (sooner than the 15 days)
    assert statuses(row) == ("ok", date(2026, 12, 2), "ok", date(2026, 11, 30))
