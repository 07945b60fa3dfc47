"""Permission matrix of the problem routes on real problems: every route × every role, including two
departments' handlers, a department head and both leader levels (the shared matrix in
test_permission_matrix.py covers the object-free rows and unknown ids).

Handlers see only their department's problems, cadres only their firms', officers their park's;
leaders everything in scope read-only plus 批示. Expected: "ok" (200 or a redirect not to the login
page), "login", or a status code.
"""

import pytest

ROLES = ["anon", "admin", "leader", "chief", "officer", "officer_b", "cadre", "cadre2", "handler", "handler2",
         "head"]  # fmt: skip


def expect(default, **overrides):
    out = {"anon": "login"} | dict.fromkeys(ROLES[1:], default)
    out.update(overrides)
    return out


LEADERS_OK = {"admin": "ok", "leader": "ok", "chief": "ok"}
CASES = [
    ("GET", "/problems/", expect("ok")),
    ("GET", "/problems/export.xlsx", expect("ok")),
    ("GET", "/problems/inbox", expect(403, handler="ok", handler2="ok", head="ok")),
    ("GET", "/problems/board", expect(403, admin="ok", officer="ok", officer_b="ok")),
    (
        "GET",
        "/problems/escalations",
        expect("ok", cadre=403, cadre2=403, handler=403, handler2=403, head=403),
    ),
    # A problem not yet handed to any department: the firm's cadre and park, not the departments.
    ("GET", "/problems/{p_new}", expect(404, officer="ok", cadre="ok", **LEADERS_OK)),
    ("GET", "/problems/{p_red}", expect("ok", officer_b=404, cadre2=404, handler2=404)),
    # Park B's firm, handed to a city-level department: park B and that department.
    ("GET", "/problems/{p_foreign}", expect(404, officer_b="ok", handler="ok", head="ok", **LEADERS_OK)),
    ("GET", "/problems/{p_dept2}", expect("ok", officer_b=404, cadre2=404, handler=404, head=404)),
    # Steps: in scope but not the viewer's role -> 403; out of scope -> 404.
    (
        "POST",
        "/problems/{p_new}/dispatch",
        expect(404, admin="ok", officer="ok", leader=403, chief=403, cadre=403),
    ),
    (
        "POST",
        "/problems/{p_yellow}/accept",
        expect(403, handler="ok", head="ok", officer_b=404, cadre=404, handler2=404),
    ),
    (
        "POST",
        "/problems/{p_resolved}/evaluate",
        expect(403, admin="ok", officer="ok", cadre="ok", officer_b=404, cadre2=404, handler2=404),
    ),
    (
        "POST",
        "/problems/{p_red}/instruct",
        expect(403, leader="ok", chief="ok", officer_b=404, cadre2=404, handler2=404),
    ),
    (
        "POST",
        "/problems/{p_ext}/approve_extension",
        expect(403, admin="ok", officer="ok", officer_b=404, cadre2=404, handler2=404),
    ),
    (
        "POST",
        "/problems/{p_foreign}/supervise",
        expect(403, admin="ok", officer_b="ok", officer=404, cadre=404, cadre2=404, handler2=404),
    ),
    (
        "POST",
        "/problems/{p_green}/resolve",
        expect(403, handler="ok", head="ok", officer_b=404, cadre2=404, handler2=404),
    ),
    (
        "POST",
        "/problems/{p_dept2}/progress",
        expect(403, handler2="ok", officer_b=404, cadre2=404, handler=404, head=404),
    ),  # fmt: skip
    # Attachments follow the problem's visibility.
    ("GET", "/problems/attachments/{new_attachment}", expect(404, officer="ok", cadre="ok", **LEADERS_OK)),
    (
        "GET",
        "/problems/attachments/{event_attachment}",
        expect("ok", officer_b=404, cadre2=404, handler2=404),
    ),
]


def _url(template: str, w) -> str:
    names = {"new_attachment": w.new_attachment.id, "event_attachment": w.event_attachment.id}
    names |= {n: getattr(w, n).id for n in vars(w) if n.startswith("p_")}
    return template.format(**names)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, template, expected", CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_problem_route_answers_by_role(client, login_as, pworld, role, method, template, expected):
    if role != "anon":
        login_as(getattr(pworld, role))
    resp = client.open(_url(template, pworld), method=method, data={"note": "矩阵测试意见"})
    want = expected[role]
    if want == "login":
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    elif want == "ok":
        assert resp.status_code in (200, 302), resp.status_code
        if resp.status_code == 302:
            assert "/login" not in resp.headers["Location"]
    else:
        assert resp.status_code == want
