from datetime import date, timedelta
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import update

from crm.extensions import db as _db
from crm.models import Assignment, Enterprise, ParkSetting, Visit
from crm.services.common.pinyin import initials
from crm.services.visits.summary import refresh_visit_summaries
from tests.support.factories import valid_credit_code
from tests.support.visits import make_visit


def add_firms(db, park, cadre, n, start=0):
    """Bulk-insert n assigned firms, each with an on-site visit and a phone call (for query-count tests)."""
    firms = [
        Enterprise(
            name=f"批量企业{start + i}",
            name_initials=initials(f"批量企业{start + i}"),
            credit_code=valid_credit_code(),
            park_id=park.id,
            is_key=i % 5 == 0,
        )
        for i in range(n)
    ]
    db.session.add_all(firms)
    db.session.flush()
    day = date(2026, 11, 2)
    db.session.add_all([Assignment(enterprise_id=f.id, cadre_id=cadre.id, start_on=day) for f in firms])
    for i, f in enumerate(firms):
        db.session.add(
            Visit(
                enterprise_id=f.id,
                cadre_id=cadre.id,
                visited_on=day - timedelta(days=i % 40),
                kind="onsite",
                summary="走访",
            )
        )
        db.session.add(
            Visit(enterprise_id=f.id, cadre_id=cadre.id, visited_on=day, kind="phone", summary="电话")
        )
    db.session.flush()
    refresh_visit_summaries()  # bulk-written visits: rebuild the derived last-visit dates
    db.session.commit()


def test_my_firms_shows_cadence_and_overdue_first(client, login_as, world, db):
    make_visit(world.own_firm, world.cadre, date(2026, 11, 2), "onsite")
    extra = Enterprise(name="从未走访的企业", credit_code=valid_credit_code(), park_id=world.park_a.id)
    db.session.add(extra)
    db.session.flush()
    # Assigned a month ago and never contacted: overdue (a firm assigned today would not be yet).
    db.session.add(Assignment(enterprise_id=extra.id, cadre_id=world.cadre.id, start_on=date(2026, 10, 1)))
    db.session.commit()
    login_as(world.cadre)
    body = client.get(f"/cadres/{world.cadre.id}").get_data(as_text=True)
    assert body.index("从未走访的企业") < body.index(world.own_firm.name)
    assert "联系·已逾期" in body and "联系·正常" in body and "1 家已逾期" in body
    assert "记录走访" in body


def test_cadre_home_redirects_to_my_firms(client, login_as, world):
    login_as(world.cadre)
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/cadres/{world.cadre.id}")


def test_my_firms_query_count_is_constant(client, login_as, world, db, count_queries):
    url = f"/cadres/{world.cadre.id}"  # read before commits expire the object (no test-side query)
    add_firms(db, world.park_a, world.cadre, 50)
    login_as(world.cadre)
    client.get(url)
    with count_queries() as small:
        client.get(url)
    add_firms(db, world.park_a, world.cadre, 450, start=50)
    with count_queries() as big:
        body = client.get(url).get_data(as_text=True)
    assert "共 501 家" in body
    assert big.count == small.count, [s[:90] for s in big.statements]


def assigned_since(firm, day: date) -> None:
    """Backdate the firm's current liaison: firms the world assigns today are not due yet."""
    _db.session.execute(
        update(Assignment)
        .where(Assignment.enterprise_id == firm.id, Assignment.end_on.is_(None))
        .values(start_on=day)
    )


def test_coverage_view_numbers_and_query_count(client, login_as, world, db, count_queries):
    make_visit(world.own_firm, world.cadre, date(2026, 11, 2), "onsite")
    assigned_since(world.other_firm, date(2026, 10, 1))
    db.session.commit()
    login_as(world.officer)
    body = client.get("/coverage/").get_data(as_text=True)
    assert world.cadre.name in body and world.cadre2.name in body
    assert "100.0%" in body  # cadre_a: 1 of 1 firm contacted this week and visited this month
    assert world.other_firm.name in body  # never visited: listed as overdue
    assert world.foreign_firm.name not in body
    add_firms(db, world.park_a, world.cadre2, 50)
    with count_queries() as small:
        client.get("/coverage/")
    add_firms(db, world.park_a, world.cadre2, 450, start=50)
    with count_queries() as big:
        assert client.get("/coverage/").status_code == 200
    assert big.count == small.count, [s[:90] for s in big.statements]


