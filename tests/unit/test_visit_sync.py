"""Visits sent from a phone: one visit per (author, client id), whatever the retries and races, and a
refusal that comes back as the reason the phone keeps with its draft."""

import threading
import uuid

import pytest
from sqlalchemy import func, select

from crm.extensions import db as _db
from crm.models import AuditLog, Enterprise, ProductItem, User, Visit
from crm.services import ServiceError
from crm.services.assignments.operations import assign_enterprise
from crm.services.visits.records import log_visit, record_visit
from crm.services.visits.sync import OUT_OF_REACH, offline_firms, sync_visit
from tests.support.dates import TODAY
from tests.support.factories import make_enterprise, make_park, make_user
from tests.support.uploads import JPEG, upload

VISIT = {"visited_on": TODAY.isoformat(), "kind": "onsite", "summary": "了解新产线建设进度"}


@pytest.fixture(autouse=True)
def upload_folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))


@pytest.fixture()
def w(db):
    park = make_park("XT", "湘潭高新区")
    officer = make_user("officer", park)
    cadre = make_user("cadre", park)
    other = make_user("cadre", park)
    firm = make_enterprise(park, "湘潭电机有限公司", cadre=cadre, assigned_by=officer)
    db.session.commit()
    return {"park": park, "officer": officer, "cadre": cadre, "other": other, "firm": firm}


def visits(db) -> int:
    return db.session.scalar(select(func.count(Visit.id)))


def test_the_same_client_id_twice_logs_one_visit(db, w):
    key = str(uuid.uuid4())
    first = record_visit(w["firm"], w["cadre"], VISIT, TODAY, product={"name": "永磁电机"}, client_id=key)
    db.session.commit()
    again = record_visit(
        w["firm"], w["cadre"], VISIT | {"summary": "改过的内容"}, TODAY, product={"name": "永磁电机"},
        files=[upload("现场.jpg", JPEG)], client_id=key.upper(),
    )  # fmt: skip
    db.session.commit()
    assert first.created and not again.created
    assert again.visit.id == first.visit.id and again.visit.summary == "了解新产线建设进度"
    assert visits(db) == 1
    # nothing of the second send was written: no second product, audit row or file
    assert db.session.scalar(select(func.count(ProductItem.id))) == 1
    audits = select(func.count(AuditLog.id)).where(
        AuditLog.entity_type == "visit", AuditLog.action == "create"
    )
    assert db.session.scalar(audits) == 1
    assert first.visit.attachments == []


def test_log_visit_returns_the_visit_already_sent(db, w):
    """The ordinary form carries the id too: a double submission shows the one visit."""
    key = str(uuid.uuid4())
    a = log_visit(w["firm"], w["cadre"], VISIT, TODAY, client_id=key)
    b = log_visit(w["firm"], w["cadre"], VISIT, TODAY, client_id=key)
    assert a.id == b.id and visits(db) == 1


def test_the_key_is_per_author(db, w):
    key = str(uuid.uuid4())
    log_visit(w["firm"], w["cadre"], VISIT, TODAY, client_id=key)
    log_visit(w["firm"], w["officer"], VISIT, TODAY, client_id=key)
    assert visits(db) == 2


@pytest.mark.parametrize("junk", ["abc", "../../etc", "1" * 36, str(uuid.uuid4()) + "x", "\x00" * 36])
def test_a_junk_client_id_is_refused_and_nothing_written(db, w, junk):
    with pytest.raises(ServiceError, match="设备编号无效"):
        log_visit(w["firm"], w["cadre"], VISIT, TODAY, client_id=junk)
    assert visits(db) == 0


def test_sync_needs_a_client_id(db, w):
    with pytest.raises(ServiceError, match="缺少走访记录的设备编号"):
        sync_visit(w["cadre"], w["firm"].id, "", VISIT, TODAY)


