import re
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from crm.models import AuditLog, Problem, ProductItem, SalesItem, Visit
from tests.support.factories import make_enterprise
from tests.support.uploads import JPEG, PDF, PNG
from tests.support.visits import make_attachment, make_logged_visit

FORM = {
    "visited_on": "2026-11-02",
    "kind": "onsite",
    "participants": "王总",
    "summary": "走访了解订单情况",
    "findings": "",
}


@pytest.fixture(autouse=True)
def upload_folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


def text(resp) -> str:
    return resp.get_data(as_text=True)


def files_on_disk(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and "attachments" in p.parts]


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_form_defaults_to_today_and_on_site(client, login_as, world):
    login_as(world.cadre)
    body = text(client.get(f"/enterprises/{world.own_firm.id}/visits/new"))
    assert 'name="visited_on" value="2026-11-02"' in body
    assert re.search(r'id="kind-onsite" value="onsite"[^>]*checked', body)
    assert not re.search(r'id="kind-phone" value="phone"[^>]*checked', body)
    for title in ("添加产品", "添加销售记录", "添加技术需求/成果", "反映问题", "保存走访"):
        assert title in body
    assert 'accept="image/*,.pdf,.doc,.docx,.xls,.xlsx"' in body and "multiple" in body
    assert 'data-bs-toggle="collapse"' in body
    assert "<script>" not in body.split("</main>")[0] and 'style="' not in body


