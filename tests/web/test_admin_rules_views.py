"""问题办理规则 page: admins only; defaults shown; Chinese refusals change nothing; saving is audited."""

import pytest
from sqlalchemy import func, select

from crm.models import AuditLog, Setting
from crm.services.problems.rules import SETTING_KEY, ProblemRules, problem_rules

OTHER_ROLES = ["officer", "leader", "cadre", "handler"]
VALID = {
    "limit_normal": "10",
    "limit_urgent": "3",
    "sign_days": "1",
    "feedback_days": "3",
    "progress_days": "7",
    "warn_share": "30",
    "warn_days": "2",
    "return_days": "1",
    "extension_notice_days": "1",
    "max_extension_days": "10",
    "escalate_2": "1",
    "escalate_3": "3",
    "escalate_4": "5",
}


def page(resp) -> str:
    return resp.get_data(as_text=True)


def stored(db):
    db.session.expire_all()
    row = db.session.get(Setting, SETTING_KEY)
    return row.value if row else None


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_get_403_and_change_nothing(client, login_as, world, db, role):
    login_as(getattr(world, role))
    assert client.get("/admin/rules").status_code == 403
    assert client.post("/admin/rules", data=VALID | {"limit_normal": "20"}).status_code == 403
    assert stored(db) is None


def test_anonymous_is_sent_to_login(client, world, db):
    for method in ("GET", "POST"):
        resp = client.open("/admin/rules", method=method, data=VALID)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert stored(db) is None


def test_page_shows_the_current_values_and_the_defaults(client, login_as, world):
    login_as(world.admin)
    shown = page(client.get("/admin/rules"))
    assert "问题办理规则" in shown and "不会改变已确定的期限" in shown
    assert 'name="limit_normal" min="1" max="120" value="10"' in shown
    assert 'name="escalate_4" min="0" max="60" value="5"' in shown
    assert "默认 10" in shown and "默认 3" in shown
    assert "第3级 区分管领导" in shown and "水电气要素" in shown
    assert 'name="warn_share" min="0" max="100" value="30"' in shown and "data-warn-share-help" in shown
    assert 'name="cat_land_normal"' in shown and 'placeholder="通用 10"' in shown


def test_admin_saves_the_rules(client, login_as, world, db):
    login_as(world.admin)
    data = VALID | {"limit_normal": "15", "warn_days": "3", "escalate_4": "8", "cat_land_normal": "20"}
    data |= {"warn_share": "40"}
    resp = client.post("/admin/rules", data=data | {"cat_land_urgent": "", "cat_finance_urgent": " 5 "})
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/rules"
    rules = problem_rules()
    assert rules.limits == {"normal": 15, "urgent": 3} and rules.warn_days == 3 and rules.warn_share == 40
    assert rules.escalate_after == {2: 1, 3: 3, 4: 8}
    assert rules.category_limits == {"land": {"normal": 20}, "finance": {"urgent": 5}}
    assert rules.limit_for("land", "normal") == 20 and rules.limit_for("land", "urgent") == 3
    audit = db.session.scalars(select(AuditLog).where(AuditLog.entity_type == "setting")).one()
    assert audit.actor_id == world.admin.id and audit.changes["warn_days"] == [2, 3]
    shown = page(client.get("/admin/rules"))
    assert "问题办理规则已保存" in shown and 'name="cat_land_normal"' in shown and 'value="20"' in shown
    same = client.post("/admin/rules", data=data | {"cat_finance_urgent": "5"}, follow_redirects=True)
    assert "没有需要保存的修改" in page(same)
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.entity_type == "setting")) == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"limit_normal": "abc"}, "一般问题办结时限应为整数"),
        ({"limit_urgent": ""}, "紧急问题办结时限应为整数"),
        ({"limit_normal": "0"}, "一般问题办结时限应在1到120之间"),
        ({"warn_days": "11"}, "黄色预警提前（工作日）应在0到10之间"),
        ({"warn_share": "101"}, "黄色预警剩余时限比例（%）应在0到100之间"),
        ({"warn_share": "三成"}, "黄色预警剩余时限比例（%）应为整数"),
        ({"cat_land_urgent": "-1"}, "用地类紧急问题时限应在1到120之间"),
        ({"escalate_3": "0"}, "逐级升级的逾期天数应依次不减少"),
        ({"sign_days": "5"}, "137时限应依次递增"),
        ({"escalate_2": "x", "max_extension_days": "99"}, "单次延期上限（工作日）应在1到60之间"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_changes_nothing(client, login_as, world, db, change, message):
    login_as(world.admin)
    client.post("/admin/rules", data=VALID | {"limit_normal": "12"})
    before = stored(db)
    resp = client.post("/admin/rules", data=VALID | {"limit_normal": "12"} | change)
    shown = page(resp)
    assert resp.status_code == 200 and message in shown and "未保存" in shown
    assert stored(db) == before and problem_rules().limits["normal"] == 12
    for key, value in change.items():
        assert f'name="{key}"' in shown and f'value="{value.strip()}"' in shown  # what was typed is kept


def test_defaults_without_any_setting(db):
    assert problem_rules() == ProblemRules()
