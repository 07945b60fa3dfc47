"""Hostile query strings and path ids on every GET page, for every role: never a server error.

The pages come from app.url_map, so a page added tomorrow is fuzzed too. Each page is asked for with
path ids that exist, that cannot exist (0) and that no database column can hold; and with every
query-argument name the views read (found in crm's source, plus the usual ones) set to junk: huge
and negative numbers, impossible dates, NUL and bidi control characters, 5,000-character strings,
non-ASCII digits, repeated keys and keys that collide with url_for's own arguments. Junk reads as
absent; an unknown id filters to nothing or answers 404. Nothing answers 5xx.

Requests rotate the junk over the names (name j gets value (i + j) of request i), so every name meets
every value on every page without a cartesian product.
"""

import re
from datetime import date
from pathlib import Path

import pytest
from flask import url_for
from sqlalchemy import select

import crm
from crm.models import Notification
from crm.services.assignments.operations import handover_caseload
from crm.services.common.args import MAX_ID
from tests.support.factories import make_enterprise, make_user

ROLES = ["admin", "officer", "leader", "cadre", "handler"]
SKIP = {"static", "bootstrap.static"}
# Names every list page might read, besides those found in the source.
COMMON = (
    "page", "park", "chain", "cadre", "department", "firm", "status", "colour", "category", "level",
    "kind", "q", "sort", "dir", "from", "to", "month", "date", "day", "year", "tab", "scale", "size",
    "key", "unassigned", "overdue", "next", "show", "job", "channel", "role", "active", "all", "fresh",
    "new", "open", "extension", "raised_from", "raised_to", "closed_from", "closed_to",
)  # fmt: skip
JUNK = (
    "99999999999999999999999",
    "9223372036854775808",  # 2**63: past a BIGINT
    "2147483648",  # 2**31: past an INTEGER
    "-1",
    "0",
    "-0",
    "1e9",
    "abc",
    "2026-13-45",
    "9999-12-31",
    "0001-01-01",
    "20261102",
    "2026-W45-1",
    "\x00",
    "1\x00",
    "%00",
    "\u202e1",
    "x" * 5000,
    "",
    "²",
    "١٢",  # Arabic-Indic digits: int() reads them
    "１２",
    "1_0",
    " 1 ",
    "NaN",
    "' OR 1=1 --",
)
# Keys that collide with url_for's own arguments or with a page's path arguments (pagination links
# are built from the current query string).
HOSTILE_KEYS = ("_scheme", "_method", "_external", "_anchor", "enterprise_id", "user_id", "\x00", "k" * 300)
# Path ids: none exists, and none fits a database integer.
BAD_IDS = (0, 2**31, 2**63, 10**22)


def _param_names() -> list[str]:
    """Every query-argument name read in crm (args.get("x"), arg_*(args, "x") …) plus COMMON."""
    found: set[str] = set(COMMON)
    pattern = re.compile(r"""args(?:\.get\(|\[|,\s*)\s*["'](\w+)["']""")
    for path in Path(crm.__file__).parent.rglob("*.py"):
        found.update(pattern.findall(path.read_text(encoding="utf-8")))
    return sorted(found)


NAMES = _param_names()


def _queries() -> list[list[tuple[str, str]]]:
    out = [[(name, JUNK[(i + j) % len(JUNK)]) for j, name in enumerate(NAMES)] for i in range(len(JUNK))]
    out.append([(name, value) for name in NAMES for value in ("1", "abc", "99999999999999999999")])
    out.append([(key, "1") for key in HOSTILE_KEYS] + [("page", "2")])
    return out


QUERIES = _queries()


@pytest.fixture()
def fuzz_world(pworld, db):
    w = pworld
    leaving = make_user("cadre", w.park_a, username="cadre_leaving")
    make_enterprise(w.park_a, "交接测试企业有限公司", cadre=leaving, assigned_by=w.officer)
    w.handover = handover_caseload(leaving, w.cadre, w.officer, date(2026, 11, 2), "retire", "退休", 10)
    db.session.commit()
    return w


