"""Hostile query strings and path ids on every GET page, for every role: never a server error.

The pages come from app.url_map, so a page added tomorrow is fuzzed too. Each page is asked for with
the query-argument names the views read (found in crm's source, plus the usual ones) set to junk:
huge and negative numbers, impossible dates, NUL and bidi control characters, 5,000-character
strings, non-ASCII digits, repeated keys and keys that collide with url_for's own arguments. Junk
reads as absent, an unknown id filters to nothing, and a path id no database column can hold is a
404. Nothing answers 5xx (TESTING propagates the exception instead: that counts the same).

No cartesian product: request i gives name j the value JUNK[(i + j) % len(JUNK)], and the roles share
the requests out, so on every page each name meets every value once while each role still walks
every page.
"""

import re
from datetime import date
from pathlib import Path

import pytest
from flask import url_for
from sqlalchemy import select

import crm
from crm.models import Notification
from crm.reporting.monthly.generate import generate_report
from crm.services.assignments.operations import handover_caseload
from crm.services.common.args import MAX_ID
from tests.support.dates import TODAY
from tests.support.factories import make_enterprise, make_user

ROLES = ["admin", "officer", "leader", "cadre", "handler"]
SKIP = {"static", "bootstrap.static"}
# Names list pages commonly read, besides those found in the source.
COMMON = (
    "page", "park", "chain", "cadre", "department", "firm", "status", "colour", "category", "level",
    "kind", "q", "sort", "dir", "from", "to", "month", "date", "day", "year", "tab", "scale", "size",
    "key", "unassigned", "overdue", "next", "show", "job", "channel", "role", "active", "all", "fresh",
    "new", "open", "extension", "hidden", "raised_from", "raised_to", "closed_from", "closed_to",
)  # fmt: skip
JUNK = (
    "99999999999999999999999",
    "9223372036854775808",  # 2**63: past a BIGINT
    "2147483648",  # 2**31: past an INTEGER (SQLite takes it, PostgreSQL does not)
    "-1",
    "0",
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
    "' OR 1=1 --",
)
# Keys that collide with url_for's own arguments or with a page's path arguments (pagination and
# export links are built from the current query string).
HOSTILE_KEYS = ("_scheme", "_method", "_external", "_anchor", "enterprise_id", "user_id", "\x00", "k" * 300)
# Path ids that cannot exist: 0, and numbers no INTEGER (or BIGINT) column holds.
BAD_IDS = (0, MAX_ID + 1, 2**63, 10**22)


def _param_names() -> list[str]:
    """Every query-argument name read in crm (args.get("x"), arg_id(request.args, "x") …) plus COMMON."""
    found: set[str] = set(COMMON)
    pattern = re.compile(r"""args(?:\.get\(|\[|,\s*)\s*["'](\w+)["']""")
    for path in Path(crm.__file__).parent.rglob("*.py"):
        found.update(pattern.findall(path.read_text(encoding="utf-8")))
    return sorted(found)


NAMES = _param_names()


def _queries(share: int) -> list[list[tuple[str, str]]]:
    """This role's share of the rotations, plus repeated keys and hostile keys."""
    rotations = range(share, len(JUNK), len(ROLES))
    out = [[(name, JUNK[(i + j) % len(JUNK)]) for j, name in enumerate(NAMES)] for i in rotations]
    repeated = [(name, value) for name in NAMES for value in ("1", "abc", "99999999999999999999")]
    out.append(repeated + [(key, "1") for key in HOSTILE_KEYS])
    return out


@pytest.fixture()
def fuzz_world(pworld, db):
    """pworld plus a handover and a monthly report, so every kind of path id has an object."""
    w = pworld
    leaving = make_user("cadre", w.park_a, username="cadre_leaving")
    make_enterprise(w.park_a, "交接测试企业有限公司", cadre=leaving, assigned_by=w.officer)
    w.handover = handover_caseload(leaving, w.cadre, w.officer, date(2026, 11, 2), "retire", "退休", 10)
    w.report = generate_report(w.officer, "2026-10", w.park_a, TODAY)
    db.session.commit()
    return w


def _ids(db, w, endpoint: str, user) -> dict[str, int | str]:
    """An existing object for each path argument of the endpoint (seen from user where it matters)."""
    note = db.session.scalar(select(Notification.id).where(Notification.user_id == user.id))
    items = {
        "lists.product_edit": w.product,
        "lists.sales_edit": w.sales,
        "lists.tech_edit": w.tech,
        "admin.chain_edit": w.chain,
        "admin.department_edit": w.dept,
        "admin.park_edit": w.park_a,
    }
    return {
        "enterprise_id": w.own_firm.id,
        "item_id": items[endpoint].id if endpoint in items else 1,
        "user_id": w.cadre.id,
        "visit_id": w.visit.id,
        "attachment_id": (w.new_attachment if endpoint.startswith("problems.") else w.attachment).id,
        "problem_id": w.p_red.id,
        "handover_id": w.handover.id,
        "report_id": w.report.id,
        "notification_id": note or 1,
        "token": "0" * 32,
    }


