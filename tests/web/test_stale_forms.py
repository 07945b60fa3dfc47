"""Every form that edits a versioned row sends the version its user saw; a stale POST is refused with a
Chinese message and changes nothing, and so is a write that loses a race after the check (no 500), and
a POST that carries no version at all (absent, blank or garbled): the version is required, not optional."""

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm.exc import StaleDataError

from crm.extensions import db as _db
from crm.models import AuditLog, Enterprise, Problem, ProblemEvent, ProductItem, SalesItem, TechItem, Visit
from crm.services.common.locking import MISSING_VERSION_MESSAGE
from crm.services.enterprises import lists as list_service
from crm.services.enterprises import registry as firm_service
from crm.services.visits import records as visit_service
from tests.support.dates import TODAY


@dataclass
class Case:
    page: str  # where the user opened the form (it must carry the version)
    action: str  # where the form posts
    data: dict
    model: type
    row: str  # attribute of the world holding the row
    other: Callable  # another user's change, made after the page was opened
    service: tuple[str, str]  # (routes module, service name) for the race test
    message: str
    form_marker: str  # the text that identifies the form on its page


def _firm_data(w) -> dict:
    f = w.own_firm
    return {"name": f.name, "credit_code": f.credit_code, "park_id": f.park_id, "chain_id": f.chain_id,
            "status": "active", "scale_type": "", "size": "", "contact_name": "我填的联系人"}  # fmt: skip


def _cases(w) -> dict[str, Case]:
    firm = f"/enterprises/{w.own_firm.id}"
    lists = "crm.blueprints.lists.routes"

    def item_case(kind, tab, row, model, data, noun, verb="edit", other=None):
        item = getattr(w, row)
        base = f"{firm}/{kind}/{item.id}"
        page = f"{base}/edit" if verb == "edit" else f"{firm}?tab={tab}"
        name = {"edit": f"update_{row}", "delete": f"delete_{row}", "done": "tick_off_tech"}[verb]
        update = getattr(list_service, f"update_{row}")
        change = other or (lambda: update(item, w.officer, {"note": "别人改的"}))
        marker = f'action="{base}/{verb}"' if verb != "edit" else ""
        return Case(page, f"{base}/{verb}", data, model, row, change, (lists, name),
                    f"该{noun}记录已被其他人修改", marker)  # fmt: skip

    tech_other = lambda: list_service.update_tech(w.tech, w.officer, {"partner": "别人填的大学"})  # noqa: E731
    return {
        "firm_edit": Case(
            f"{firm}/edit",
            f"{firm}/edit",
            _firm_data(w),
            Enterprise,
            "own_firm",
            lambda: firm_service.update_enterprise(w.own_firm, {"contact_name": "别人填的"}, w.admin),
            ("crm.blueprints.enterprises.routes", "update_enterprise"),
            "该企业档案已被其他人修改",
            "",
        ),  # fmt: skip
        "product_edit": item_case(
            "products", "products", "product", ProductItem, {"name": "我改的产品名"}, "产品"
        ),  # fmt: skip
        "product_delete": item_case("products", "products", "product", ProductItem, {}, "产品", "delete"),
        "sales_edit": item_case(
            "sales", "sales", "sales", SalesItem, {"period": "2026-10", "amount": "999"}, "销售"
        ),  # fmt: skip
        "sales_delete": item_case("sales", "sales", "sales", SalesItem, {}, "销售", "delete"),
        "tech_edit": item_case(
            "tech",
            "tech",
            "tech",
            TechItem,
            {"kind": "demand", "title": "我改的标题", "status": "matching"},
            "技术",
            other=tech_other,
        ),  # fmt: skip
        "tech_delete": item_case("tech", "tech", "tech", TechItem, {}, "技术", "delete", other=tech_other),
        "tech_done": item_case("tech", "tech", "tech", TechItem, {}, "技术", "done", other=tech_other),
        "visit_edit": Case(
            f"/visits/{w.visit.id}/edit",
            f"/visits/{w.visit.id}/edit",
            _visit_data(w),
            Visit,
            "visit",
            lambda: visit_service.update_visit(w.visit, w.admin, {"findings": "别人补充的发现"}, TODAY),
            ("crm.blueprints.visits.routes", "update_visit"),
            "该走访记录已被其他人修改",
            "",
        ),  # fmt: skip
    }


