"""The handover page: a preview first (firms, open problems and due dates that move), then the
confirmation of exactly that preview; the printed 交接清单 carries no flash message."""

import re

from sqlalchemy import func, select

from crm.models import Handover
from tests.support.factories import make_department, make_enterprise
from tests.support.problems import make_problem


def text(resp):
    return resp.get_data(as_text=True)


def form(world, **extra):
    return {
        "from_cadre_id": world.cadre.id,
        "to_cadre_id": world.cadre2.id,
        "reason": "post_change",
        "first_visit_days": 10,
        "note": "",
    } | extra


def token_of(page: str) -> str:
    return re.search(r'name="token" type="hidden" value="([0-9a-f]+)"', page).group(1)


def test_the_first_post_shows_a_preview_and_moves_nothing(client, login_as, world, db):
    problem = make_problem(world.own_firm, world.cadre, "in_progress", make_department("人社局"))
    db.session.commit()
    login_as(world.officer)
    page = text(client.post("/handovers/new", data=form(world)))
    assert "交接预览（尚未生效）" in page and "确认交接 1 家企业" in page
    assert f'data-preview-firm="{world.own_firm.id}"' in page and world.own_firm.name in page
    assert f'data-preview-problem="{problem.id}"' in page and problem.title in page
    assert str(problem.due_on) in page and "2026-11-12" in page  # its deadline; the first-visit date
    assert db.session.scalar(select(func.count(Handover.id))) == 0
    db.session.expire_all()
    assert world.own_firm.cadre == world.cadre


def test_confirming_the_preview_hands_over_and_prints_without_the_flash(client, login_as, world, db):
    login_as(world.officer)
    token = token_of(text(client.post("/handovers/new", data=form(world))))
    resp = client.post("/handovers/new", data=form(world, token=token, confirm="1"))
    assert resp.status_code == 302
    page = text(client.get(resp.headers["Location"]))
    assert "联系企业交接清单" in page and "交接完成" in page
    # The flash is on the screen only: print hides it.
    flash = re.search(r'<div class="[^"]*"[^>]*data-flash>\s*交接完成', page)
    assert flash is not None and "d-print-none" in flash.group(0)
    db.session.expire_all()
    assert world.own_firm.cadre == world.cadre2


def test_a_caseload_changed_since_the_preview_is_refused_with_a_new_preview(client, login_as, world, db):
    login_as(world.officer)
    token = token_of(text(client.post("/handovers/new", data=form(world))))
    late = make_enterprise(world.park_a, "湘潭后到企业有限公司", cadre=world.cadre, assigned_by=world.officer)
    db.session.commit()
    page = text(client.post("/handovers/new", data=form(world, token=token, confirm="1")))
    assert "预览后有变化" in page and "确认交接 2 家企业" in page and late.name in page
    assert token_of(page) != token
    assert db.session.scalar(select(func.count(Handover.id))) == 0


def test_a_field_changed_on_the_preview_is_not_confirmed_unseen(client, login_as, world, db):
    login_as(world.officer)
    token = token_of(text(client.post("/handovers/new", data=form(world))))
    page = text(client.post("/handovers/new", data=form(world, reason="retire", token=token, confirm="1")))
    assert "预览后有变化" in page and "退休" in page
    assert db.session.scalar(select(func.count(Handover.id))) == 0


def test_a_refused_preview_says_why(client, login_as, world, db):
    login_as(world.officer)
    page = text(client.post("/handovers/new", data=form(world, to_cadre_id=world.cadre.id)))
    assert "移交人和接收人不能是同一人" in page and "交接预览" not in page
    page = text(client.post("/handovers/new", data=form(world, from_cadre_id="")))
    assert "请选择移交人" in page


def test_only_officers_may_preview(client, login_as, world):
    login_as(world.cadre)
    assert client.post("/handovers/new", data=form(world)).status_code == 403
