"""The field app over HTTP: the installable shell (worker, manifest, offline page), the sync endpoint's
answers, the drafts page, and on-site evidence on the pages (who sees a location, the officer's review,
a firm's location, the park's settings, coverage)."""

import json
import re
import uuid
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import func, select

from crm.models import FirmLocation, ParkSetting, Visit, VisitLocation
from crm.services.visits.geo import wgs84_to_gcj02
from tests.support.dates import TODAY
from tests.support.factories import make_enterprise, make_user
from tests.support.uploads import JPEG, PNG

FORM = {"visited_on": TODAY.isoformat(), "kind": "onsite", "summary": "上门了解新产线建设进度"}
FIRM_AT = (27.829698, 112.944226)


@pytest.fixture(autouse=True)
def upload_folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))


def text(resp) -> str:
    return resp.get_data(as_text=True)


def visits(db) -> int:
    return db.session.scalar(select(func.count(Visit.id)))


def sync_form(firm, key=None, **extra):
    return FORM | {"enterprise_id": str(firm.id), "client_id": key or str(uuid.uuid4())} | extra


def collect_evidence(db, park, at=FIRM_AT, firm=None, officer=None):
    db.session.add(ParkSetting(park_id=park.id, evidence_enabled=True))
    if firm is not None:
        db.session.add(FirmLocation(enterprise_id=firm.id, latitude=at[0], longitude=at[1],
                                    source="officer", set_by_id=officer.id))  # fmt: skip
    db.session.commit()


# ---- the installable shell


def test_worker_is_javascript_never_cached_and_carries_the_shell(client, db):
    resp = client.get("/sw.js")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert resp.headers["Cache-Control"] == "no-cache"
    body = text(resp)
    version = re.search(r'const VERSION = "([0-9a-f]{16})";', body).group(1)
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", body).group(1))
    for url in ("/static/css/app.css", "/static/js/field/main.js", "/static/js/field/visit-form.js",
                "/static/icons/icon-192.png", "/bootstrap/static/css/bootstrap.min.css",
                "/static/vendor/bootstrap-icons/fonts/bootstrap-icons.woff2", "/offline",
                "/manifest.webmanifest"):  # fmt: skip
        assert url in precache, url
    assert not any(url.endswith((".woff", "LICENSE")) for url in precache)
    assert text(client.get("/sw.js")).count(version) == 1  # the same shell, the same version


def test_every_precached_url_is_served(client, db):
    body = text(client.get("/sw.js"))
    for url in json.loads(re.search(r"const PRECACHE = (\[.*?\]);", body).group(1)):
        resp = client.get(url)
        assert resp.status_code == 200, url
        resp.close()


def test_the_version_follows_the_static_files(app, db):
    """A deploy that changes a static file changes the worker's version, so phones update."""
    from crm.blueprints.field import shell

    with app.test_request_context():
        app.extensions.pop(shell._KEY, None)
        before = shell.app_shell().version
        app.extensions.pop(shell._KEY, None)
        original = shell._static_files
        try:
            shell._static_files = lambda a: original(a)[:-1]  # one file fewer (or changed)
            changed = shell.app_shell().version
        finally:
            shell._static_files = original
            app.extensions.pop(shell._KEY, None)
        assert changed != before and shell.app_shell().version == before


def test_manifest_names_the_app_with_real_icons(client, db):
    resp = client.get("/manifest.webmanifest")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/manifest+json"
    data = json.loads(text(resp))
    assert (data["name"], data["short_name"], data["lang"]) == ("联企通", "联企通", "zh-CN")
    assert (data["start_url"], data["scope"], data["display"]) == ("/", "/", "standalone")
    sizes = set()
    for icon in data["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.headers["Content-Type"] == "image/png"
        width, height = Image.open(BytesIO(image.data)).size
        assert f"{width}x{height}" == icon["sizes"]
        sizes.add((width, icon["purpose"]))
    assert {(192, "any"), (512, "any"), (512, "maskable")} <= sizes
    assert data["shortcuts"][0]["url"] == "/visits/drafts"


def test_offline_page_is_public_and_carries_no_user_data(client, login_as, world):
    resp = client.get("/offline")
    assert resp.status_code == 200 and "当前没有网络连接" in text(resp)
    login_as(world.cadre)
    body = text(client.get("/offline"))
    assert world.cadre.name not in body and "csrf" not in body


def test_every_page_links_the_manifest_and_the_field_script_without_inline_script(client, login_as, world):
    login_as(world.cadre)
    resp = client.get(f"/cadres/{world.cadre.id}")  # 我的企业, a cadre's home
    body = text(resp)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in body
    assert '<script type="module" src="/static/js/field/main.js"></script>' in body
    assert f'<meta name="crm-user" content="{world.cadre.id}">' in body
    assert 'name="crm-forms-url"' in body and "data-drafts-badge" in body
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)  # the CSP allows no inline script
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    login_as(world.handler)  # handlers log no visits: no badge, no sync address
    body = text(client.get("/"))
    assert "data-drafts-badge" not in body and "crm-sync-url" not in body


