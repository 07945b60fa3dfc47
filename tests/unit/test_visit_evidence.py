"""现场佐证: distances, map datums, how an on-site visit is judged, the park office's review, who may see
a location, and coverage counted with evidence."""

import math
from datetime import datetime

import pytest
from sqlalchemy import func, select

from crm.models import AuditLog, FirmLocation, FirmVisitSummary, ParkSetting, VisitLocation
from crm.permissions import can
from crm.services import ServiceError
from crm.services.assignments.operations import assign_enterprise
from crm.services.visits.coverage import coverage_report
from crm.services.visits.geo import (
    bd09_to_wgs84,
    gcj02_to_wgs84,
    haversine_m,
    parse_point,
    to_wgs84,
    wgs84_to_gcj02,
)
from crm.services.visits.locations import (
    confirm_check_in,
    reject_check_in,
    review_queue,
    review_visit,
    set_firm_location,
)
from crm.services.visits.records import log_visit, update_visit
from crm.services.visits.settings import update_evidence_settings
from tests.support.dates import TODAY
from tests.support.factories import make_enterprise, make_park, make_user
from tests.support.uploads import JPEG, PDF, upload

NOW = datetime(2026, 11, 2, 2, 0)
FIRM_AT = (27.8296980, 112.9442260)  # a firm in 湘潭高新区 (WGS-84)
METRE = 1 / 111_195  # degrees of latitude per metre
VISIT = {"visited_on": TODAY.isoformat(), "kind": "onsite", "summary": "上门了解生产经营情况"}


def near(metres: float, accuracy: float = 15.0) -> dict:
    """A location `metres` north of the firm, as the browser sends it."""
    return {
        "latitude": f"{FIRM_AT[0] + metres * METRE:.7f}",
        "longitude": f"{FIRM_AT[1]:.7f}",
        "accuracy": str(accuracy),
        "located_at": "1793584800000",
    }


@pytest.fixture(autouse=True)
def upload_folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))


@pytest.fixture()
def w(db):
    park, other_park = make_park("XT", "湘潭高新区"), make_park("YH", "雨湖园区")
    officer = make_user("officer", park)
    cadre = make_user("cadre", park)
    firm = make_enterprise(park, "湘潭电机有限公司", cadre=cadre, assigned_by=officer)
    db.session.add(ParkSetting(park_id=park.id, evidence_enabled=True))
    db.session.commit()
    return {"park": park, "other_park": other_park, "officer": officer, "cadre": cadre, "firm": firm}


def locate_firm(db, w, at=FIRM_AT):
    set_firm_location(w["firm"], w["officer"], {"latitude": at[0], "longitude": at[1], "datum": "wgs84"}, NOW)
    db.session.commit()


def onsite(w, location=None, photo=True, kind="onsite", cadre=None):
    files = [upload("现场.jpg", JPEG)] if photo else []
    return log_visit(
        w["firm"], cadre or w["cadre"], VISIT | {"kind": kind}, TODAY, files=files, location=location
    )


# ---- geometry


def test_haversine_matches_known_distances():
    assert haversine_m(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-4)  # one degree of a meridian
    assert haversine_m(*FIRM_AT, FIRM_AT[0] + 500 * METRE, FIRM_AT[1]) == pytest.approx(500, abs=0.5)
    # 长沙 to 湘潭 city centres, about 40 km
    assert haversine_m(28.2282, 112.9388, 27.8295, 112.9441) == pytest.approx(44_330, rel=0.01)


def test_gcj02_shift_and_its_inverse():
    lat, lng = wgs84_to_gcj02(*FIRM_AT)
    shift = haversine_m(*FIRM_AT, lat, lng)
    assert 300 < shift < 800  # the published datum moves points in Hunan by a few hundred metres
    back = gcj02_to_wgs84(lat, lng)
    assert haversine_m(*FIRM_AT, *back) < 0.1
    assert wgs84_to_gcj02(48.85, 2.35) == (48.85, 2.35)  # outside China: no shift


