"""Each firm's last contact / last on-site dates (FirmVisitSummary) always equal the visit log's."""

from datetime import date

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import FirmVisitSummary, Visit
from crm.services.visits.records import log_visit, update_visit
from crm.services.visits.summary import note_visit, refresh_visit_summaries
from tests.support.dates import TODAY
from tests.support.factories import make_enterprise, make_park, make_user


@pytest.fixture()
def setup(db):
    park = make_park()
    officer = make_user("officer", park)
    cadre = make_user("cadre", park)
    firm = make_enterprise(park, cadre=cadre, assigned_by=officer)
    return officer, cadre, firm


def summary(firm):
    db.session.expire_all()
    row = db.session.get(FirmVisitSummary, firm.id)
    return (row.last_contact_on, row.last_onsite_on) if row else None


def from_log(firm):
    return db.session.execute(
        select(func.max(Visit.visited_on), func.max(Visit.visited_on).filter(Visit.kind == "onsite")).where(
            Visit.enterprise_id == firm.id
        )
    ).one()


def log(firm, actor, day, kind):
    return log_visit(firm, actor, {"visited_on": day, "kind": kind, "summary": "了解生产经营情况"}, TODAY)


def test_logging_visits_moves_the_dates_forward_never_back(setup):
    officer, cadre, firm = setup
    assert summary(firm) is None  # never visited
    log(firm, cadre, date(2026, 10, 20), "phone")
    assert summary(firm) == (date(2026, 10, 20), None)
    log(firm, cadre, date(2026, 10, 25), "onsite")
    assert summary(firm) == (date(2026, 10, 25), date(2026, 10, 25))
    log(firm, cadre, date(2026, 10, 1), "onsite")  # a late entry of an older visit changes nothing
    assert summary(firm) == (date(2026, 10, 25), date(2026, 10, 25)) == tuple(from_log(firm))


def test_correcting_a_visit_recomputes_exactly(setup):
    officer, cadre, firm = setup
    log(firm, cadre, date(2026, 10, 20), "phone")
    latest = log(firm, cadre, date(2026, 10, 30), "onsite")
    update_visit(latest, officer, {"visited_on": date(2026, 10, 15), "kind": "phone"}, TODAY)
    assert summary(firm) == (date(2026, 10, 20), None) == tuple(from_log(firm))


def test_refresh_rebuilds_from_the_log(setup):
    officer, cadre, firm = setup
    log(firm, cadre, date(2026, 10, 20), "onsite")
    db.session.query(FirmVisitSummary).delete()
    note_visit(firm.id, date(2020, 1, 1), "phone")  # a wrong row, as if a write had been lost
    db.session.execute(FirmVisitSummary.__table__.update().values(last_contact_on=date(2020, 1, 1)))
    assert refresh_visit_summaries() == 1
    assert summary(firm) == (date(2026, 10, 20), date(2026, 10, 20))
