"""The KPIs on the pages: the dashboards' 本月办理指标 show the running month's workbook figures with
their formula as the title, and the 指标说明 page lists the very definitions the workbook uses."""

import html
import re

import pytest

from crm.reporting.monthly.build import build_monthly_report
from crm.reporting.monthly.kpis import report_kpis
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.writer import SHEETS
from crm.services.kpi import KPIS
from crm.services.kpi.definitions import CONVENTIONS
from tests.support.dates import TODAY
from tests.support.factories import make_user
from tests.support.month_close import close
from tests.support.reports import report_world


@pytest.fixture()
def w(db):
    world = report_world()
    db.session.commit()
    return world


def _cards(body: str) -> dict[str, dict]:
    """{key: {title, value, counts, last, href}} of the 本月办理指标 cards."""
    panel = body.split("data-month-kpis", 1)[1].split("</div>\n</div>", 1)[0]
    out = {}
    for match in re.finditer(
        r'<a [^>]*href="([^"]*)" title="([^"]*)" data-kpi="(\w+)">.*?data-kpi-value>(.*?)</div>'
        r".*?data-kpi-counts>(.*?)</div>\s*(?:<div [^>]*data-kpi-last>(.*?)</div>)?",
        panel,
        re.S,
    ):
        href, title, key, value, counts, last = match.groups()
        out[key] = {
            "href": html.unescape(href),
            "title": html.unescape(title),
            "value": re.sub(r"<[^>]+>", "", value).strip(),
            "counts": html.unescape(counts).strip(),
            "last": last,
        }
    return out


def _workbook_kpis(park=None, month=f"{TODAY:%Y-%m}"):
    return report_kpis(build_monthly_report(ReportScope(park), Period.parse(month, TODAY)))


def _shown(count) -> str:
    if count.value is None:
        return "—"
    return f"{count.value:.1f}{'%' if count.kpi.is_rate else count.kpi.unit}"


@pytest.mark.parametrize("who", ["officer", "leader", "leader_park_b"])
def test_month_cards_are_the_running_months_workbook(client, login_as, w, who):
    user, park, query = {
        "officer": (w.officer, w.park_a, ""),
        "leader": (w.leader, None, ""),
        "leader_park_b": (w.leader, w.park_b, f"?park={w.park_b.id}"),
    }[who]
    login_as(user)
    cards = _cards(client.get(f"/{query}").get_data(as_text=True))
    assert all(card["last"] is None for card in cards.values())  # October is not closed before 11-04
    october = _workbook_kpis(park, "2026-10")
    close()  # 月结: now last month's figures are frozen and shown beside this month's
    last = _cards(client.get(f"/{query}").get_data(as_text=True))
    book = _workbook_kpis(park)
    problem_keys = [k for k, c in book.items() if c.kpi.group == "问题办理"]
    assert list(cards) == problem_keys
    for key in problem_keys:
        card, count = cards[key], book[key]
        assert card["value"] == _shown(count), key
        assert card["counts"] == f"{count.part} ÷ {count.whole}", key
        assert card["title"] == KPIS[key].description
        assert last[key]["last"] == f"上月 {KPIS[key].display(october[key].value)}", key  # October's book
    assert cards["overdue_rate"]["href"].startswith("/problems/?colour=red")
    assert cards["on_time_rate"]["href"] == "/reports/definitions#kpi-on_time_rate"


def test_month_cards_of_park_a_on_the_second_of_november(client, login_as, w):
    """Worked out by hand: P5 resolved 11-02 within its limit (11-03); P2 (due 10-12) still open."""
    login_as(w.officer)
    cards = _cards(client.get("/").get_data(as_text=True))
    assert cards["on_time_rate"]["value"] == "100.0%" and cards["on_time_rate"]["counts"] == "1 ÷ 1"
    assert cards["resolution_rate"]["value"] == "50.0%" and cards["resolution_rate"]["counts"] == "1 ÷ 2"
    assert cards["satisfaction_rate"]["value"] == "—"  # nobody evaluated in November yet
    assert cards["signed_on_time_rate"]["counts"] == "0 ÷ 0"
    # October (tests/support/reports.py), once closed: P1 late, P6 on time; 3 of 4 evaluations satisfied.
    close()
    cards = _cards(client.get("/").get_data(as_text=True))
    assert (
        cards["on_time_rate"]["last"] == "上月 50.0%" and cards["satisfaction_rate"]["last"] == "上月 75.0%"
    )


def test_every_rate_on_the_dashboard_carries_its_formula(client, login_as, w):
    login_as(w.leader)
    body = html.unescape(client.get("/").get_data(as_text=True))
    for key in ("weekly_contact_coverage", "onsite_coverage", "on_time_rate"):
        assert f'title="{KPIS[key].description}"' in body, key
    assert 'href="/reports/definitions"' in body


def test_a_park_level_user_without_a_park_sees_no_city_figures(client, login_as, w):
    stray = make_user("officer", None, username="officer_nopark")
    login_as(stray)
    body = client.get("/").get_data(as_text=True)
    assert "data-month-kpis" not in body


@pytest.mark.parametrize("role", ["officer", "leader", "cadre", "handler", "admin"])
def test_definitions_page_lists_every_kpi_and_convention(client, login_as, w, role):
    user = {"officer": w.officer, "leader": w.leader, "cadre": w.c1, "handler": w.h1, "admin": w.admin}[role]
    login_as(user)
    response = client.get("/reports/definitions")
    assert response.status_code == 200
    body = html.unescape(response.get_data(as_text=True))
    for key, k in KPIS.items():
        assert f'id="kpi-{key}"' in body
        for text in (k.label, k.formula, k.numerator, k.denominator, k.note):
            assert text in body, (key, text)
    for title, text in CONVENTIONS:
        assert title in body and text in body
    assert ('href="/reports/"' in body) == (role in ("officer", "leader", "admin"))


def test_reports_page_links_the_definitions_and_names_every_sheet(client, login_as, w):
    login_as(w.officer)
    body = client.get("/reports/").get_data(as_text=True)
    assert 'href="/reports/definitions"' in body
    assert f"{'、'.join(SHEETS)}，共{len(SHEETS)}张工作表" in body and "指标说明" in SHEETS


def test_coverage_page_counts_every_served_firm(client, login_as, w, db):
    """A firm whose liaison is a city-level cadre is in the totals (as in the workbook), not in the table."""
    from crm.services.assignments.operations import assign_enterprise

    city_cadre = make_user("cadre", None, username="cadre_city", name="市级干部")
    assign_enterprise(w.f5, city_cadre, w.officer, TODAY, "市级干部联系")
    db.session.commit()
    login_as(w.officer)
    body = client.get("/coverage/").get_data(as_text=True)
    assert "另有 1 家企业的联系干部不属于本园区或账号已停用" in body
    firms = re.search(r"在营联系企业</div><div class=\"display-6\">(\d+)", body).group(1)
    book = _workbook_kpis(w.park_a)
    assert int(firms) == book["onsite_coverage"].whole == 6  # f1 to f4, f5 (city cadre), f7 (since 11-02)
    assert f'title="{html.escape(KPIS["onsite_coverage"].description)}"' in body.replace("&#34;", "&quot;")
