"""The policy pages per role: entering and publishing, the matched firms with why, the steps on a pair
from the firm's 政策 tab, 我的企业's 待送达, scope, and constant queries on every list."""

import uuid
from datetime import date
from io import BytesIO

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from crm.models import Policy, PolicyMatch
from tests.support.factories import make_enterprise
from tests.support.policies import give_profile, make_policy, make_tag
from tests.support.uploads import PDF, form_file, image_bytes

JPEG_AS_PDF = image_bytes("JPEG")


def text(resp):
    return resp.get_data(as_text=True)


def form(**fields):
    base = {
        "title": "规上工业企业稳岗补贴",
        "issuer": "湘潭高新区经发局",
        "level": "park",
        "summary": "规上工业企业按参保人数给予稳岗补贴。",
        "benefit_kind": "fund",
        "max_amount": "50",
        "apply_to": "2026-11-30",
        "remind_days": "10",
        "scale_type": "above",
    }
    return base | fields


def test_officer_enters_and_publishes_a_policy_that_matches_at_once(client, login_as, world, db):
    world.own_firm.scale_type = "above"
    db.session.commit()
    login_as(world.officer)
    resp = client.post("/policies/new", data=form(publish="1", chain_ids=[str(world.chain.id)]))
    assert resp.status_code == 302
    policy = db.session.scalar(select(Policy))
    assert (policy.status, policy.park_id, [p.id for p in policy.parks]) == (
        "published",
        world.park_a.id,
        [world.park_a.id],
    )
    body = text(client.get(resp.headers["Location"]))
    assert world.own_firm.name in body and world.other_firm.name not in body  # its chain and 规上
    assert "产业链：要求 装备制造；企业 装备制造" in body
    assert '待送达 <strong class="text-danger">1</strong>' in body
    # A change to the firm shows at once: no longer 规上, no longer matched.
    world.own_firm.scale_type = "below"
    db.session.commit()
    assert world.own_firm.name not in text(client.get(f"/policies/{policy.id}"))


def test_bad_policy_input_is_refused_in_chinese_and_changes_nothing(client, login_as, world, db):
    login_as(world.officer)
    resp = client.post(
        "/policies/new", data=form(apply_from="2026-12-01", apply_to="2026-11-30", publish="1")
    )
    assert resp.status_code == 200 and "申报开始日期不能晚于申报截止日期" in text(resp)
    resp = client.post("/policies/new", data=form(title="", benefit_kind="cash", publish="1"))
    assert "请填写政策名称" in text(resp)
    resp = client.post("/policies/new", data=form(title="A\x00B", publish="1"))
    assert "控制字符" in text(resp)
    assert db.session.scalar(select(func.count(Policy.id))) == 0


def test_cadre_delivers_and_records_payment_from_the_firm_tab(client, login_as, world, db):
    policy = make_policy(
        world.officer, title="装备制造首台套奖励", chain_ids=[world.chain.id], today=date(2026, 10, 1)
    )
    db.session.commit()
    login_as(world.cadre)
    tab = f"/enterprises/{world.own_firm.id}?tab=policies"
    body = text(client.get(tab))
    assert "装备制造首台套奖励" in body and "待送达" in body and ">送达<" in body
    url = f"/policies/{policy.id}/firms/{world.own_firm.id}"
    # Recording payment first is refused in Chinese.
    resp = client.post(f"{url}/approve", data={"amount": "5"}, follow_redirects=True)
    assert "只有“已申报”的政策才能登记兑现（当前为“已匹配”）" in text(resp)
    assert client.post(f"{url}/deliver", data={"on": "2026-11-01"}).status_code == 302
    client.post(f"{url}/interest")
    client.post(f"{url}/apply", data={"on": "2026-11-02"})
    resp = client.post(f"{url}/approve", data={"amount": "8.5", "on": "2026-11-02"}, follow_redirects=True)
    pair = db.session.scalar(select(PolicyMatch))
    assert (pair.status, str(pair.amount)) == ("approved", "8.50")
    body = text(resp)
    assert "兑现 8.5 万元" in body and "送政策记录" in body
    login_as(world.officer)  # the steps are on the firm's 变更记录 too
    assert "政策「装备制造首台套奖励」已兑现，8.5万元" in text(
        client.get(f"/enterprises/{world.own_firm.id}?tab=audit")
    )