def test_bd09_to_wgs84_inverts_baidus_forward_formula():
    glat, glng = wgs84_to_gcj02(*FIRM_AT)
    x_pi = math.pi * 3000 / 180
    z = math.sqrt(glng * glng + glat * glat) + 0.00002 * math.sin(glat * x_pi)
    theta = math.atan2(glat, glng) + 0.000003 * math.cos(glng * x_pi)
    bd = (z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065)
    assert haversine_m(*FIRM_AT, *bd09_to_wgs84(*bd)) < 1.0
    assert haversine_m(*FIRM_AT, *to_wgs84(*bd, "bd09")) < 1.0


def test_parse_point_folds_full_width_and_refuses_swapped_or_foreign_points():
    assert parse_point("２７.８２９６９８", " 112.944226 ") == (27.829698, 112.944226)
    with pytest.raises(ServiceError, match="填反"):
        parse_point("112.944226", "27.829698")
    with pytest.raises(ServiceError, match="不在中国境内"):
        parse_point("48.85", "2.35")
    for bad in ("abc", "nan", "inf", "1e400", "9" * 40, ""):
        with pytest.raises(ServiceError):
            parse_point(bad, "112.9")


# ---- judging a visit


def test_a_park_that_does_not_collect_keeps_no_location(db, w):
    db.session.get(ParkSetting, w["park"].id).evidence_enabled = False
    visit = onsite(w, near(10))
    assert visit.evidence is None
    assert db.session.get(VisitLocation, visit.id) is None


def test_location_is_kept_for_on_site_visits_only(db, w):
    visit = onsite(w, near(10), kind="phone")
    assert visit.evidence is None and db.session.get(VisitLocation, visit.id) is None


def test_near_accurate_and_with_a_photo_is_evidence(db, w):
    locate_firm(db, w)
    visit = onsite(w, near(120))
    loc = db.session.get(VisitLocation, visit.id)
    assert (visit.evidence, visit.evidence_label) == ("verified", "有佐证")
    assert loc.distance_m == 120 and loc.doubts is None and loc.accuracy_m == 15.0
    assert loc.located_at == datetime(2026, 11, 2, 2, 0)
    assert db.session.get(FirmVisitSummary, w["firm"].id).last_evidenced_on == TODAY


def test_farther_than_the_limit_is_doubtful(db, w):
    locate_firm(db, w)
    visit = onsite(w, near(800))
    loc = db.session.get(VisitLocation, visit.id)
    assert (visit.evidence, visit.evidence_label) == ("doubtful", "位置存疑")
    assert loc.distance_m == 800 and "约800米，超过500米" in loc.doubts
    assert db.session.get(FirmVisitSummary, w["firm"].id).last_evidenced_on is None
    assert [v.id for v in db.session.scalars(review_queue(w["officer"]))] == [visit.id]


def test_a_coarse_fix_is_doubtful_even_next_door(db, w):
    locate_firm(db, w)
    visit = onsite(w, near(20, accuracy=350))
    assert visit.evidence == "doubtful"
    assert "定位精度约350米，要求100米以内" in db.session.get(VisitLocation, visit.id).doubts


def test_the_parks_limits_apply(db, w):
    update_evidence_settings(
        w["park"], w["officer"],
        {"evidence_enabled": "y", "evidence_max_distance_m": "1000", "evidence_max_accuracy_m": "400"},
    )  # fmt: skip
    locate_firm(db, w)
    assert onsite(w, near(800, accuracy=350)).evidence == "verified"


def test_no_photo_or_no_location_is_no_evidence(db, w):
    locate_firm(db, w)
    no_photo = onsite(w, near(20), photo=False)
    assert (
        no_photo.evidence == "missing" and db.session.get(VisitLocation, no_photo.id).doubts == "没有现场照片"
    )
    only_pdf = log_visit(
        w["firm"], w["cadre"], VISIT, TODAY, files=[upload("纪要.pdf", PDF)], location=near(20)
    )
    assert only_pdf.evidence == "missing"
    no_location = onsite(w)
    assert (no_location.evidence, no_location.evidence_label) == ("missing", "无佐证")
    assert db.session.get(VisitLocation, no_location.id) is None


def test_junk_location_refuses_the_visit_and_writes_nothing(db, w):
    for bad in ({"latitude": "abc", "longitude": "112.9", "accuracy": "10"},
                {"latitude": "27.8", "longitude": "", "accuracy": "10"},
                {"latitude": "27.8", "longitude": "112.9", "accuracy": "-1"},
                near(10) | {"located_at": "yesterday"}):  # fmt: skip
        with pytest.raises(ServiceError):
            onsite(w, bad)
    assert db.session.scalar(select(func.count(VisitLocation.visit_id))) == 0