def test_coverage_export_matches_screen(client, login_as, world, db):
    make_visit(world.own_firm, world.cadre, date(2026, 11, 2), "onsite")
    db.session.commit()
    login_as(world.officer)
    resp = client.get(f"/coverage/export.xlsx?chain={world.chain.id}")
    wb = load_workbook(BytesIO(resp.data))
    cadres = list(wb["干部覆盖"].iter_rows(values_only=True))
    rows = {r[0]: r for r in cadres[1:]}
    assert rows[world.cadre.name][1:4] == (1, 1, 100.0)
    assert rows[world.cadre2.name][1] == 0  # other_firm is not in the filtered chain
    overdue = list(wb["逾期企业"].iter_rows(values_only=True))
    assert overdue[0][0] == "企业名称" and len(overdue) == 1


def test_cadence_settings_page(client, login_as, world, db):
    login_as(world.officer)
    assert "走访频次设置" in client.get("/settings/cadence").get_data(as_text=True)
    resp = client.post(
        "/settings/cadence",
        data={
            "contact_days": 5,
            "key_contact_days": "",
            "key_onsite_days": 14,
            "due_soon_days": 1,
            "visit_edit_days": 3,
        },
    )
    assert resp.status_code == 302
    setting = db.session.get(ParkSetting, world.park_a.id)
    assert (setting.contact_days, setting.key_onsite_days, setting.visit_edit_days) == (5, 14, 3)
    resp = client.post(
        "/settings/cadence", data={"contact_days": 0, "due_soon_days": 1, "visit_edit_days": 3}
    )
    assert "1到60" in resp.get_data(as_text=True)
    # an officer only ever edits their own park, whatever ?park= says
    client.post(
        f"/settings/cadence?park={world.park_b.id}",
        data={"contact_days": 9, "due_soon_days": 1, "visit_edit_days": 3},
    )
    assert db.session.get(ParkSetting, world.park_b.id) is None


def test_officer_dashboard_shows_visit_coverage_with_constant_queries(
    client, login_as, world, db, count_queries
):
    make_visit(world.own_firm, world.cadre, date(2026, 11, 2), "onsite")
    db.session.commit()
    login_as(world.officer)
    body = client.get("/").get_data(as_text=True)
    # park A: own_firm contacted this week and visited this month, other_firm never: 1 of 2
    assert "走访情况" in body and "本周联系覆盖" in body and "50.0" in body
    assert "走访逾期企业" in body and "/coverage/" in body
    add_firms(db, world.park_a, world.cadre2, 30)
    with count_queries() as small:
        client.get("/")
    add_firms(db, world.park_a, world.cadre2, 300, start=30)
    with count_queries() as big:
        assert client.get("/").status_code == 200
    assert big.count == small.count, [s[:90] for s in big.statements]


def test_my_firms_says_never_visited_and_not_tracked_in_words(client, login_as, world, db):
    closed = Enterprise(
        name="已停产企业", credit_code=valid_credit_code(), park_id=world.park_a.id, status="suspended"
    )
    db.session.add(closed)
    db.session.flush()
    db.session.add(Assignment(enterprise_id=closed.id, cadre_id=world.cadre2.id, start_on=date(2026, 10, 1)))
    assigned_since(world.other_firm, date(2026, 10, 1))
    db.session.commit()
    login_as(world.cadre2)
    body = client.get(f"/cadres/{world.cadre2.id}").get_data(as_text=True)
    assert "从未走访" in body and "从未联系" in body and "从未上门" in body  # other_firm: no visit at all
    assert "联系·不考核" in body  # a suspended firm has no cadence


def test_handover_deadline_shows_only_until_the_first_on_site_visit(client, login_as, world, db):
    from crm.services.assignments.operations import handover_caseload

    # other_firm (never visited) moves from cadre2 to cadre: the successor owes a first visit by 11-17
    handover_caseload(world.cadre2, world.cadre, world.officer, date(2026, 11, 2), "retire")
    db.session.commit()
    login_as(world.cadre)
    url = f"/cadres/{world.cadre.id}"
    body = client.get(url).get_data(as_text=True)
    assert body.count("交接后首次上门走访期限 2026-11-17") == 1  # not on own_firm, which was not handed over
    make_visit(world.other_firm, world.cadre, date(2026, 11, 2), "onsite")
    db.session.commit()
    assert "交接后首次上门走访期限" not in client.get(url).get_data(as_text=True)