def test_scope_other_parks_and_read_only_roles(client, login_as, world, db):
    policy = make_policy(world.officer, title="甲园区政策")
    city = make_policy(world.admin, title="全市政策")
    db.session.commit()
    login_as(world.officer_b)
    assert client.get(f"/policies/{policy.id}").status_code == 404
    body = text(client.get("/policies/"))
    assert "全市政策" in body and "甲园区政策" not in body
    assert client.get(f"/policies/{city.id}/edit").status_code == 403  # city-wide: admins keep it
    login_as(world.leader)
    assert ">送达<" not in text(client.get(f"/policies/{policy.id}"))
    resp = client.post(f"/policies/{policy.id}/firms/{world.own_firm.id}/deliver")
    assert resp.status_code == 403
    login_as(world.cadre)
    assert client.post(f"/policies/{policy.id}/firms/{world.other_firm.id}/deliver").status_code == 404
    assert db.session.scalar(select(func.count(PolicyMatch.id))) == 0


def test_my_firms_shows_pending_policies(client, login_as, world, db):
    make_policy(world.officer, title="稳岗补贴", apply_to=date(2026, 11, 20))
    db.session.commit()
    login_as(world.cadre)
    body = text(client.get(f"/cadres/{world.cadre.id}"))
    assert "待送达政策 1" in body and "稳岗补贴（11-20截止）" in body


def test_firm_profile_on_the_form_filter_and_export(client, login_as, world, db):
    export_tag = make_tag("出口企业")
    make_tag("已停用标签", active=False)
    db.session.commit()
    login_as(world.officer)
    page = text(client.get(f"/enterprises/{world.own_firm.id}/edit"))
    assert "高新技术企业" in page and "出口企业" in page and "已停用标签" not in page
    data = {
        "name": world.own_firm.name,
        "credit_code": world.own_firm.credit_code,
        "park_id": world.park_a.id,
        "chain_id": world.chain.id,
        "scale_type": "",
        "size": "",
        "status": "active",
        "version": world.own_firm.version,
        "quals-hnte": "y",
        "quals-hnte_year": "2023",
        "quals-srdi": "y",
        "tag_ids": [str(export_tag.id)],
    }
    resp = client.post(f"/enterprises/{world.own_firm.id}/edit", data=data)
    assert resp.status_code == 302, text(resp)
    db.session.expire_all()
    assert {(q.code, q.year) for q in world.own_firm.qualifications} == {("hnte", 2023), ("srdi", None)}
    assert [t.name for t in world.own_firm.tags] == ["出口企业"]
    body = text(client.get(f"/enterprises/{world.own_firm.id}"))
    assert "高新技术企业（2023年）、专精特新中小企业" in body
    assert "资质：（空） → 高新技术企业（2023年）、专精特新中小企业" in text(
        client.get(f"/enterprises/{world.own_firm.id}?tab=audit")
    )
    body = text(client.get("/enterprises/?qual=hnte"))
    assert world.own_firm.name in body and world.other_firm.name not in body
    body = text(client.get(f"/enterprises/?tag={export_tag.id}"))
    assert world.own_firm.name in body and world.other_firm.name not in body
    wb = load_workbook(BytesIO(client.get("/enterprises/export.xlsx?qual=hnte").data))
    rows = list(wb.active.values)
    header = rows[0]
    assert rows[1][header.index("资质")] == "高新技术企业（2023年）、专精特新中小企业"
    assert rows[1][header.index("标签")] == "出口企业"
    # A year in the future is refused, and nothing changes.
    data |= {"quals-hnte_year": "2030", "version": world.own_firm.version}
    resp = client.post(f"/enterprises/{world.own_firm.id}/edit", data=data, follow_redirects=True)
    assert "高新技术企业的认定年份应在1990年至2026年之间" in text(resp)