# ---- a firm's first check-in and the officer's review


def test_the_first_check_in_waits_then_becomes_the_firms_location(db, w):
    first = onsite(w, near(0, accuracy=12))
    second = onsite(w, near(2000))  # far from the first: doubtful once the first is confirmed
    db.session.commit()
    assert (first.evidence, first.evidence_label) == ("pending", "待确认位置")
    assert second.evidence == "pending"
    assert {v.id for v in db.session.scalars(review_queue(w["officer"]))} == {first.id, second.id}
    confirm_check_in(first, w["officer"], NOW)
    db.session.commit()
    row = db.session.get(FirmLocation, w["firm"].id)
    assert (row.source, row.visit_id, row.set_by_id) == ("checkin", first.id, w["officer"].id)
    assert first.evidence == "verified" and second.evidence == "doubtful"
    assert db.session.get(FirmVisitSummary, w["firm"].id).last_evidenced_on == TODAY
    with pytest.raises(ServiceError, match="不在待确认位置状态"):
        confirm_check_in(second, w["officer"], NOW)


def test_a_check_in_the_officer_rejects_is_doubtful(db, w):
    visit = onsite(w, near(0))
    with pytest.raises(ServiceError, match="核验说明不能为空"):
        reject_check_in(visit, w["officer"], "  ", NOW)
    reject_check_in(visit, w["officer"], "定位在干部办公室", NOW)
    loc = db.session.get(VisitLocation, visit.id)
    assert visit.evidence == "doubtful" and loc.reviewed_by_id == w["officer"].id
    assert loc.doubts.startswith("园区管理员未采用该定位作为企业位置")
    assert list(db.session.scalars(review_queue(w["officer"]))) == []


def test_the_officers_verdict_is_final(db, w):
    locate_firm(db, w)
    visit = onsite(w, near(900))
    review_visit(visit, w["officer"], "verified", "企业另有二厂区在此", NOW)
    db.session.commit()
    assert visit.evidence == "verified"
    assert db.session.get(FirmVisitSummary, w["firm"].id).last_evidenced_on == TODAY
    # moving the firm afterwards does not judge a reviewed visit again
    locate_firm(db, w, at=(FIRM_AT[0] + 0.05, FIRM_AT[1]))
    assert visit.evidence == "verified"
    with pytest.raises(ServiceError, match="不在待核验状态"):
        review_visit(visit, w["officer"], "doubtful", "再看一次", NOW)
    audit = db.session.scalar(
        select(AuditLog).where(AuditLog.entity_type == "visit", AuditLog.action == "review")
    )
    assert "核实无误" in audit.summary


def test_only_the_parks_officer_reviews(db, w):
    locate_firm(db, w)
    visit = onsite(w, near(900))
    for actor in (w["cadre"], make_user("officer", w["other_park"]), make_user("admin"), make_user("leader")):
        with pytest.raises(ServiceError, match="没有核验该走访的权限"):
            review_visit(visit, actor, "verified", "好", NOW)


def test_typing_the_firms_location_from_a_gaode_map_converts_and_rejudges(db, w):
    visit = onsite(w, near(30))
    assert visit.evidence == "pending"
    glat, glng = wgs84_to_gcj02(*FIRM_AT)
    set_firm_location(w["firm"], w["officer"], {"latitude": f"{glat:.6f}", "longitude": f"{glng:.6f}",
                                                 "datum": "gcj02"}, NOW)  # fmt: skip
    row = db.session.get(FirmLocation, w["firm"].id)
    assert haversine_m(row.latitude, row.longitude, *FIRM_AT) < 1
    assert row.source == "officer" and visit.evidence == "verified"
    # read as WGS-84 the same numbers would be ~500 m off: the datum matters
    assert haversine_m(glat, glng, *FIRM_AT) > 300


def test_only_officers_and_admins_place_firms(db, w):
    for actor in (w["cadre"], make_user("leader", w["park"]), make_user("officer", w["other_park"])):
        with pytest.raises(ServiceError, match="没有设置该企业位置的权限"):
            set_firm_location(w["firm"], actor, {"latitude": "27.8", "longitude": "112.9"}, NOW)
    with pytest.raises(ServiceError, match="请选择坐标来源"):
        set_firm_location(
            w["firm"], w["officer"], {"latitude": "27.8", "longitude": "112.9", "datum": "x"}, NOW
        )


