"""The view tests' `world` (tests/web/conftest.py) plus problems in every state, through the real workflow.

The fixture is imported by tests/web/conftest.py, so every view test may ask for `pworld`.
world.dept (税务局) is a city-level department: it serves park A and park B. Today is 2026-11-02.
"""

from datetime import date

import pytest

from crm.extensions import db
from tests.factories import make_department, make_user
from tests.problem_view_factories import make_problem, step
from tests.uploads import PNG, upload

EARLY = date(2026, 10, 26)  # dispatched then and never signed: red on 11-02


@pytest.fixture()
def pworld(app, world, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    w = world
    w.dept2 = make_department("人社局", w.park_a)
    w.handler2 = make_user("handler", w.park_a, username="handler_a2", department=w.dept2)
    w.head = make_user("handler", w.park_a, username="head_a", name="税务局局长", department=w.dept)
    w.head.is_dept_head = True
    w.leader.leader_level = 3
    w.chief = make_user("leader", username="chief", name="主要领导")
    w.chief.leader_level = 4
    cadre, other = w.cadre, w.cadre2
    w.p_new = make_problem(
        w.own_firm, cadre, "new", title="融资需求", category="finance", files=[upload("合同.png", PNG)]
    )
    w.p_red = make_problem(w.own_firm, cadre, "dispatched", w.dept, w.handler, title="用电增容", on=EARLY)
    w.p_yellow = make_problem(w.other_firm, other, "dispatched", w.dept, w.handler, title="招工难")
    w.p_green = make_problem(w.own_firm, cadre, "green", w.dept, w.handler, title="环评审批", on=EARLY)
    w.p_dept2 = make_problem(w.own_firm, cadre, "in_progress", w.dept2, w.handler2, title="社保补贴")
    w.p_foreign = make_problem(w.foreign_firm, w.cadre_b, "dispatched", w.dept, w.handler, title="乙园区物流")
    w.p_resolved = make_problem(w.own_firm, cadre, "resolved", w.dept, w.handler, title="道路破损")
    w.p_closed = make_problem(w.own_firm, cadre, "closed", w.dept, w.handler, title="已销号的问题")
    w.p_returned = make_problem(w.other_firm, other, "returned", w.dept, w.handler, title="被退回的问题")
    w.p_ext = make_problem(w.own_firm, cadre, "extension", w.dept, w.handler, title="土地指标", on=EARLY)
    step(w.p_red, "escalate", w.officer, level=3, note="逾期未签收，提请分管领导协调")
    step(w.p_green, "escalate", w.officer, level=2, note="提请部门负责人协调")
    # An event attachment (a progress report with a photo) on the green problem.
    step(w.p_green, "progress", w.handler, note="已现场勘查", files=[upload("现场.png", PNG)])
    db.session.commit()
    w.new_attachment = w.p_new.attachments[0]
    w.event_attachment = w.p_green.events[-1].attachments[0]
    return w