# ---- the sync endpoint


def test_sync_logs_once_and_answers_json(client, login_as, world, db):
    login_as(world.cadre)
    key = str(uuid.uuid4())
    first = client.post("/visits/sync", data=sync_form(world.own_firm, key, **{"product-name": "永磁电机"}))
    assert first.status_code == 201 and first.headers["Cache-Control"] == "no-store"
    data = first.get_json()
    assert data["status"] == "created" and data["url"] == f"/visits/{data['visit_id']}"
    assert data["firm_url"] == f"/enterprises/{world.own_firm.id}?tab=visits"
    again = client.post("/visits/sync", data=sync_form(world.own_firm, key, summary="重发的内容"))
    assert again.status_code == 200
    assert again.get_json() | {"status": "exists"} == data | {"status": "exists"}
    assert visits(db) == 3  # the world's two visits and this one
    assert db.session.get(Visit, data["visit_id"]).client_id == key


def test_sync_flashes_only_when_the_form_moves_on(client, login_as, world):
    login_as(world.cadre)
    client.post("/visits/sync", data=sync_form(world.own_firm))
    with client.session_transaction() as sess:
        assert "_flashes" not in sess  # a background sync says nothing on the next page
    client.post("/visits/sync", data=sync_form(world.own_firm, flash="1"))
    with client.session_transaction() as sess:
        assert sess["_flashes"] == [("success", "走访记录已保存")]


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"visited_on": "2099-01-01"}, "走访日期不能晚于今天"),
        ({"summary": ""}, "请填写走访情况"),
        ({"kind": "fax"}, "请从列表中选择"),
        ({"client_id": "not-a-uuid"}, "设备编号无效"),
        ({"client_id": ""}, "缺少走访记录的设备编号"),
        ({"latitude": "abc", "longitude": "112.9", "accuracy": "10"}, "定位纬度应为数字"),
        ({"product-category": "电机"}, "请填写产品名称"),
    ],
)
def test_a_refusal_comes_back_with_its_chinese_reason(client, login_as, world, db, change, reason):
    login_as(world.cadre)
    resp = client.post("/visits/sync", data=sync_form(world.own_firm) | change)
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["status"] == "refused" and reason in body["error"]
    assert visits(db) == 2  # the world's two


def test_field_errors_are_named_as_the_inputs(client, login_as, world):
    login_as(world.cadre)
    body = client.post(
        "/visits/sync", data=sync_form(world.own_firm, **{"product-category": "电机"})
    ).get_json()
    assert body["fields"] == {"product-name": ["请填写产品名称，或清空「添加产品」中的内容"]}


def test_a_firm_out_of_reach_is_refused_not_found(client, login_as, world, db):
    login_as(world.cadre)
    for firm_id in (world.other_firm.id, world.foreign_firm.id, 999_999, "x"):
        resp = client.post("/visits/sync", data=sync_form(world.own_firm) | {"enterprise_id": str(firm_id)})
        assert resp.status_code == 422 and "不在您的联系范围内" in resp.get_json()["error"]
    assert visits(db) == 2


def test_sync_with_photos_and_location(client, login_as, world, db):
    collect_evidence(db, world.park_a, firm=world.own_firm, officer=world.officer)
    login_as(world.cadre)
    data = sync_form(world.own_firm, latitude=f"{FIRM_AT[0] + 0.0003:.7f}", longitude=f"{FIRM_AT[1]:.7f}",
                     accuracy="12.5", located_at="1793584800000")  # fmt: skip
    data["photos"] = (BytesIO(JPEG), "现场.jpg")
    data["files"] = (BytesIO(PNG), "图纸.png")
    resp = client.post("/visits/sync", data=data, content_type="multipart/form-data")
    assert resp.status_code == 201 and resp.get_json()["evidence"] == "有佐证"
    visit = db.session.get(Visit, resp.get_json()["visit_id"])
    assert sorted(a.filename for a in visit.attachments) == ["图纸.png", "现场.jpg"]
    assert db.session.get(VisitLocation, visit.id).distance_m == 33