def test_tag_library_is_for_admins(client, login_as, world, db):
    login_as(world.officer)
    assert client.get("/tags/").status_code == 403
    login_as(world.admin)
    client.post("/tags/new", data={"name": "出口企业", "sort_order": "1"})
    resp = client.post("/tags/new", data={"name": "出口企业 ", "sort_order": "2"}, follow_redirects=True)
    assert "标签“出口企业”已存在" in text(resp)
    resp = client.post("/tags/new", data={"name": "出口、外贸"}, follow_redirects=True)
    assert "不能含有顿号" in text(resp)
    tag = make_tag("技改")
    give_profile(world.own_firm, tags=(tag,))
    db.session.commit()
    resp = client.post(f"/tags/{tag.id}/delete", follow_redirects=True)
    assert "正被1家企业使用，不能删除" in text(resp)
    client.post(f"/tags/{tag.id}/retire")
    db.session.expire_all()
    assert tag.is_active is False


def _xlsx(rows):
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = BytesIO()
    wb.save(out)
    out.seek(0)
    return out


POLICY_HEADER = [
    "政策名称",
    "发文机关",
    "政策层级",
    "文号",
    "政策要点",
    "支持方式",
    "申报截止",
    "规模类型",
    "资质要求",
]


def test_policy_import_is_all_or_nothing_and_updates_on_reimport(client, login_as, world, db):
    login_as(world.officer)
    good = ["稳岗补贴", "经发局", "园区", "潭高经〔2026〕1号", "按人数补贴", "资金", "2026-11-30", "规上", ""]
    bad = ["高企奖励", "科技局", "宇宙级", "", "认定奖励", "资金补助", "2026-13-01", "", "高企、火箭企业"]
    resp = client.post("/policies/import", data={"file": (_xlsx([POLICY_HEADER, good, bad]), "政策.xlsx")})
    body = text(resp)
    assert "未导入任何政策" in body
    assert "层级“宇宙级”无法识别" in body and "“火箭企业”不是可识别的资质" in body
    assert db.session.scalar(select(func.count(Policy.id))) == 0
    bad[2], bad[6], bad[8] = "市级", "2026-11-30", "高企、专精特新"
    resp = client.post("/policies/import", data={"file": (_xlsx([POLICY_HEADER, good, bad]), "政策.xlsx")})
    assert "导入完成：新增 2 项，更新 0 项" in text(resp)
    policies = db.session.scalars(select(Policy).order_by(Policy.id)).all()
    assert [(p.title, p.status, p.scale_type) for p in policies] == [
        ("稳岗补贴", "published", "above"),
        ("高企奖励", "published", None),
    ]
    assert policies[1].qualification_codes == ["hnte", "srdi"]
    good[4] = "按参保人数补贴，每人500元"
    client.post("/policies/import", data={"file": (_xlsx([POLICY_HEADER, good]), "政策.xlsx")})
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Policy.id))) == 2
    assert policies[0].summary == "按参保人数补贴，每人500元"
    assert client.get("/policies/import/template.xlsx").status_code == 200


def test_lists_run_a_constant_number_of_queries(client, login_as, world, db, count_queries):
    def measure(url):
        with count_queries() as q:
            assert client.get(url).status_code == 200
        return q.count

    first = make_policy(world.officer, title="政策0")
    db.session.commit()
    login_as(world.officer)
    urls = ["/policies/", f"/policies/{first.id}", f"/enterprises/{world.own_firm.id}?tab=policies"]
    urls.append(f"/cadres/{world.cadre.id}")
    few = [measure(u) for u in urls]
    tag = make_tag("出口企业")
    for i in range(1, 15):
        make_policy(
            world.officer, title=f"政策{i}", qualifications=["hnte"] if i % 2 else [], tag_ids=[tag.id]
        )
    for i in range(15):
        firm = make_enterprise(
            world.park_a, f"企业{i:02d}有限公司", cadre=world.cadre, assigned_by=world.officer
        )
        give_profile(firm, {"hnte": 2024}, (tag,))
    db.session.commit()
    assert [measure(u) for u in urls] == few


