"""上门走访（有佐证）in the monthly figures: counted apart from on-site visits, per person and in total."""

import uuid

import pytest

from crm.models import FirmLocation, ParkSetting
from crm.reporting.monthly.evidence import (
    SHEET_LABEL,
    collect_evidence,
    evidence_figures,
    evidenced_visits_by_person,
)
from crm.reporting.monthly.period import Period
from crm.reporting.monthly.registry import LiveMonth
from crm.services.visits.records import log_visit
from tests.support.dates import TODAY
from tests.support.factories import make_enterprise, make_park, make_user
from tests.support.uploads import JPEG, upload

HERE = {"latitude": "27.8297", "longitude": "112.9442", "accuracy": "10"}


@pytest.fixture(autouse=True)
def upload_folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))


def test_on_site_visits_with_evidence_are_counted_apart(db):
    park, other = make_park("XT"), make_park("YH")
    officer, cadre = make_user("officer", park), make_user("cadre", park)
    firm = make_enterprise(park, "湘潭电机", cadre=cadre, assigned_by=officer)
    plain = make_enterprise(park, "湘潭纺织", cadre=cadre, assigned_by=officer)
    elsewhere_cadre = make_user("cadre", other)
    elsewhere = make_enterprise(other, "雨湖机械", cadre=elsewhere_cadre)
    db.session.add(ParkSetting(park_id=park.id, evidence_enabled=True))
    db.session.add(ParkSetting(park_id=other.id, evidence_enabled=True))
    for f in (firm, elsewhere):
        db.session.add(FirmLocation(enterprise_id=f.id, latitude=27.8297, longitude=112.9442,
                                    source="officer", set_by_id=officer.id))  # fmt: skip
    db.session.flush()
    visit = {"visited_on": TODAY.isoformat(), "kind": "onsite", "summary": "上门"}
    for _ in range(2):  # two visits with evidence to one firm
        log_visit(firm, cadre, visit, TODAY, files=[upload("现场.jpg", JPEG)], location=HERE,
                  client_id=str(uuid.uuid4()))  # fmt: skip
    log_visit(plain, cadre, visit, TODAY)  # on site without evidence
    log_visit(firm, cadre, visit | {"kind": "phone"}, TODAY, location=HERE)  # not on site
    log_visit(elsewhere, elsewhere_cadre, visit, TODAY, files=[upload("现场.jpg", JPEG)], location=HERE)
    db.session.commit()

    facts = collect_evidence(LiveMonth(Period.of(2026, 11, TODAY), park.id))
    assert [(f.firm_id, f.cadre_id, f.visits) for f in facts] == [(firm.id, cadre.id, 2)]
    assert evidenced_visits_by_person(facts) == {cadre.id: 2}
    figures = evidence_figures(facts, {firm.id, plain.id})
    assert (figures.visits, figures.firms, figures.firms_served, figures.rate) == (2, 1, 2, 50.0)
    city = collect_evidence(LiveMonth(Period.of(2026, 11, TODAY)))
    assert sum(f.visits for f in city) == 3
    assert collect_evidence(LiveMonth(Period.of(2026, 10, TODAY), park.id)) == []
    assert SHEET_LABEL == "上门(有佐证)"