def test_sync_answers_json_to_the_signed_out_and_the_unentitled(client, login_as, world, db):
    resp = client.post("/visits/sync", data=sync_form(world.own_firm))
    assert resp.status_code == 401 and resp.get_json()["status"] == "login"
    login_as(world.handler)
    resp = client.post("/visits/sync", data=sync_form(world.own_firm))
    assert resp.status_code == 403 and resp.get_json()["error"] == "您的账号不能记录走访"
    assert visits(db) == 2


def test_a_stale_token_and_an_oversize_post_answer_json(app, client, login_as, world, db, monkeypatch):
    login_as(world.cadre)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    resp = client.post("/visits/sync", data=sync_form(world.own_firm))
    assert resp.status_code == 400 and resp.get_json()["status"] == "csrf"
    token = client.get("/field/session").get_json()["csrf_token"]
    resp = client.post("/visits/sync", data=sync_form(world.own_firm, csrf_token=token))
    assert resp.status_code == 201
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    big = sync_form(world.own_firm, csrf_token=token) | {"photos": (BytesIO(b"x" * 4096), "大.jpg")}
    resp = client.post("/visits/sync", data=big, content_type="multipart/form-data")
    assert resp.status_code == 413 and "附件合计超过" in resp.get_json()["error"]


def test_session_and_forms_endpoints(client, login_as, world):
    assert client.get("/field/session").status_code == 401
    login_as(world.cadre)
    data = client.get("/field/session").get_json()
    assert data["user_id"] == world.cadre.id and data["csrf_token"]
    forms = client.get("/field/forms").get_json()["forms"]
    assert forms == [{"firm_id": world.own_firm.id, "name": world.own_firm.name,
                      "url": f"/enterprises/{world.own_firm.id}/visits/new"}]  # fmt: skip
    login_as(world.officer)
    assert client.get("/field/forms").get_json()["forms"] == []
    login_as(world.leader)
    assert client.get("/field/forms").status_code == 403


def test_drafts_page_is_for_those_who_log_visits(client, login_as, world):
    login_as(world.cadre)
    body = text(client.get("/visits/drafts"))
    assert "待同步的走访" in body and "data-drafts-page" in body and "drafts-page.js" in body
    assert json.loads(re.search(r"data-kinds='([^']*)'", body).group(1))["onsite"] == "上门走访"
    login_as(world.handler)
    assert client.get("/visits/drafts").status_code == 403


def test_the_visit_form_is_offline_ready(client, login_as, world, db):
    collect_evidence(db, world.park_a)
    login_as(world.cadre)
    body = text(client.get(f"/enterprises/{world.own_firm.id}/visits/new"))
    assert "data-visit-form" in body and 'data-today="2026-11-02"' in body
    assert re.search(r'name="client_id" type="hidden" value="[0-9a-f-]{36}"', body)
    assert 'name="photos"' in body and 'capture="environment"' in body and "定位打卡" in body
    assert '<script type="module" src="/static/js/field/visit-form.js"></script>' in body


def test_the_plain_form_posts_once_with_its_client_id(client, login_as, world, db):
    login_as(world.cadre)
    key = str(uuid.uuid4())
    for _ in range(2):  # a double click without the page's script
        resp = client.post(f"/enterprises/{world.own_firm.id}/visits/new", data=FORM | {"client_id": key})
        assert resp.status_code == 302
    assert visits(db) == 3


# ---- evidence on the pages


def _doubtful_visit(client, login_as, world, db):
    collect_evidence(db, world.park_a, firm=world.own_firm, officer=world.officer)
    login_as(world.cadre)
    data = sync_form(world.own_firm, latitude=f"{FIRM_AT[0] + 0.009:.7f}", longitude=f"{FIRM_AT[1]:.7f}",
                     accuracy="10")  # fmt: skip
    data["photos"] = (BytesIO(JPEG), "现场.jpg")
    resp = client.post("/visits/sync", data=data, content_type="multipart/form-data")
    assert resp.get_json()["evidence"] == "位置存疑"
    return db.session.get(Visit, resp.get_json()["visit_id"])