def _ids(db, w, endpoint: str, role_user) -> dict[str, int | str]:
    """An existing object for each path argument of the endpoint."""
    note = db.session.scalar(
        select(Notification.id).where(Notification.user_id == role_user.id).order_by(Notification.id)
    )
    items = {"lists.product_edit": w.product, "lists.sales_edit": w.sales, "lists.tech_edit": w.tech}
    attachment = w.new_attachment if endpoint.startswith("problems.") else w.attachment
    return {
        "enterprise_id": w.own_firm.id,
        "item_id": items[endpoint].id if endpoint in items else 1,
        "user_id": w.cadre.id,
        "visit_id": w.visit.id,
        "attachment_id": attachment.id,
        "problem_id": w.p_red.id,
        "handover_id": w.handover.id,
        "report_id": 1,
        "notification_id": note or 1,
        "token": "0" * 32,
    }


def _pages(app, db, w, user) -> list[tuple[str, str, dict]]:
    """(endpoint, path, path arguments) of every GET route, with existing objects."""
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIP or "GET" not in (rule.methods or ()):
            continue
        ids = _ids(db, w, rule.endpoint, user)
        values = {arg: ids[arg] for arg in rule.arguments}
        with app.test_request_context():
            out.append((rule.endpoint, url_for(rule.endpoint, **values), values))
    return out


def _request(client, url, query, failures: dict) -> None:
    """One GET; a 5xx (or the exception TESTING propagates instead of one) is kept per page and error."""
    try:
        status = client.get(url, query_string=query).status_code
    except Exception as exc:  # noqa: BLE001 -- any exception is the server error under test
        status = f"{type(exc).__name__}: {str(exc)[:160]}"
    if not isinstance(status, int) or status >= 500:
        failures.setdefault((url.split("?")[0], str(status)), _short(query))


def _short(query) -> str:
    text = "&".join(f"{k[:20]}={str(v)[:12]!r}" for k, v in (query or [])[:4])
    return text + (" …" if query and len(query) > 4 else "")


def _report(failures: dict) -> str:
    return "\n".join(f"{url}  {error}  (e.g. ?{query})" for (url, error), query in sorted(failures.items()))


@pytest.mark.parametrize("role", ROLES)
def test_no_query_string_or_path_id_gives_a_server_error(app, client, login_as, fuzz_world, db, role):
    w = fuzz_world
    user = getattr(w, role)
    login_as(user)
    failures: dict = {}
    for endpoint, url, values in _pages(app, db, w, user):
        for query in QUERIES:
            _request(client, url, query, failures)
        ints = [arg for arg in values if arg != "token"]
        for arg in ints:
            for bad in BAD_IDS:
                with app.test_request_context():
                    _request(client, url_for(endpoint, **(values | {arg: bad})), None, failures)
        if "token" in values:
            for token in ("x" * 5000, "\x00" * 32, "0" * 32 + "\n", "../" * 11):
                _request(client, url.replace("0" * 32, token.replace("/", "%2F")), None, failures)
    assert not failures, _report(failures)


def test_raw_query_strings_never_give_a_server_error(client, login_as, fuzz_world):
    """Bytes no form would send: invalid UTF-8, bare %, a semicolon separator, a key without '='."""
    login_as(fuzz_world.admin)
    raw = ("park=%FF%FE&chain=%C0%80", "page=%", "page=1;park=2", "park", "=1", "&&&", "q=%E2%80%AE%00")
    for path in ("/enterprises/", "/visits/", "/problems/", "/coverage/", "/admin/users/"):
        for query in raw:
            assert client.get(f"{path}?{query}").status_code < 500, (path, query)


@pytest.mark.parametrize("value", ["1", str(MAX_ID), str(MAX_ID + 1), "99999999999999999999", "-5"])
def test_pagination_links_keep_only_plain_arguments(app, client, login_as, fuzz_world, value):
    """url_with (the pagination links) never passes url_for's reserved or path arguments through."""
    login_as(fuzz_world.admin)
    firm = fuzz_world.own_firm.id
    query = {"page": value, "_scheme": "x", "_method": "x", "enterprise_id": "7", "tab": "visits"}
    with app.test_request_context(f"/enterprises/{firm}", query_string=query):
        link = app.jinja_env.globals["url_with"](page=2)
    assert link.startswith(f"/enterprises/{firm}?") and "_scheme" not in link and "enterprise_id" not in link