def test_a_correction_rejudges_or_drops_the_location(db, w):
    locate_firm(db, w)
    visit = onsite(w, near(20), photo=False)
    db.session.commit()
    assert visit.evidence == "missing"
    update_visit(visit, w["cadre"], {"version": visit.version}, TODAY, files=[upload("补拍.jpg", JPEG)])
    assert visit.evidence == "verified"
    update_visit(visit, w["cadre"], {"version": visit.version, "kind": "phone"}, TODAY)
    assert visit.evidence is None and db.session.get(VisitLocation, visit.id) is None
    assert db.session.get(FirmVisitSummary, w["firm"].id).last_evidenced_on is None


# ---- who sees a location


def test_a_location_is_seen_by_its_cadre_and_the_parks_officers_and_leaders(db, w):
    locate_firm(db, w)
    visit = onsite(w, near(20))
    successor = make_user("cadre", w["park"])
    sees = {
        "author": w["cadre"],
        "officer": w["officer"],
        "park leader": make_user("leader", w["park"]),
    }
    blind = {
        "other park's cadre": make_user("cadre", w["other_park"]),
        "other park's officer": make_user("officer", w["other_park"]),
        "other park's leader": make_user("leader", w["other_park"]),
        "city-wide leader": make_user("leader"),
        "admin": make_user("admin"),
        "handler": make_user("handler", w["park"]),
        "successor cadre": successor,
    }
    assign_enterprise(w["firm"], successor, w["officer"], TODAY, "交接")
    db.session.commit()
    visit.cadre_id = w["cadre"].id
    for who, user in sees.items():
        if who == "author":
            continue  # after the handover the author no longer serves the firm: checked below
        assert can(user, "visit.location", visit), who
    for who, user in blind.items():
        assert not can(user, "visit.location", visit), who
    assert can(successor, "visit.view", visit)  # the successor reads the visit, not where it was logged


def test_the_author_sees_their_own_location(db, w):
    visit = onsite(w, near(20))
    assert can(w["cadre"], "visit.location", visit)
    assert not can(make_user("cadre", w["park"]), "visit.location", visit)


# ---- settings and coverage


def test_evidence_settings_are_checked_and_audited(db, w):
    with pytest.raises(ServiceError, match="距企业最远距离（米）应在50到10000之间"):
        update_evidence_settings(
            w["park"], w["officer"], {"evidence_max_distance_m": "5", "evidence_max_accuracy_m": "100"}
        )
    with pytest.raises(ServiceError, match="应为整数"):
        update_evidence_settings(
            w["park"], w["officer"], {"evidence_max_distance_m": "五百", "evidence_max_accuracy_m": "100"}
        )
    with pytest.raises(ServiceError, match="没有修改该园区设置的权限"):
        update_evidence_settings(
            w["park"], w["cadre"], {"evidence_max_distance_m": "500", "evidence_max_accuracy_m": "100"}
        )
    changes = update_evidence_settings(
        w["park"],
        w["officer"],
        {"evidence_enabled": "y", "evidence_max_distance_m": "800", "evidence_max_accuracy_m": "100"},
    )
    assert changes == {"evidence_max_distance_m": (500, 800)}
    fresh = make_park()
    assert (
        update_evidence_settings(
            fresh, make_user("admin"), {"evidence_max_distance_m": "500", "evidence_max_accuracy_m": "100"}
        )
        == {}
    )


def test_coverage_counts_on_site_visits_with_evidence_apart(db, w):
    locate_firm(db, w)
    second = make_enterprise(w["park"], "湘潭第二电机有限公司", cadre=w["cadre"], assigned_by=w["officer"])
    onsite(w, near(20))  # with evidence
    log_visit(second, w["cadre"], VISIT, TODAY)  # on site, no evidence
    db.session.commit()
    report = coverage_report(w["officer"], TODAY)
    row = next(c for c in report.cadres if c.cadre.id == w["cadre"].id)
    assert (row.firms, row.onsite_month, row.evidenced_month) == (2, 2, 1)
    assert report.evidence and report.totals.evidenced_month == 1 and report.totals.evidenced_pct == 50.0