def test_who_sees_the_location_on_the_visit_page(client, login_as, world, db):
    visit = _doubtful_visit(client, login_as, world, db)
    coords = f"{FIRM_AT[0] + 0.009:.6f}"
    park_leader = make_user("leader", world.park_a)
    db.session.commit()
    for user in (world.cadre, world.officer, park_leader):
        login_as(user)
        body = text(client.get(f"/visits/{visit.id}"))
        assert coords in body and "位置存疑" in body and "超过500米" in body, user.role
    for user in (world.admin, world.leader):  # city-wide: the status, never the place
        login_as(user)
        body = text(client.get(f"/visits/{visit.id}"))
        assert "位置存疑" in body and coords not in body and "data-location-hidden" in body, user.role
    for user in (world.cadre_b, world.officer_b):
        login_as(user)
        assert client.get(f"/visits/{visit.id}").status_code == 404


def test_the_officer_reviews_a_doubtful_visit_from_the_queue(client, login_as, world, db):
    visit = _doubtful_visit(client, login_as, world, db)
    login_as(world.officer)
    body = text(client.get("/visits/evidence"))
    assert f'data-review-item="{visit.id}"' in body and "核实无误" in body
    resp = client.post(f"/visits/{visit.id}/evidence/verified", data={"note": "", "next": "/visits/evidence"})
    assert resp.status_code == 302 and db.session.get(Visit, visit.id).evidence == "doubtful"
    resp = client.post(f"/visits/{visit.id}/evidence/verified",
                       data={"note": "企业另有二厂区", "next": "https://evil.example/"})  # fmt: skip
    assert resp.headers["Location"] == f"/visits/{visit.id}"
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).evidence == "verified"
    assert f'data-review-item="{visit.id}"' not in text(client.get("/visits/evidence"))
    login_as(world.officer_b)
    assert client.post(f"/visits/{visit.id}/evidence/doubtful", data={"note": "x"}).status_code == 404


def test_the_officer_confirms_a_first_check_in(client, login_as, world, db):
    collect_evidence(db, world.park_a)
    login_as(world.cadre)
    data = sync_form(world.own_firm, latitude="27.8296980", longitude="112.9442260", accuracy="8")
    data["photos"] = (BytesIO(JPEG), "现场.jpg")
    visit_id = client.post("/visits/sync", data=data, content_type="multipart/form-data").get_json()[
        "visit_id"
    ]
    login_as(world.officer)
    assert "确认为企业位置" in text(client.get("/visits/evidence"))
    client.post(f"/visits/{visit_id}/evidence/confirm", data={"next": "/visits/evidence"})
    db.session.expire_all()
    assert db.session.get(Visit, visit_id).evidence == "verified"
    assert db.session.get(FirmLocation, world.own_firm.id).source == "checkin"


def test_review_queue_costs_the_same_queries_for_one_or_many(client, login_as, world, db, count_queries):
    collect_evidence(db, world.park_a)
    login_as(world.cadre)

    def check_in():
        data = sync_form(world.own_firm, latitude="27.83", longitude="112.94", accuracy="8")
        assert client.post("/visits/sync", data=data).status_code == 201

    check_in()
    login_as(world.officer)
    with count_queries() as one:
        client.get("/visits/evidence")
    login_as(world.cadre)
    for _ in range(6):
        check_in()
    login_as(world.officer)
    with count_queries() as many:
        body = text(client.get("/visits/evidence"))
    assert body.count("data-review-item=") == 7
    assert many.count == one.count


def test_firm_location_form(client, login_as, world, db):
    login_as(world.cadre)
    assert client.get(f"/enterprises/{world.own_firm.id}/location").status_code == 403
    login_as(world.officer)
    assert "企业位置" in text(client.get(f"/enterprises/{world.own_firm.id}"))
    glat, glng = wgs84_to_gcj02(*FIRM_AT)
    typed = {"datum": "gcj02", "latitude": f"{glat:.6f}", "longitude": f"{glng:.6f}"}
    resp = client.post(f"/enterprises/{world.own_firm.id}/location", data=typed)
    assert resp.status_code == 302
    row = db.session.get(FirmLocation, world.own_firm.id)
    assert abs(row.latitude - FIRM_AT[0]) < 1e-5 and abs(row.longitude - FIRM_AT[1]) < 1e-5
    body = text(client.post(f"/enterprises/{world.own_firm.id}/location",
                            data={"datum": "wgs84", "latitude": "112.9", "longitude": "27.8"}))  # fmt: skip
    assert "填反" in body
    assert "27.829698, 112.944226" in text(client.get(f"/enterprises/{world.own_firm.id}/location"))


