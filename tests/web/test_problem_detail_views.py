"""The problem file (detail page): facts, 137 deadlines, timeline, attachments, and only the forms the
viewer may use; raising a problem with attachments."""

import re

import pytest
from sqlalchemy import select

from crm.models import Attachment, Problem
from tests.support.problems import step
from tests.support.uploads import PDF, PNG, form_file, upload


def text(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def forms(page: str) -> set[str]:
    return set(re.findall(r'<details class="problem-action[^"]*" data-action="(\w+)"', page))


# (viewer, problem, the step forms shown). Everything else must be absent. 申请撤单 (W) is open to the
# department, the firm's cadre and the office until the problem is resolved.
W = "request_withdrawal"
FORMS = [
    ("officer", "p_new", {"dispatch", "solve_on_spot", "force_close", W}),
    ("admin", "p_new", {"dispatch", "solve_on_spot", "force_close", W}),
    ("cadre", "p_new", {"solve_on_spot", W}),
    ("leader", "p_new", {"instruct"}),
    ("handler", "p_yellow", {"accept", "return", W}),
    ("head", "p_yellow", {"accept", "return", W}),
    ("cadre2", "p_yellow", {W}),
    ("officer", "p_yellow", {"supervise", "escalate", "force_close", W}),
    # Signed on 10-26, feedback given: no feedback form, and the 1-day return window has passed.
    ("handler", "p_green", {"progress", "request_extension", "resolve", W}),
    (
        "officer",
        "p_ext",
        {"approve_extension", "refuse_extension", "supervise", "escalate", "force_close", W},
    ),
    ("handler", "p_ext", {"feedback", "progress", "resolve", W}),  # one extension request at a time
    ("cadre", "p_resolved", {"evaluate"}),
    ("handler", "p_resolved", set()),
    ("chief", "p_red", {"instruct"}),
    ("cadre", "p_closed", set()),
    ("officer", "p_closed", set()),
    ("officer", "p_returned", {"dispatch", "force_close", W}),
]


@pytest.mark.parametrize("viewer, name, expected", FORMS, ids=[f"{f[0]}-{f[1]}" for f in FORMS])
def test_detail_shows_only_the_steps_the_viewer_may_take(client, login_as, pworld, viewer, name, expected):
    login_as(getattr(pworld, viewer))
    page = text(client.get(f"/problems/{getattr(pworld, name).id}"))
    assert forms(page) == expected
    if not expected:
        assert "办理操作" not in page


def test_detail_shows_facts_deadlines_and_timeline(client, login_as, pworld):
    w = pworld
    login_as(w.officer)
    page = text(client.get(f"/problems/{w.p_red.id}"))
    assert "用电增容" in page and w.own_firm.name in page and "水电气要素" in page and "税务局" in page
    assert 'data-colour="red"' in page and "3级 区分管领导" in page and "已交办" in page
    # 137 checkpoints from dispatch on 10-26: sign 10-27 missed by 4 working days; final limit 11-09.
    table = re.search(r'<table class="table table-sm small mb-0 checkpoints">.*?</table>', page, re.S)
    row = r'<tr><td class="fw-semibold nowrap">(\w+)</td><td class="nowrap">([\d-]+)</td>.*?'
    row += r'<span class="badge text-bg-(\w+)">([^<]+)</span>'
    rows = re.findall(row, table.group(0), re.S)
    assert rows == [
        ("签收", "2026-10-27", "danger", "已超期4个工作日"),
        ("首次反馈", "2026-10-29", "danger", "已超期2个工作日"),
        ("阶段进展", "2026-11-04", "warning", "即将到期"),
        ("办结", "2026-11-09", "light", "未到期"),
    ]
    events = re.findall(r'<li class="list-group-item" data-event="(\w+)">', page)
    assert events == ["raise", "dispatch", "escalate"]
    assert "承办部门：税务局" in page and "办结期限：2026-11-09" in page
    assert "协调级别：助企员 → 区分管领导" in page and "逾期未签收，提请分管领导协调" in page
    assert "已用工作日" in page and "5 个" in page


def test_met_checkpoints_and_extension_history(client, login_as, pworld, db):
    w = pworld
    step(w.p_ext, "approve_extension", w.officer, note="同意")
    db.session.commit()
    login_as(w.cadre)
    page = text(client.get(f"/problems/{w.p_ext.id}"))
    assert re.search(r'签收</td><td class="nowrap">2026-10-27</td><td class="nowrap">2026-10-26', page)
    assert "按时完成" in page
    assert "延期3个工作日" in page and "办结期限：2026-11-09 → 2026-11-12" in page
    assert "延期申请待审批" not in page


def test_pending_extension_and_resolution_and_evaluation_are_shown(client, login_as, pworld, db):
    w = pworld
    login_as(w.officer)
    assert "延期申请待审批" in text(client.get(f"/problems/{w.p_ext.id}"))
    page = text(client.get(f"/problems/{w.p_closed.id}"))
    assert "已协调解决" in page and "满意" in page and "销号日期" in page and 'data-colour="grey"' in page


def test_out_of_scope_detail_is_404(client, login_as, pworld):
    w = pworld
    for viewer, name in [("handler", "p_new"), ("handler2", "p_red"), ("officer_b", "p_red"),
                         ("cadre2", "p_red"), ("officer", "p_foreign"), ("cadre", "p_yellow")]:  # fmt: skip
        login_as(getattr(w, viewer))
        assert client.get(f"/problems/{getattr(w, name).id}").status_code == 404, (viewer, name)
    assert client.get("/problems/999999").status_code == 404


def test_problem_and_event_attachments_are_listed_and_served_in_scope(client, login_as, pworld):
    w = pworld
    problem_att, event_att = w.new_attachment, w.event_attachment
    login_as(w.cadre)
    page = text(client.get(f"/problems/{w.p_new.id}"))
    assert f"/problems/attachments/{problem_att.id}" in page
    resp = client.get(f"/problems/attachments/{problem_att.id}")
    assert resp.status_code == 200 and resp.data == PNG and resp.mimetype == "image/png"
    assert f"/problems/attachments/{event_att.id}" in text(client.get(f"/problems/{w.p_green.id}"))
    expected = {  # (problem attachment of p_new, event attachment of p_green)
        "cadre": (200, 200), "officer": (200, 200), "admin": (200, 200), "leader": (200, 200),
        "handler": (404, 200), "head": (404, 200), "handler2": (404, 404), "officer_b": (404, 404),
        "cadre2": (404, 404),
    }  # fmt: skip
    for role, codes in expected.items():
        login_as(getattr(w, role))
        got = tuple(client.get(f"/problems/attachments/{a.id}").status_code for a in (problem_att, event_att))
        assert got == codes, role


def test_a_visit_attachment_is_not_served_as_a_problem_attachment(client, login_as, pworld):
    login_as(pworld.admin)
    assert client.get(f"/problems/attachments/{pworld.attachment.id}").status_code == 404
    assert client.get("/problems/attachments/999999").status_code == 404


def test_dispatch_form_offers_departments_serving_the_firms_park_and_their_handlers(client, login_as, pworld):
    w = pworld
    login_as(w.officer)
    page = text(client.get(f"/problems/{w.p_new.id}"))
    form = re.search(r'data-action="dispatch".*?</details>', page, re.S).group(0)
    assert f'<option value="{w.dept.id}">税务局</option>' in form
    assert f'<option value="{w.dept2.id}">人社局</option>' in form
    assert f'value="{w.handler2.id}"' in form and "税务局局长（负责人）" in form
    login_as(w.officer_b)  # park B's officer: 人社局 serves park A only
    page = text(client.get(f"/problems/{w.p_foreign.id}"))
    assert "人社局" not in page


def test_raise_problem_with_attachments_lands_on_the_detail_page(client, login_as, pworld, db):
    w = pworld
    login_as(w.officer)
    form_page = text(client.get(f"/enterprises/{w.own_firm.id}/problems/new"))
    assert (
        'enctype="multipart/form-data"' in form_page
        and "12345" in form_page
        and "“办不成事”窗口" in form_page
    )
    resp = client.post(
        f"/enterprises/{w.own_firm.id}/problems/new",
        data={
            "title": "12345热线转办企业门前积水",
            "category": "other",
            "urgency": "urgent",
            "source": "hotline",
            "description": "市民热线转来",
            "files": [form_file("现场.png", PNG), form_file("工单.pdf", PDF)],
        },
        content_type="multipart/form-data",
    )
    problem = db.session.scalar(select(Problem).where(Problem.title == "12345热线转办企业门前积水"))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/problems/{problem.id}")
    assert (problem.source, problem.status, problem.urgency) == ("hotline", "new", "urgent")
    stored = select(Attachment).where(Attachment.owner_type == "problem", Attachment.owner_id == problem.id)
    names = {a.filename for a in db.session.scalars(stored)}
    assert names == {"现场.png", "工单.pdf"}
    page = text(client.get(resp.headers["Location"]))
    assert "已反映问题" in page and "工单.pdf" in page


def test_raise_problem_refuses_a_bad_file_and_saves_nothing(client, login_as, pworld, db):
    w = pworld
    login_as(w.cadre)
    before = db.session.scalar(select(Problem.id).order_by(Problem.id.desc()))
    resp = client.post(
        f"/enterprises/{w.own_firm.id}/problems/new",
        data={
            "title": "坏附件",
            "category": "other",
            "source": "visit",
            "description": "x",
            "files": [form_file("病毒.exe", b"MZ" + b"\0" * 20)],
        },  # fmt: skip
        content_type="multipart/form-data",
    )
    page = text(resp)
    assert "类型不支持" in page and "病毒.exe</strong>尚未上传" in page
    assert db.session.scalar(select(Problem.id).order_by(Problem.id.desc())) == before


def test_detail_query_count_does_not_grow_with_the_timeline(client, login_as, pworld, db, count_queries):
    w = pworld
    login_as(w.handler)
    with count_queries() as short:
        assert client.get(f"/problems/{w.p_green.id}").status_code == 200
    for i in range(15):
        step(w.p_green, "progress", w.handler, note=f"第{i}次进展", files=[upload(f"照片{i}.png", PNG)])
        step(w.p_green, "supervise", w.officer, note=f"督办{i}")
    db.session.commit()
    with count_queries() as long:
        page = text(client.get(f"/problems/{w.p_green.id}"))
    assert "第14次进展" in page and "督办14" in page
    assert long.count == short.count, long.statements
