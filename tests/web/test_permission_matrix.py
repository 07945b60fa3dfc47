"""Every route × every role. The matrix is checked against app.url_map so no route can escape it.

Expected values: an int status, "ok" (200, or a redirect that is not to the login page),
or "login" (redirect to the login page).
"""

import pytest

ROLES = ["anon", "admin", "leader", "officer", "officer_b", "cadre", "handler"]
PUBLIC = {"static", "bootstrap.static", "auth.login"}

ALL_OK = dict.fromkeys(ROLES[1:], "ok")


def expect(default, **overrides):
    out = {"anon": "login"} | dict.fromkeys(ROLES[1:], default)
    out.update(overrides)
    return out


# (endpoint, method, url template, expectations). {own} = cadre's firm in park A, {other} = another
# cadre's firm in park A, {foreign} = a park-B firm, {cadre} = cadre_a's id, {cadre_b} = cadre_b's id.
CASES = [
    ("main.index", "GET", "/", expect("ok")),
    ("auth.logout", "POST", "/logout", expect(302)),
    ("auth.password", "GET", "/password", expect("ok")),
    ("enterprises.index", "GET", "/enterprises/", expect("ok")),
    ("enterprises.export", "GET", "/enterprises/export.xlsx", expect("ok", handler=403)),
    ("enterprises.create", "GET", "/enterprises/new", expect(403, admin="ok", officer="ok", officer_b="ok")),
    ("enterprises.detail", "GET", "/enterprises/{own}", expect("ok", officer_b=404)),
    ("enterprises.detail", "GET", "/enterprises/{other}", expect("ok", officer_b=404, cadre=404)),
    (
        "enterprises.detail",
        "GET",
        "/enterprises/{foreign}",
        expect("ok", officer=404, cadre=404, handler=404),
    ),
    (
        "enterprises.edit",
        "GET",
        "/enterprises/{own}/edit",
        expect(403, admin="ok", officer="ok", officer_b=404),
    ),
    (
        "enterprises.edit",
        "POST",
        "/enterprises/{other}/edit",
        expect(403, admin="ok", officer="ok", officer_b=404, cadre=404),
    ),
    (
        "enterprises.edit",
        "GET",
        "/enterprises/{foreign}/edit",
        expect(403, admin="ok", officer=404, officer_b="ok", cadre=404, handler=404),
    ),
    (
        "enterprises.assign",
        "GET",
        "/enterprises/{own}/assign",
        expect(403, admin="ok", officer="ok", officer_b=404),
    ),
    (
        "enterprises.assign",
        "POST",
        "/enterprises/{foreign}/assign",
        expect(403, admin="ok", officer=404, officer_b="ok", cadre=404, handler=404),
    ),
    (
        "enterprises.unassign",
        "POST",
        "/enterprises/{own}/unassign",
        expect(403, admin="ok", officer="ok", officer_b=404),
    ),
    ("assignments.cadres", "GET", "/cadres/", expect("ok", handler=403)),
    ("assignments.caseload", "GET", "/cadres/{cadre}", expect("ok", officer_b=404, handler=403)),
    ("assignments.caseload", "GET", "/cadres/{cadre_b}", expect("ok", officer=404, cadre=404, handler=404)),
    (
        "assignments.handovers",
        "GET",
        "/handovers/",
        expect(403, admin="ok", leader="ok", officer="ok", officer_b="ok"),
    ),
    (
        "assignments.handover_new",
        "GET",
        "/handovers/new",
        expect(403, admin="ok", officer="ok", officer_b="ok"),
    ),
    ("assignments.handover_detail", "GET", "/handovers/999999", expect(404, cadre=403, handler=403)),
]


def _url(template, w):
    return template.format(
        own=w.own_firm.id,
        other=w.other_firm.id,
        foreign=w.foreign_firm.id,
        cadre=w.cadre.id,
        cadre_b=w.cadre_b.id,
    )


def test_every_route_is_in_the_matrix(app):
    """A new route must be added to CASES (or explicitly to PUBLIC) before the suite passes."""
    covered = {c[0] for c in CASES} | PUBLIC | set(EXTRA_ENDPOINTS)
    missing = sorted({r.endpoint for r in app.url_map.iter_rules()} - covered)
    assert missing == [], f"routes missing from the permission matrix: {missing}"


# Endpoints whose matrix rows live in their feature's own test module (checked there).
EXTRA_ENDPOINTS: set[str] = set()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint, method, template, expected", CASES, ids=[f"{c[1]} {c[2]}" for c in CASES])
def test_route_answers_by_role(client, login_as, world, role, endpoint, method, template, expected):
    if role != "anon":
        login_as(getattr(world, role))
    url = _url(template, world)
    resp = client.open(url, method=method)
    want = expected[role]
    if want == "login":
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    elif want == "ok":
        assert resp.status_code in (200, 302), resp.status_code
        if resp.status_code == 302:
            assert "/login" not in resp.headers["Location"]
    else:
        assert resp.status_code == want