def test_evidence_settings_on_the_park_settings_page(client, login_as, world, db):
    login_as(world.officer)
    body = text(client.get("/settings/cadence"))
    assert "现场佐证" in body and f'action="/settings/{world.park_a.id}/evidence"' in body
    limits = {"evidence_enabled": "y", "evidence_max_distance_m": "800", "evidence_max_accuracy_m": "150"}
    resp = client.post(f"/settings/{world.park_a.id}/evidence", data=limits)
    assert resp.status_code == 302
    setting = db.session.get(ParkSetting, world.park_a.id)
    assert (setting.evidence_enabled, setting.evidence_max_distance_m, setting.evidence_max_accuracy_m) == (
        True,
        800,
        150,
    )
    client.post(
        f"/settings/{world.park_a.id}/evidence",
        data={"evidence_max_distance_m": "1", "evidence_max_accuracy_m": "150"},
    )
    with client.session_transaction() as sess:
        assert "请输入50到10000之间的米数" in sess["_flashes"][-1][1]
    db.session.expire_all()
    assert db.session.get(ParkSetting, world.park_a.id).evidence_max_distance_m == 800
    assert client.post(f"/settings/{world.park_b.id}/evidence", data={}).status_code == 404


def test_coverage_page_counts_evidence_apart(client, login_as, world, db):
    login_as(world.officer)
    assert "本月上门(有佐证)" not in text(client.get("/coverage/"))  # the park does not collect it
    collect_evidence(db, world.park_a, firm=world.own_firm, officer=world.officer)
    login_as(world.cadre)
    data = sync_form(
        world.own_firm, latitude=f"{FIRM_AT[0]:.7f}", longitude=f"{FIRM_AT[1]:.7f}", accuracy="9"
    )
    data["photos"] = (BytesIO(JPEG), "现场.jpg")
    client.post("/visits/sync", data=data, content_type="multipart/form-data")
    second = make_enterprise(world.park_a, "第二家企业", cadre=world.cadre, assigned_by=world.officer)
    db.session.commit()
    client.post("/visits/sync", data=sync_form(second))
    login_as(world.officer)
    body = text(client.get("/coverage/"))
    assert "本月上门(有佐证)" in body
    row = re.search(rf"{world.cadre.name}</a></td>(.*?)</tr>", body, re.S).group(1)
    assert re.search(r'data-label="本月已上门" class="text-end">2<', row)
    assert re.search(r"data-evidenced>1<", row)


# ---- upload limits of the sync endpoint (the JSON twin of tests/web/test_upload_limits.py)


def _stored(db, folder) -> tuple:
    db.session.expire_all()
    files = sorted(str(p) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
    return visits(db), files


@pytest.mark.parametrize(
    "filename, content, message",
    [
        ("病毒.exe", b"MZ\x90\x00" * 8, "文件 病毒.exe 类型不支持（仅限图片、PDF、Word、Excel）"),
        ("图.svg", b"<svg onload=alert(1)>", "文件 图.svg 类型不支持"),
        ("照片.jpg", b"<html><script>alert(1)</script></html>", "文件「照片.jpg」的内容与扩展名不符，未保存"),
    ],
)
def test_sync_refuses_files_of_the_wrong_type_and_stores_nothing(
    app, client, login_as, world, db, tmp_path, filename, content, message
):
    folder = tmp_path / "uploads"
    login_as(world.cadre)
    before = _stored(db, folder)
    for field in ("photos", "files"):
        data = sync_form(world.own_firm) | {field: (BytesIO(content), filename)}
        resp = client.post("/visits/sync", data=data, content_type="multipart/form-data")
        assert resp.status_code == 422 and message in resp.get_json()["error"]
    assert _stored(db, folder) == before


def test_sync_refuses_a_file_over_the_per_file_limit(app, client, login_as, world, db, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 1024)
    login_as(world.cadre)
    before = _stored(db, tmp_path / "uploads")
    data = sync_form(world.own_firm) | {"files": (BytesIO(b"%PDF-1.4\n" + b"0" * 2048), "现场.pdf")}
    resp = client.post("/visits/sync", data=data, content_type="multipart/form-data")
    assert resp.status_code == 422 and "文件 现场.pdf 超过1KB" in resp.get_json()["error"]
    assert _stored(db, tmp_path / "uploads") == before


def test_the_visit_export_says_the_evidence_not_the_place(client, login_as, world, db):
    from openpyxl import load_workbook

    _doubtful_visit(client, login_as, world, db)
    login_as(world.officer)
    sheet = load_workbook(BytesIO(client.get("/visits/export.xlsx").data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    column = rows[0].index("现场佐证")
    assert sorted(str(r[column] or "") for r in rows[1:]) == ["", "位置存疑"]
    assert not any("27.83" in str(cell) for row in rows for cell in row)