def test_policies_ticked_on_the_visit_form_and_in_an_offline_draft_are_delivered(client, login_as, world, db):
    first = make_policy(world.officer, title="首台套奖励", today=date(2026, 10, 1))
    second = make_policy(world.officer, title="技改补助", today=date(2026, 10, 1))
    db.session.commit()
    login_as(world.cadre)
    form_page = text(client.get(f"/enterprises/{world.own_firm.id}/visits/new"))
    assert "送政策" in form_page and "首台套奖励" in form_page and "技改补助" in form_page
    visit = {
        "visited_on": "2026-10-30",
        "kind": "onsite",
        "summary": "上门讲解政策",
        "client_id": str(uuid.uuid4()),
    }
    resp = client.post(
        f"/enterprises/{world.own_firm.id}/visits/new", data=visit | {"policies": [str(first.id)]}
    )
    assert resp.status_code == 302
    pair = db.session.scalar(select(PolicyMatch).where(PolicyMatch.policy_id == first.id))
    assert (pair.status, pair.delivered_on, pair.delivered_by_id) == (
        "delivered",
        date(2026, 10, 30),
        world.cadre.id,
    )
    assert pair.visit_id is not None
    assert "首台套奖励" not in text(
        client.get(f"/enterprises/{world.own_firm.id}/visits/new")
    )  # delivered now
    # The field app's draft posts the same form fields: its ticks are delivered once the draft is sent.
    draft = visit | {
        "enterprise_id": str(world.own_firm.id),
        "client_id": str(uuid.uuid4()),
        "policies": [str(second.id)],
    }
    assert client.post("/visits/sync", data=draft).status_code == 201
    assert (
        db.session.scalar(select(PolicyMatch.status).where(PolicyMatch.policy_id == second.id)) == "delivered"
    )
    # A policy that no longer applies refuses the whole visit, in Chinese, and nothing is written.
    resp = client.post("/visits/sync", data=draft | {"client_id": str(uuid.uuid4())})
    assert resp.status_code == 422 and resp.get_json()["error"] == "该政策已是“已送达”，不能重复操作"


def test_dashboard_card_for_officers_and_leaders(client, login_as, world, db):
    make_policy(world.officer, title="稳岗补贴", apply_to=date(2026, 11, 10))
    db.session.commit()
    login_as(world.officer)
    body = text(client.get("/"))
    assert "惠企政策" in body and "1 项即将截止" in body and "政策送达及时率" in body
    login_as(world.leader)
    assert "data-policy-card" in text(client.get("/"))


def test_the_official_text_as_a_file(client, login_as, world, db):
    login_as(world.officer)
    bad = client.post("/policies/new", data=form(publish="1", file=form_file("文件.pdf", JPEG_AS_PDF)))
    assert "内容与扩展名不符" in text(bad) and db.session.scalar(select(func.count(Policy.id))) == 0
    resp = client.post("/policies/new", data=form(publish="1", file=form_file("潭科发〔2026〕8号.pdf", PDF)))
    assert resp.status_code == 302
    policy = db.session.scalar(select(Policy))
    assert (policy.file_name, policy.file_type) == ("潭科发〔2026〕8号.pdf", "application/pdf")
    assert "潭科发〔2026〕8号.pdf" in text(client.get(f"/policies/{policy.id}"))
    login_as(world.cadre)  # whoever sees the policy reads its text
    got = client.get(f"/policies/{policy.id}/file")
    assert got.status_code == 200 and got.data == PDF and got.headers["Content-Type"] == "application/pdf"
    login_as(world.officer_b)
    assert client.get(f"/policies/{policy.id}/file").status_code == 404


def test_import_preview_names_the_profile_changes(client, login_as, world, db):
    login_as(world.officer)
    rows = [
        ["企业名称", "统一社会信用代码", "企业规模", "资质"],
        [world.own_firm.name, world.own_firm.credit_code, "规上·中型", "高企（2023）"],
    ]
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    data = BytesIO()
    wb.save(data)
    data.seek(0)
    resp = client.post("/imports/", data={"file": (data, "台账.xlsx")}, content_type="multipart/form-data")
    assert resp.status_code == 302
    html = text(client.get(resp.headers["Location"]))
    assert "修改：企业规模、规模类型、资质" in html