def _visit_data(w) -> dict:
    v = w.visit
    return {"visited_on": v.visited_on.isoformat(), "kind": v.kind, "participants": v.participants or "",
            "summary": "我改的走访情况", "findings": v.findings or ""}  # fmt: skip


CASES = ["firm_edit", "product_edit", "product_delete", "sales_edit", "sales_delete", "tech_edit",
         "tech_delete", "tech_done", "visit_edit"]  # fmt: skip


def _version_on_page(html: str, marker: str) -> str:
    """The version the page's form carries (for a tab: inside the form posting to `marker`)."""
    if marker:
        start = html.index(marker)
        html = html[start : html.index("</form>", start)]
    found = re.findall(r'<input[^>]*name="version"[^>]*value="(\d+)"', html)
    assert len(found) == 1, "the form must carry exactly one version field"
    return found[0]


def _snapshot(model: type, row_id: int) -> tuple:
    """The row (or its absence) and the audit trail: what a refused POST must leave untouched."""
    _db.session.expire_all()
    row = _db.session.get(model, row_id)
    columns = None if row is None else tuple(getattr(row, c.key) for c in model.__table__.columns)
    return columns, _db.session.scalar(select(func.count()).select_from(AuditLog))


@pytest.mark.parametrize("name", CASES)
def test_a_stale_form_is_refused_and_changes_nothing(client, login_as, world, name):
    case = _cases(world)[name]
    row_id = getattr(world, case.row).id
    login_as(world.officer)
    seen = _version_on_page(client.get(case.page).get_data(as_text=True), case.form_marker)
    assert seen == str(getattr(world, case.row).version)
    case.other()  # someone else saves first
    _db.session.commit()
    before = _snapshot(case.model, row_id)
    resp = client.post(case.action, data=case.data | {"version": seen})
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert case.message in page and "您的" in page
    assert _snapshot(case.model, row_id) == before
    if name.endswith("_edit"):  # back on the form, now showing the other user's values and version
        assert resp.headers["Location"].endswith(case.action)
        assert _version_on_page(page, "") == str(int(seen) + 1)


@pytest.mark.parametrize("name", CASES)
def test_the_current_version_is_accepted(client, login_as, world, name):
    case = _cases(world)[name]
    login_as(world.officer)
    seen = _version_on_page(client.get(case.page).get_data(as_text=True), case.form_marker)
    before = _snapshot(case.model, getattr(world, case.row).id)
    resp = client.post(case.action, data=case.data | {"version": seen})
    assert resp.status_code == 302
    assert "已被其他人修改" not in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert _snapshot(case.model, getattr(world, case.row).id) != before


@pytest.mark.parametrize("name", CASES)
def test_a_write_that_loses_the_race_after_the_check_is_refused_without_a_500(
    client, login_as, world, monkeypatch, name
):
    """Another request commits between this request's version check and its flush (StaleDataError)."""
    import importlib

    case = _cases(world)[name]
    module = importlib.import_module(case.service[0])
    real = getattr(module, case.service[1])
    table = case.model.__table__

    lost = []

    def racing(row, *args, **kwargs):
        row_id = row.id
        with _db.engine.begin() as conn:  # the other user's save, committed meanwhile
            bump = {"version": table.c.version + 1, "updated_at": table.c.updated_at}
            conn.execute(update(table).where(table.c.id == row_id).values(bump))
        try:
            return real(row, *args, **kwargs)
        except StaleDataError:  # the UPDATE/DELETE matched no row: the version column caught it
            lost.append(row_id)
            raise

    monkeypatch.setattr(module, case.service[1], racing)
    row_id = getattr(world, case.row).id
    login_as(world.officer)
    seen = _version_on_page(client.get(case.page).get_data(as_text=True), case.form_marker)
    before = _snapshot(case.model, row_id)
    resp = client.post(case.action, data=case.data | {"version": seen}, follow_redirects=True)
    assert resp.status_code == 200 and lost == [row_id]
    assert case.message in resp.get_data(as_text=True)
    columns, audits = _snapshot(case.model, row_id)
    assert columns is not None and audits == before[1]  # not deleted, nothing audited
    at = [c.key for c in table.columns].index("version")
    assert columns[at] == before[0][at] + 1  # only the other user's bump
    assert columns[:at] + columns[at + 1 :] == before[0][:at] + before[0][at + 1 :]


