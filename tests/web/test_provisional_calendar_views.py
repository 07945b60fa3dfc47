"""Deadlines in a year whose 调休 is not entered yet are provisional: whoever sees them is told."""

from datetime import date

from crm.extensions import db
from crm.models import CalendarYear
from tests.support.problems import make_problem

NYE = date(2026, 12, 31)
CAVEAT = "2027年调休安排尚未录入，期限按法定节假日和周一至周五推算，录入后将自动调整"


def page(client, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, url
    return resp.get_data(as_text=True)


def test_the_handler_and_the_officer_see_the_caveat_until_the_year_is_confirmed(client, login_as, pworld):
    w = pworld
    p = make_problem(w.own_firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=NYE, on=NYE)
    db.session.commit()
    assert p.sign_due_on == date(2027, 1, 4)
    login_as(w.handler)
    detail = page(client, f"/problems/{p.id}")
    assert "data-provisional-calendar" in detail and CAVEAT in detail
    assert CAVEAT in page(client, "/problems/inbox?tab=sign")
    login_as(w.officer)
    assert CAVEAT not in page(client, "/problems/board")  # green: not on the board
    make_problem(w.own_firm, w.cadre, "extension", w.dept, w.handler, raised_on=NYE, on=NYE)
    db.session.commit()
    assert CAVEAT in page(client, "/problems/board")  # its extension request awaits the officer
    db.session.add(CalendarYear(year=2027))
    db.session.commit()
    login_as(w.handler)
    assert CAVEAT not in page(client, f"/problems/{p.id}")
    assert CAVEAT not in page(client, "/problems/inbox?tab=sign")


def test_no_caveat_for_deadlines_in_known_years(client, login_as, pworld):
    w = pworld
    login_as(w.handler)
    assert "data-provisional-calendar" not in page(client, f"/problems/{w.p_yellow.id}")
    assert "data-provisional-calendar" not in page(client, "/problems/inbox?tab=sign")
