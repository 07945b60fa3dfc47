"""The 政策 section of the firm's own service page: the policies it meets in plain words, the window and
whom to ask, its answer 有意申报 / 不需要 (recorded as the firm's, on its timeline), and nothing of other
firms or parks; refusals in Chinese, the page's rate limit on answers."""

from datetime import date

import pytest
from sqlalchemy import select

from crm.models import AuditLog, PolicyEvent, PolicyMatch
from crm.services.policies.delivery import take_step
from crm.services.portal.codes import issue_service_code, token_of
from tests.support.dates import TODAY
from tests.support.policies import make_policy


@pytest.fixture()
def portal(world, db):
    w = world
    w.own_firm.scale_type = "above"
    w.cadre.phone = "13907320001"
    w.closing = make_policy(
        w.officer,
        title="规上企业稳岗补贴",
        scale_type="above",
        contact="园区人社局 0731-58881188",
        apply_to=date(2026, 11, 10),
        today=date(2026, 10, 1),
    )
    w.later = make_policy(
        w.officer, title="技改补助", apply_to=date(2026, 12, 20), valid_to=date(2026, 12, 31)
    )
    w.small_only = make_policy(w.officer, title="小微贴息", sizes=["micro"])  # the firm has no size: not its
    w.foreign = make_policy(w.officer_b, title="乙园区政策")
    w.token = token_of(issue_service_code(w.own_firm, w.officer))
    db.session.commit()
    return w


def text(resp) -> str:
    return resp.get_data(as_text=True)


def test_the_firm_sees_its_policies_in_plain_words(client, portal):
    w = portal
    home = text(client.get(f"/s/{w.token}"))
    assert "惠企政策" in home and "贵企业符合 2 项" in home and "规上企业稳岗补贴" in home
    page = client.get(f"/s/{w.token}/policies")
    body = text(page)
    assert page.status_code == 200
    assert "申报截止：2026年11月10日（还有8天）" in body and "咨询：园区人社局 0731-58881188" in body
    assert 'href="tel:13907320001"' in body and "贵企业符合申报条件" in body
    for other in ("小微贴息", "乙园区政策"):
        assert other not in body
    assert f'data-portal-policy="{w.closing.id}"' in body and "有意申报" in body and "不需要" in body


def test_the_firm_answers_and_the_cadre_sees_it(client, login_as, portal, db):
    w = portal
    resp = client.post(f"/s/{w.token}/policies/{w.closing.id}/interest")
    assert resp.status_code == 302
    pair = db.session.scalar(select(PolicyMatch).where(PolicyMatch.policy_id == w.closing.id))
    assert pair.status == "interested"
    event = db.session.scalar(select(PolicyEvent).where(PolicyEvent.match_id == pair.id))
    assert (event.by_firm, event.actor_id, event.happened_on) == (True, None, TODAY)
    audit = db.session.scalar(select(AuditLog.summary).where(AuditLog.entity_type == "policy_match"))
    assert audit == "企业通过服务码页面：政策「规上企业稳岗补贴」有意申报"
    assert "贵企业已表示有意申报" in text(client.get(f"/s/{w.token}/policies"))
    client.post(f"/s/{w.token}/policies/{w.later.id}/decline", data={"reason": "暂无技改计划"})
    assert (
        db.session.scalar(select(PolicyMatch.reason).where(PolicyMatch.policy_id == w.later.id))
        == "暂无技改计划"
    )
    login_as(w.cadre)  # on the firm's 政策 tab, with who answered
    tab = text(client.get(f"/enterprises/{w.own_firm.id}?tab=policies"))
    assert "企业（服务码）" in tab and "原因：暂无技改计划" in tab


def test_refusals_change_nothing(client, portal, db, app):
    w = portal
    for policy in (w.small_only, w.foreign):
        resp = client.post(f"/s/{w.token}/policies/{policy.id}/interest")
        assert resp.status_code == 400
    assert "该政策不存在或已撤回，请刷新页面" in text(
        client.post(f"/s/{w.token}/policies/{w.foreign.id}/interest")
    )
    resp = client.post(f"/s/{w.token}/policies/{w.small_only.id}/interest")
    assert "不符合该政策的条件" in text(resp)
    take_step(w.cadre, w.closing, w.own_firm, "deliver", TODAY)
    take_step(w.cadre, w.closing, w.own_firm, "interest", TODAY)
    take_step(w.cadre, w.closing, w.own_firm, "apply", TODAY)
    db.session.commit()
    resp = client.post(f"/s/{w.token}/policies/{w.closing.id}/decline")
    assert resp.status_code == 400 and "当前为“已申报”" in text(resp)
    assert "已申报，等待审核结果" in text(client.get(f"/s/{w.token}/policies"))
    assert client.post(f"/s/{w.token}/policies/{w.closing.id}/approve").status_code == 404  # not the firm's
    assert client.get(f"/s/{'A' * 32}/policies").status_code == 404
    assert db.session.scalar(select(PolicyMatch.status)) == "applied"


def test_answers_count_against_the_pages_limit(client, portal, db, app):
    w = portal
    old = app.config.get("PORTAL_ACTIONS_PER_CODE")
    app.config["PORTAL_ACTIONS_PER_CODE"] = 1
    try:
        assert client.post(f"/s/{w.token}/policies/{w.closing.id}/interest").status_code == 302
        resp = client.post(f"/s/{w.token}/policies/{w.later.id}/interest")
        assert resp.status_code == 429
        assert (
            db.session.scalar(select(PolicyMatch.status).where(PolicyMatch.policy_id == w.later.id)) is None
        )
    finally:
        app.config["PORTAL_ACTIONS_PER_CODE"] = old