@pytest.mark.parametrize("sent", ["absent", "blank", "garbled"])
@pytest.mark.parametrize("name", CASES)
def test_a_post_without_its_version_is_refused_and_changes_nothing(client, login_as, world, name, sent):
    """An old page, a script or a tampered form: without the version the save cannot be checked, so it
    is refused in Chinese (not taken as current), and the edit form comes back with the latest values."""
    case = _cases(world)[name]
    row_id = getattr(world, case.row).id
    login_as(world.officer)
    assert _version_on_page(client.get(case.page).get_data(as_text=True), case.form_marker)  # it is there
    before = _snapshot(case.model, row_id)
    version = {"absent": {}, "blank": {"version": " "}, "garbled": {"version": "最新"}}[sent]
    resp = client.post(case.action, data=case.data | version)
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert MISSING_VERSION_MESSAGE in page
    assert _snapshot(case.model, row_id) == before
    if name.endswith("_edit"):  # back on the form, which carries the version again
        assert resp.headers["Location"].endswith(case.action)
        assert _version_on_page(page, "") == str(getattr(world, case.row).version)


# ---- problem actions: one route for every step, posted from the problem page and from the desks

ACTION_FORM = re.compile(r'<form[^>]*action="/problems/(\d+)/(\w+)"[^>]*>(.*?)</form>', re.S)


DESKS = [("officer", "/problems/{p_yellow}"), ("officer", "/problems/board"), ("handler", "/problems/inbox"),
         ("chief", "/problems/escalations")]  # fmt: skip


@pytest.mark.parametrize("actor, page", DESKS)
def test_every_problem_action_form_carries_the_problems_version(client, login_as, pworld, actor, page):
    login_as(getattr(pworld, actor))
    html = client.get(page.format(p_yellow=pworld.p_yellow.id)).get_data(as_text=True)
    forms = ACTION_FORM.findall(html)
    assert forms, f"{page} shows no action form"
    for problem_id, action, body in forms:
        found = re.findall(r'<input[^>]*name="version"[^>]*value="(\d+)"', body)
        assert found == [str(_db.session.get(Problem, int(problem_id)).version)], (page, action)


STEPS = [("officer", "p_yellow", "supervise", {"note": "请加快办理"}),
         ("handler", "p_yellow", "accept", {}),
         ("officer", "p_ext", "refuse_extension", {"note": "时间充足", "next": "/problems/board"}),
         ("leader", "p_red", "instruct", {"note": "请三日内办结"})]  # fmt: skip


def _problem_state(problem_id: int) -> tuple:
    _db.session.expire_all()
    p = _db.session.get(Problem, problem_id)
    columns = tuple(getattr(p, c.key) for c in Problem.__table__.columns)
    events = _db.session.scalar(select(func.count()).where(ProblemEvent.problem_id == problem_id))
    return columns, events, _db.session.scalar(select(func.count()).select_from(AuditLog))


@pytest.mark.parametrize("sent", ["absent", "blank", "garbled"])
@pytest.mark.parametrize("actor, name, action, data", STEPS, ids=[s[2] for s in STEPS])
def test_a_problem_step_without_its_version_is_refused_and_changes_nothing(
    client, login_as, pworld, actor, name, action, data, sent
):
    problem = getattr(pworld, name)
    before = _problem_state(problem.id)
    login_as(getattr(pworld, actor))
    version = {"absent": {}, "blank": {"version": ""}, "garbled": {"version": "1e3"}}[sent]
    resp = client.post(f"/problems/{problem.id}/{action}", data=data | version, follow_redirects=True)
    assert resp.status_code == 200 and MISSING_VERSION_MESSAGE in resp.get_data(as_text=True)
    assert _problem_state(problem.id) == before
    # The same step with the version the page shows goes through.
    version = {"version": str(before[0][[c.key for c in Problem.__table__.columns].index("version")])}
    resp = client.post(f"/problems/{problem.id}/{action}", data=data | version, follow_redirects=True)
    assert MISSING_VERSION_MESSAGE not in resp.get_data(as_text=True)
    assert _problem_state(problem.id)[1] == before[1] + 1  # one event