def test_a_firm_handed_over_meanwhile_is_refused_with_the_reason(db, w):
    """The draft was typed offline; the firm went to another cadre before the phone came back online."""
    assign_enterprise(w["firm"], w["other"], w["officer"], TODAY, "调整联系干部")
    db.session.commit()
    with pytest.raises(ServiceError) as refused:
        sync_visit(w["cadre"], w["firm"].id, str(uuid.uuid4()), VISIT, TODAY)
    assert str(refused.value) == OUT_OF_REACH
    assert "交接" in OUT_OF_REACH
    assert visits(db) == 0


def test_a_resend_after_the_handover_still_finds_the_visit(db, w):
    """The first send was logged but its answer was lost; the firm moved on before the resend."""
    key = str(uuid.uuid4())
    first = sync_visit(w["cadre"], w["firm"].id, key, VISIT, TODAY)
    assign_enterprise(w["firm"], w["other"], w["officer"], TODAY, "调整联系干部")
    db.session.commit()
    again = sync_visit(w["cadre"], w["firm"].id, key, VISIT, TODAY)
    assert first.created and not again.created and again.visit.id == first.visit.id


def test_an_unknown_or_foreign_firm_reads_the_same(db, w):
    foreign = make_enterprise(make_park(), "外园区企业", cadre=make_user("cadre"))
    db.session.commit()
    for firm_id in (foreign.id, 999_999, None):
        with pytest.raises(ServiceError) as refused:
            sync_visit(w["cadre"], firm_id, str(uuid.uuid4()), VISIT, TODAY)
        assert str(refused.value) == OUT_OF_REACH


def test_a_refusal_of_the_visit_service_comes_back_as_the_reason(db, w):
    with pytest.raises(ServiceError, match="走访日期不能晚于今天"):
        sync_visit(w["cadre"], w["firm"].id, str(uuid.uuid4()), VISIT | {"visited_on": "2099-01-01"}, TODAY)
    assert visits(db) == 0


def test_offline_firms_are_the_cadres_current_active_firms(db, w):
    closed = make_enterprise(w["park"], "已注销企业", cadre=w["cadre"], assigned_by=w["officer"])
    closed.status = "closed"
    db.session.commit()
    assert offline_firms(w["cadre"]) == [(w["firm"].id, "湘潭电机有限公司")]
    assert offline_firms(w["officer"]) == []


def test_concurrent_sends_of_one_draft_log_one_visit(app, db, w):
    """Four tabs (or retries) send the same draft at the same moment: one visit, the others find it."""
    key = str(uuid.uuid4())
    cadre_id, firm_id = w["cadre"].id, w["firm"].id
    db.session.commit()
    barrier = threading.Barrier(4)
    results, errors = [], []

    def send():
        try:
            with app.app_context():
                actor = _db.session.get(User, cadre_id)
                _db.session.get(Enterprise, firm_id)
                barrier.wait(20)
                logged = sync_visit(actor, firm_id, key, VISIT, TODAY, product={"name": "永磁电机"})
                _db.session.commit()
                results.append((logged.visit.id, logged.created))
        except Exception as exc:  # reported below: a worker's failure fails the test
            barrier.abort()
            errors.append(repr(exc))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(results) == 4
    assert sum(created for _id, created in results) == 1
    assert len({visit_id for visit_id, _ in results}) == 1
    db.session.expire_all()
    assert visits(db) == 1
    assert db.session.scalar(select(func.count(ProductItem.id))) == 1


def test_a_visit_dated_in_a_closed_month_comes_back_with_the_reason(db, w):
    """月结: a draft typed offline for a month closed before the phone came back is refused, and says why."""
    from crm.reporting.monthly.close import close_month

    close_month("2026-10", make_user("admin"), TODAY)
    db.session.commit()
    with pytest.raises(ServiceError, match="2026年10月已月结，不能再录入该月的走访"):
        sync_visit(w["cadre"], w["firm"].id, str(uuid.uuid4()), VISIT | {"visited_on": "2026-10-30"}, TODAY)
    assert visits(db) == 0
    assert sync_visit(w["cadre"], w["firm"].id, str(uuid.uuid4()), VISIT, TODAY).created  # November is open