def _pages(app, db, w, user) -> list[tuple[str, str, dict]]:
    """(endpoint, url, path arguments) of every GET route, with existing objects."""
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIP or "GET" not in (rule.methods or ()):
            continue
        ids = _ids(db, w, rule.endpoint, user)
        values = {arg: ids.get(arg, 1) for arg in rule.arguments}
        with app.test_request_context():
            out.append((rule.endpoint, url_for(rule.endpoint, **values), values))
    return out


def _get(client, url, query=None) -> int | str:
    """The status, or the exception a view raised (TESTING propagates it instead of the 500 page)."""
    try:
        return client.get(url, query_string=query).status_code
    except Exception as exc:  # noqa: BLE001 -- any exception here is the server error under test
        return f"{type(exc).__name__}: {str(exc)[:160]}"


def _short(query) -> str:
    text = "&".join(f"{k[:20]}={str(v)[:12]!r}" for k, v in (query or [])[:4])
    return text + (" …" if query and len(query) > 4 else "")


def _report(failures: dict) -> str:
    return "\n".join(f"{url}  {error}  (e.g. ?{query})" for (url, error), query in sorted(failures.items()))


@pytest.mark.parametrize("role", ROLES)
def test_hostile_query_strings_never_give_a_server_error(app, client, login_as, fuzz_world, db, role):
    user = getattr(fuzz_world, role)
    login_as(user)
    failures: dict = {}  # (url, error) -> one query that caused it
    for _endpoint, url, _values in _pages(app, db, fuzz_world, user):
        for query in _queries(ROLES.index(role)):
            status = _get(client, url, query)
            if not isinstance(status, int) or status >= 500:
                failures.setdefault((url, str(status)), _short(query))
    assert not failures, _report(failures)


@pytest.mark.parametrize("role", ["admin", "cadre"])
def test_path_ids_no_database_holds_are_not_found(app, client, login_as, fuzz_world, db, role):
    """/enterprises/99999999999999999999 is a page that does not exist, not a failed query."""
    user = getattr(fuzz_world, role)
    login_as(user)
    wrong = {}
    for endpoint, url, values in _pages(app, db, fuzz_world, user):
        for arg in (a for a, v in values.items() if isinstance(v, int)):
            for bad in BAD_IDS:
                with app.test_request_context():
                    bad_url = url_for(endpoint, **(values | {arg: bad}))
                if (got := _get(client, bad_url)) != 404:
                    wrong[bad_url] = got
        if "token" in values:  # a string: junk in it is an unknown upload (403 for those who cannot import)
            for token in ("x" * 5000, "%00" * 32, "0" * 32 + "%0A", "..%2F" * 11, "\u202e" * 32):
                if (got := _get(client, url.replace("0" * 32, token))) not in (403, 404):
                    wrong[url.replace("0" * 32, token)[:80]] = got
    assert wrong == {}


def test_raw_query_strings_never_give_a_server_error(client, login_as, fuzz_world):
    """Bytes no form sends: invalid UTF-8, a bare %, a semicolon separator, a key without '='."""
    login_as(fuzz_world.admin)
    raw = ("park=%FF%FE&chain=%C0%80", "page=%", "page=1;park=2", "park", "=1", "&&&", "q=%E2%80%AE%00")
    for path in ("/enterprises/", "/visits/", "/problems/", "/coverage/", "/admin/users/"):
        for query in raw:
            assert client.get(f"{path}?{query}").status_code < 500, (path, query)


def test_junk_filters_read_as_absent(client, login_as, fuzz_world):
    """A filter value that cannot be an id, a date or a choice is ignored: the unfiltered list shows."""
    login_as(fuzz_world.admin)
    firm = fuzz_world.own_firm.name
    for query in ("park=99999999999999999999", "chain=-1", "cadre=%00", "status=nope", "sort=evil"):
        body = client.get(f"/enterprises/?{query}").get_data(as_text=True)
        assert firm in body, query
    assert fuzz_world.p_red.title in client.get("/problems/?raised_from=2026-13-45&firm=1e9").get_data(
        as_text=True
    )
    # An id that parses but does not exist filters to nothing.
    assert firm not in client.get(f"/enterprises/?park={MAX_ID}").get_data(as_text=True)


def test_pagination_links_keep_only_plain_arguments(app, client, login_as, fuzz_world):
    """url_with (the pagination links) never passes url_for's options or the path's arguments through."""
    firm = fuzz_world.own_firm.id
    query = {"page": "3", "_scheme": "x", "_method": "x", "enterprise_id": "7", "tab": "visits"}
    with app.test_request_context(f"/enterprises/{firm}", query_string=query):
        link = app.jinja_env.globals["url_with"](page=2)
    assert link == f"/enterprises/{firm}?page=2&tab=visits"
