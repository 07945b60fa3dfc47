from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from crm.models import Assignment, AuditLog
from crm.services import ServiceError
from crm.services.assignments.operations import assign_enterprise, handover_caseload, unassign_enterprise
from tests.support.factories import make_enterprise, make_park, make_user

D1, D2, D3 = date(2026, 3, 2), date(2026, 6, 1), date(2026, 9, 1)


@pytest.fixture()
def park(db):
    return make_park()


@pytest.fixture()
def officer(park):
    return make_user("officer", park)


def active_rows(db, firm):
    return db.session.scalars(
        select(Assignment).where(Assignment.enterprise_id == firm.id, Assignment.end_on.is_(None))
    ).all()


def test_reassignment_closes_old_row_and_keeps_history(db, park, officer):
    a, b = make_user("cadre", park), make_user("cadre", park)
    firm = make_enterprise(park)
    assign_enterprise(firm, a, officer, D1, "新入园")
    assign_enterprise(firm, b, officer, D2, "工作调整")
    rows = db.session.scalars(
        select(Assignment).where(Assignment.enterprise_id == firm.id).order_by(Assignment.id)
    ).all()
    assert [(r.cadre_id, r.start_on, r.end_on) for r in rows] == [(a.id, D1, D2), (b.id, D2, None)]
    assert rows[0].end_reason == "工作调整"
    assert firm.cadre == b
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.enterprise_id == firm.id)) == 2


def test_database_forbids_two_active_liaisons(db, park):
    a, b = make_user("cadre", park), make_user("cadre", park)
    firm = make_enterprise(park)
    db.session.add(Assignment(enterprise_id=firm.id, cadre_id=a.id, start_on=D1))
    db.session.flush()
    db.session.add(Assignment(enterprise_id=firm.id, cadre_id=b.id, start_on=D1))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_closed_rows_do_not_count_against_the_invariant(db, park):
    a = make_user("cadre", park)
    firm = make_enterprise(park)
    db.session.add_all(
        [
            Assignment(enterprise_id=firm.id, cadre_id=a.id, start_on=D1, end_on=D2),
            Assignment(enterprise_id=firm.id, cadre_id=a.id, start_on=D2, end_on=D3),
            Assignment(enterprise_id=firm.id, cadre_id=a.id, start_on=D3),
        ]
    )
    db.session.flush()
    assert len(active_rows(db, firm)) == 1


def test_assign_refuses_same_cadre_non_cadre_and_other_park(db, park, officer):
    cadre = make_user("cadre", park)
    firm = make_enterprise(park, cadre=cadre, assigned_by=officer)
    with pytest.raises(ServiceError, match="已是"):
        assign_enterprise(firm, cadre, officer, D2)
    with pytest.raises(ServiceError, match="不是联企干部"):
        assign_enterprise(firm, make_user("handler", park), officer, D2)
    with pytest.raises(ServiceError, match="园区"):
        assign_enterprise(firm, make_user("cadre", make_park()), officer, D2)
    assert [r.cadre_id for r in active_rows(db, firm)] == [cadre.id]


def test_cadre_and_handler_cannot_assign(db, park):
    cadre = make_user("cadre", park)
    firm = make_enterprise(park)
    for actor in (cadre, make_user("handler", park)):
        with pytest.raises(ServiceError, match="权限"):
            assign_enterprise(firm, cadre, actor, D1)
    assert active_rows(db, firm) == []


def test_unassign_requires_reason(db, park, officer):
    cadre = make_user("cadre", park)
    firm = make_enterprise(park, cadre=cadre, assigned_by=officer)
    with pytest.raises(ServiceError, match="原因"):
        unassign_enterprise(firm, officer, D2, "  ")
    unassign_enterprise(firm, officer, D2, "企业注销")
    assert active_rows(db, firm) == []


def test_handover_moves_every_firm_in_one_act(db, park, officer):
    old, new, other = make_user("cadre", park), make_user("cadre", park), make_user("cadre", park)
    mine = [make_enterprise(park, cadre=old, assigned_by=officer, today=D1) for _ in range(3)]
    theirs = make_enterprise(park, cadre=other, assigned_by=officer, today=D1)
    handover = handover_caseload(old, new, officer, D2, "retire", "正常退休", first_visit_days=10)
    assert handover.first_visit_due_on == date(2026, 6, 11)
    for firm in mine:
        rows = db.session.scalars(
            select(Assignment).where(Assignment.enterprise_id == firm.id).order_by(Assignment.id)
        ).all()
        assert [(r.cadre_id, r.end_on) for r in rows] == [(old.id, D2), (new.id, None)]
        assert rows[1].handover_id == handover.id and rows[1].first_visit_due_on == date(2026, 6, 11)
    assert theirs.cadre == other
    assert len(handover.assignments) == 3


def test_handover_refusals_change_nothing(db, park, officer):
    old, new = make_user("cadre", park), make_user("cadre", park)
    firm = make_enterprise(park, cadre=old, assigned_by=officer, today=D1)
    other_park_cadre = make_user("cadre", make_park())
    db.session.commit()
    with pytest.raises(ServiceError, match="交接原因"):
        handover_caseload(old, new, officer, D2, "bogus")
    with pytest.raises(ServiceError, match="同一人"):
        handover_caseload(old, old, officer, D2, "leave")
    with pytest.raises(ServiceError, match="说明"):
        handover_caseload(old, new, officer, D2, "other", "")
    with pytest.raises(ServiceError, match="没有联系企业"):
        handover_caseload(new, old, officer, D2, "leave")
    with pytest.raises(ServiceError, match="园区"):
        handover_caseload(old, other_park_cadre, officer, D2, "leave")
    db.session.rollback()
    assert [r.cadre_id for r in active_rows(db, firm)] == [old.id]


def test_after_a_handover_the_same_session_sees_the_successor(db, park, officer):
    """Scope checks read the firm's cached liaison; a handover must not leave it pointing at the old one."""
    from crm.permissions import can

    old, new = make_user("cadre", park), make_user("cadre", park)
    firm = make_enterprise(park, cadre=old, assigned_by=officer, today=D1)
    assert firm.cadre == old and can(old, "visit.log", firm)  # the relationship is now loaded
    handover_caseload(old, new, officer, D2, "leave")
    assert firm.cadre == new
    assert can(new, "visit.log", firm) and not can(old, "visit.log", firm)