def test_cadre_logs_a_visit_with_product_problem_and_photo(client, login_as, world, db, upload_folder):
    login_as(world.cadre)
    data = FORM | {
        "product-name": "永磁电机",
        "product-capacity": "1200",
        "problem-title": "用电容量不足",
        "problem-description": "新产线需要增容",
        "problem-category": "utilities",
        "problem-urgency": "urgent",
        "files": [(BytesIO(PNG), "现场照片.png"), (BytesIO(PDF), "材料.pdf")],
    }
    resp = client.post(
        f"/enterprises/{world.own_firm.id}/visits/new", data=data, content_type="multipart/form-data"
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/enterprises/{world.own_firm.id}?tab=visits"
    page = text(client.get(resp.headers["Location"]))
    assert "走访记录已保存" in page and "走访了解订单情况" in page
    visit = db.session.scalar(select(Visit).where(Visit.summary == "走访了解订单情况"))
    assert visit.cadre_id == world.cadre.id and visit.kind == "onsite"
    assert [a.filename for a in visit.attachments] == ["现场照片.png", "材料.pdf"]
    assert len(files_on_disk(upload_folder)) == 3  # two new files + the world's photo
    assert db.session.scalar(select(ProductItem).where(ProductItem.name == "永磁电机")).capacity == 1200
    problem = db.session.scalar(select(Problem))
    assert (problem.title, problem.status, problem.visit_id) == ("用电容量不足", "new", visit.id)

    detail = text(client.get(f"/visits/{visit.id}"))
    assert f"/attachments/{visit.attachments[0].id}" in detail and "<img" in detail
    assert "材料.pdf" in detail and "用电容量不足" in detail and "修改" in detail


def test_refused_form_saves_nothing_and_keeps_what_was_typed(client, login_as, world, db, upload_folder):
    login_as(world.cadre)
    visits, audits = count(db, Visit), count(db, AuditLog)
    data = FORM | {
        "product-name": "永磁电机",
        "sales-period": "2026-13",
        "sales-amount": "-5",
        "problem-title": "用电容量不足",
        "problem-description": "新产线需要增容",
        "problem-category": "utilities",
        "files": [(BytesIO(JPEG), "现场.jpg")],
    }
    resp = client.post(
        f"/enterprises/{world.own_firm.id}/visits/new", data=data, content_type="multipart/form-data"
    )
    assert resp.status_code == 200
    body = text(resp)
    assert "销售期间应为YYYY-MM格式的真实月份" in body and "销售金额不能为负数" in body
    assert "附件未保存，请重新选择" in body
    assert "走访了解订单情况" in body and 'value="永磁电机"' in body and 'value="2026-13"' in body
    assert 'class="collapse show" id="sec-sales"' in body  # the filled sections stay open
    assert count(db, Visit) == visits and count(db, AuditLog) == audits
    assert count(db, SalesItem) == 1 and count(db, ProductItem) == 1 and count(db, Problem) == 0  # world's
    assert len(files_on_disk(upload_folder)) == 1  # only the world's photo


def test_section_typed_without_its_key_field_is_pointed_out(client, login_as, world, db):
    login_as(world.cadre)
    data = FORM | {"product-unit": "台", "files": [(BytesIO(PNG), "现场.png")]}
    resp = client.post(
        f"/enterprises/{world.own_firm.id}/visits/new", data=data, content_type="multipart/form-data"
    )
    assert resp.status_code == 200
    assert "请填写产品名称，或清空「添加产品」中的内容" in text(resp)
    assert "附件未保存，请重新选择" in text(resp)
    assert count(db, Visit) == 2  # the world's two


def test_bad_upload_is_refused_in_chinese(client, login_as, world, db, upload_folder):
    login_as(world.cadre)
    data = FORM | {"files": [(BytesIO(b"MZ\x90"), "病毒.exe")]}
    resp = client.post(
        f"/enterprises/{world.own_firm.id}/visits/new", data=data, content_type="multipart/form-data"
    )
    assert "文件 病毒.exe 类型不支持（仅限图片、PDF、Word、Excel）" in text(resp)
    assert count(db, Visit) == 2 and len(files_on_disk(upload_folder)) == 1


def test_future_date_is_refused(client, login_as, world, db):
    login_as(world.cadre)
    resp = client.post(
        f"/enterprises/{world.own_firm.id}/visits/new", data=FORM | {"visited_on": "2026-11-03"}
    )
    assert resp.status_code == 200 and "走访日期不能晚于今天" in text(resp)


def test_cadre_gets_404_for_another_cadres_firm_its_visits_and_files(client, login_as, world, db):
    visit = make_logged_visit(world.other_firm, world.cadre2)
    att = make_attachment(visit)
    db.session.commit()
    login_as(world.cadre)
    assert client.get(f"/enterprises/{world.other_firm.id}/visits/new").status_code == 404
    assert client.post(f"/enterprises/{world.other_firm.id}/visits/new", data=FORM).status_code == 404
    assert client.get(f"/visits/{visit.id}").status_code == 404
    assert client.get(f"/visits/{visit.id}/edit").status_code == 404
    assert client.get(f"/attachments/{att.id}").status_code == 404
    assert world.other_firm.name not in text(client.get("/visits/"))
    assert count(db, Visit) == 3


def test_handler_is_refused_the_visit_log(client, login_as, world):
    login_as(world.handler)
    assert client.get("/visits/").status_code == 403
    assert client.get("/visits/export.xlsx").status_code == 403
    assert client.get(f"/enterprises/{world.own_firm.id}/visits/new").status_code == 403
    assert client.post(f"/enterprises/{world.own_firm.id}/visits/new", data=FORM).status_code == 403
    assert client.get(f"/attachments/{world.attachment.id}").status_code == 403
    assert "走访记录" not in text(client.get("/")).split("</nav>")[0]


def test_officer_logs_for_any_firm_of_the_park_but_not_another_park(client, login_as, world, db):
    login_as(world.officer)
    for firm in (world.own_firm, world.other_firm, world.unassigned_firm):
        resp = client.post(
            f"/enterprises/{firm.id}/visits/new", data=FORM | {"summary": f"管理员走访{firm.id}"}
        )
        assert resp.status_code == 302, firm.name
    assert count(db, Visit) == 5
    assert client.get(f"/enterprises/{world.foreign_firm.id}/visits/new").status_code == 404
    assert client.post(f"/enterprises/{world.foreign_firm.id}/visits/new", data=FORM).status_code == 404
    assert client.get(f"/visits/{world.foreign_visit.id}").status_code == 404


def test_attachment_is_served_inline_for_images_and_as_download_otherwise(client, login_as, world, db):
    pdf = make_attachment(world.visit, "申报材料 (1).pdf", PDF, "application/pdf")
    db.session.commit()
    login_as(world.cadre)
    image = client.get(f"/attachments/{world.attachment.id}")
    assert image.status_code == 200 and image.data == PNG
    assert image.headers["Content-Type"] == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Content-Disposition"].startswith("inline;")
    assert "private" in image.headers["Cache-Control"]
    download = client.get(f"/attachments/{pdf.id}")
    assert download.headers["Content-Type"] == "application/pdf" and download.data == PDF
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert "\n" not in disposition and '"' not in disposition.split("filename*=")[1]


def test_attachment_whose_file_is_missing_is_404(client, login_as, world, app):
    Path(app.config["UPLOAD_FOLDER"], "attachments", world.attachment.stored_name).unlink()
    login_as(world.officer)
    assert client.get(f"/attachments/{world.attachment.id}").status_code == 404


def test_author_edits_within_the_window_then_only_officers(client, login_as, world, db, app, monkeypatch):
    login_as(world.cadre)
    url = f"/visits/{world.visit.id}/edit"
    assert "了解企业生产经营情况" in text(client.get(url))
    resp = client.post(url, data={**FORM, "summary": "改正后的情况", "version": str(world.visit.version)})
    assert resp.status_code == 302 and resp.headers["Location"] == f"/visits/{world.visit.id}"
    db.session.expire_all()
    assert db.session.get(Visit, world.visit.id).summary == "改正后的情况"
    audit = db.session.scalar(
        select(AuditLog).where(AuditLog.entity_type == "visit", AuditLog.action == "update")
    )
    assert audit.enterprise_id == world.own_firm.id
    monkeypatch.setitem(app.config, "CRM_TODAY", "2026-11-10")
    assert client.get(url).status_code == 403
    assert "修改</a>" not in text(client.get(f"/visits/{world.visit.id}"))
    login_as(world.officer)
    assert client.get(url).status_code == 200
    assert "修改</a>" in text(client.get(f"/visits/{world.visit.id}"))


def test_firm_tab_lists_visits_newest_first_with_a_log_button(client, login_as, world, db):
    make_logged_visit(world.own_firm, world.cadre, date(2026, 10, 20), "phone", "电话回访")
    db.session.commit()
    login_as(world.cadre)
    body = text(client.get(f"/enterprises/{world.own_firm.id}?tab=visits"))
    assert body.index("了解企业生产经营情况") < body.index("电话回访")
    assert f"/enterprises/{world.own_firm.id}/visits/new" in body and "记录走访" in body
    login_as(world.leader)
    body = text(client.get(f"/enterprises/{world.own_firm.id}?tab=visits"))
    assert "电话回访" in body and f"/enterprises/{world.own_firm.id}/visits/new" not in body


@pytest.fixture()
def many(world, db):
    """Visits in park A of several kinds, dates, cadres and chains."""
    chained = make_enterprise(world.park_a, "湘潭装备制造有限公司", cadre=world.cadre, chain=world.chain)
    rows = [
        make_logged_visit(world.other_firm, world.cadre2, date(2026, 10, 5), "phone", "十月电话"),
        make_logged_visit(world.other_firm, world.cadre2, date(2026, 9, 15), "online", "九月线上"),
        make_logged_visit(chained, world.cadre, date(2026, 10, 28), "forum", '=HYPERLINK("x") 座谈'),
        make_logged_visit(world.unassigned_firm, world.officer, date(2026, 10, 12), "onsite", "管理员上门"),
    ]
    db.session.commit()
    return rows


def listed(client, query: str = "") -> list[str]:
    body = text(client.get(f"/visits/?{query}"))
    return [
        s for s in ("了解企业生产经营情况", "十月电话", "九月线上", "HYPERLINK", "管理员上门") if s in body
    ]


def exported(client, query: str = "") -> list[list]:
    resp = client.get(f"/visits/export.xlsx?{query}")
    assert resp.status_code == 200
    ws = load_workbook(BytesIO(resp.data)).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_list_scope_and_filters(client, login_as, world, many):
    login_as(world.officer)
    assert listed(client) == ["了解企业生产经营情况", "十月电话", "九月线上", "HYPERLINK", "管理员上门"]
    assert listed(client, "kind=phone") == ["十月电话"]
    assert listed(client, f"cadre={world.cadre2.id}") == ["十月电话", "九月线上"]
    assert listed(client, "firm=另一家") == ["十月电话", "九月线上"]
    assert listed(client, "firm=xtgx") == ["了解企业生产经营情况"]  # pinyin initials
    assert listed(client, "from=2026-10-01&to=2026-10-31") == ["十月电话", "HYPERLINK", "管理员上门"]
    assert listed(client, f"chain={world.chain.id}") == ["了解企业生产经营情况", "HYPERLINK"]
    assert client.get("/visits/?from=junk&cadre=x&kind=evil&page=1").status_code == 200
    body = text(client.get("/visits/"))
    assert body.index("2026-11-02") < body.index("2026-10-28") < body.index("2026-10-05")  # newest first
    assert 'data-label="企业"' in body and "table-responsive-cards" in body
    login_as(world.cadre)
    assert listed(client) == ["了解企业生产经营情况", "HYPERLINK"]  # the firms the cadre serves now


def test_export_contains_exactly_the_filtered_rows_escaped(client, login_as, world, many):
    login_as(world.officer)
    rows = exported(client, "from=2026-10-01&to=2026-10-31")
    assert rows[0][:7] == [
        "走访日期",
        "企业名称",
        "统一社会信用代码",
        "所属园区",
        "所属产业链",
        "走访方式",
        "走访人",
    ]
    body = [r for r in rows[1:]]
    assert [r[8] for r in body] == ['\'=HYPERLINK("x") 座谈', "管理员上门", "十月电话"]
    assert [r[5] for r in body] == ["座谈/政企面对面", "上门走访", "电话"]
    assert body[0][4] == "装备制造" and body[1][6] == world.officer.name
    everything = exported(client)
    assert len(everything) - 1 == 5
    assert [r[1] for r in exported(client, "kind=online")[1:]] == [world.other_firm.name]
    index = text(client.get("/visits/?kind=online&from=2026-09-01"))
    assert "/visits/export.xlsx?kind=online&amp;from=2026-09-01" in index


def test_visit_list_query_count_is_constant(client, login_as, world, db, count_queries):
    firms = [make_enterprise(world.park_a, f"计数企业{i}有限公司", cadre=world.cadre) for i in range(5)]

    def add_visits(n):
        for i in range(n):
            v = make_logged_visit(firms[i % 5], world.cadre, date(2026, 10, 1 + i % 28), summary=f"计数{i}")
            if i % 3 == 0:
                make_attachment(v)
        db.session.commit()

    login_as(world.officer)
    add_visits(3)  # 5 visits in all with the world's two
    with count_queries() as small:
        assert client.get("/visits/").status_code == 200
    add_visits(45)
    with count_queries() as large:
        assert client.get("/visits/").status_code == 200
    assert large.count == small.count, large.statements
