"""问题办理规则 page: admins only; defaults shown; Chinese refusals change nothing; each save is a new,
audited version for the problems dispatched from then on; the page lists every version; a form opened
before a colleague's save is refused."""

import pytest
from sqlalchemy import func, select

from crm.models import AuditLog, ProblemRuleSet
from crm.services.problems.rules import ProblemRules, problem_rules, rules_from_json
from tests.support.problems import make_problem

OTHER_ROLES = ["officer", "leader", "cadre", "handler"]
VALID = {
    "limit_normal": "10",
    "limit_urgent": "3",
    "sign_days": "1",
    "feedback_days": "3",
    "progress_days": "7",
    "warn_share": "30",
    "return_days": "1",
    "extension_notice_days": "1",
    "max_extension_days": "10",
    "escalate_2": "1",
    "escalate_3": "3",
    "escalate_4": "5",
}


def page(resp) -> str:
    return resp.get_data(as_text=True)


def versions(db) -> list[tuple[int, dict]]:
    db.session.expire_all()
    return [
        (r.number, r.rules)
        for r in db.session.scalars(select(ProblemRuleSet).order_by(ProblemRuleSet.number))
    ]


def seen(db) -> str:
    """The version number the page would carry now (0 before the first version)."""
    return str(db.session.scalar(select(func.max(ProblemRuleSet.number))) or 0)


def save(client, db, **changes):
    return client.post("/admin/rules", data=VALID | {"version": seen(db)} | changes)


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_get_403_and_change_nothing(client, login_as, world, db, role):
    login_as(getattr(world, role))
    assert client.get("/admin/rules").status_code == 403
    assert save(client, db, limit_normal="20").status_code == 403
    assert versions(db) == []


def test_anonymous_is_sent_to_login(client, world, db):
    for method in ("GET", "POST"):
        resp = client.open("/admin/rules", method=method, data=VALID | {"version": "0"})
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert versions(db) == []


def test_page_shows_the_current_values_and_the_defaults(client, login_as, world):
    login_as(world.admin)
    shown = page(client.get("/admin/rules"))
    assert "问题办理规则" in shown and "不会改变已确定的期限" in shown
    assert "只适用于此后交办（含改派、重办）的问题" in shown and "data-rules-scope" in shown
    assert 'name="limit_normal" min="1" max="120" value="10"' in shown
    assert 'name="escalate_4" min="0" max="60" value="5"' in shown
    assert "默认 10" in shown and "默认 3" in shown
    assert "第3级 区分管领导" in shown and "水电气要素" in shown
    assert 'name="warn_share" min="0" max="100" value="30"' in shown and "data-warn-share-help" in shown
    assert 'name="cat_land_normal"' in shown and 'placeholder="通用 10"' in shown
    assert 'name="version" value="0"' in shown and "默认规则" in shown and "data-rule-history-empty" in shown
    assert "warn_days" not in shown and "黄色预警提前" not in shown  # the old rule is gone


def test_admin_saves_the_rules_as_a_new_version(client, login_as, world, db):
    login_as(world.admin)
    data = {"limit_normal": "15", "escalate_4": "8", "cat_land_normal": "20", "warn_share": "40"}
    data |= {"cat_land_urgent": "", "cat_finance_urgent": " 5 ", "note": "依据区政府通知调整（试行）"}
    resp = save(client, db, **data)
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/rules"
    rules = problem_rules()
    assert rules.limits == {"normal": 15, "urgent": 3} and rules.warn_share == 40
    assert rules.escalate_after == {2: 1, 3: 3, 4: 8}
    assert rules.category_limits == {"land": {"normal": 20}, "finance": {"urgent": 5}}
    assert rules.limit_for("land", "normal") == 20 and rules.limit_for("land", "urgent") == 3
    row = db.session.scalars(select(ProblemRuleSet)).one()
    assert (row.number, row.created_by_id, row.note) == (1, world.admin.id, "依据区政府通知调整（试行）")
    audit = db.session.scalars(select(AuditLog).where(AuditLog.entity_type == "problem_rule_set")).one()
    assert audit.actor_id == world.admin.id and audit.entity_id == row.id
    assert audit.changes["一般问题办结时限"] == [10, 15] and audit.changes["用地类一般问题时限"] == [None, 20]
    assert "第1版" in audit.summary and "适用于此后交办的问题" in audit.summary
    shown = page(client.get("/admin/rules"))
    assert (
        "问题办理规则已保存为新版本" in shown and 'name="cat_land_normal"' in shown and 'value="20"' in shown
    )
    assert 'name="version" value="1"' in shown
    same = client.post(
        "/admin/rules", data=VALID | data | {"version": "1", "cat_finance_urgent": "5"}, follow_redirects=True
    )
    assert "没有需要保存的修改" in page(same)
    assert len(versions(db)) == 1
    assert (
        db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.entity_type == "problem_rule_set"))
        == 1
    )


def test_the_page_lists_every_version_with_who_when_and_what_changed(client, login_as, world, pworld, db):
    login_as(world.admin)
    # The problems of pworld were dispatched, which recorded version 1 (the defaults, by the system).
    assert versions(db)[0][0] == 1
    assert save(client, db, sign_days="2", note="签收时限放宽").status_code == 302
    assert save(client, db, sign_days="2", escalate_2="2", escalate_3="4").status_code == 302
    shown = page(client.get("/admin/rules"))
    assert "版本历史" in shown and "data-rule-history" in shown
    rows = shown.split('<tr data-version="')[1:]
    assert [r.split('"', 1)[0] for r in rows] == ["3", "2", "1"]  # newest first
    v3, v2, v1 = rows
    assert "第3版" in v3 and "现行" in v3 and world.admin.name in v3
    assert "逾期升级至平台部门（工作日）：1 → 2" in v3 and "逾期升级至区分管领导（工作日）：3 → 4" in v3
    assert "签收时限（工作日）" not in v3  # unchanged in version 3
    assert "签收时限（工作日）：1 → 2" in v2 and "签收时限放宽" in v2 and "现行" not in v2
    assert "系统" in v1 and "默认规则" in v1
    assert 'name="sign_days" min="1" max="10" value="2"' in shown and 'name="version" value="3"' in shown


def test_history_is_paginated(client, login_as, world, db):
    login_as(world.admin)
    for days in range(11, 23):  # twelve versions
        assert save(client, db, limit_normal=str(days)).status_code == 302
    first = page(client.get("/admin/rules"))
    assert first.count('<tr data-version="') == 10 and "共 12 条" in first
    second = page(client.get("/admin/rules?page=2"))
    assert [r.split('"', 1)[0] for r in second.split('<tr data-version="')[1:]] == ["2", "1"]
    # Version 2's change is computed against version 1, which is on the same page; version 1's against
    # the defaults, as on page one for version 3 against version 2 on the next page.
    assert "一般问题办结时限：11 → 12" in second and "一般问题办结时限：10 → 11" in second
    assert "一般问题办结时限：12 → 13" in first


def test_a_form_opened_before_a_colleagues_save_is_refused(client, login_as, world, db):
    login_as(world.admin)
    assert save(client, db, limit_normal="12").status_code == 302
    stale = client.post(
        "/admin/rules", data=VALID | {"version": "0", "limit_normal": "20"}, follow_redirects=True
    )
    assert "办理规则刚被其他管理员修改" in page(stale)
    assert [n for n, _ in versions(db)] == [1] and problem_rules().limits["normal"] == 12
    assert 'name="limit_normal" min="1" max="120" value="12"' in page(stale)  # the latest values shown
    missing = client.post("/admin/rules", data=VALID | {"limit_normal": "20"}, follow_redirects=True)
    assert "页面缺少版本信息" in page(missing) and [n for n, _ in versions(db)] == [1]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"limit_normal": "abc"}, "一般问题办结时限应为整数"),
        ({"limit_urgent": ""}, "紧急问题办结时限应为整数"),
        ({"limit_normal": "0"}, "一般问题办结时限应在1到120之间"),
        ({"limit_normal": "9" * 5000}, "一般问题办结时限应为整数"),
        ({"warn_share": "101"}, "黄色预警剩余时限比例（%）应在0到100之间"),
        ({"warn_share": "三成"}, "黄色预警剩余时限比例（%）应为整数"),
        ({"cat_land_urgent": "-1"}, "用地类紧急问题时限应在1到120之间"),
        ({"escalate_3": "0"}, "逐级升级的逾期天数应依次不减少"),
        ({"sign_days": "5"}, "137时限应依次递增"),
        ({"escalate_2": "x", "max_extension_days": "99"}, "单次延期上限（工作日）应在1到60之间"),
        ({"note": "说明" * 101}, "修改说明不能超过200字"),
        ({"note": "调整\x01时限"}, "修改说明含有不可见的控制字符"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_changes_nothing(client, login_as, world, db, change, message):
    login_as(world.admin)
    save(client, db, limit_normal="12")
    before = versions(db)
    resp = save(client, db, **({"limit_normal": "12"} | change))
    shown = page(resp)
    assert resp.status_code == 200 and message in shown and "未保存" in shown
    assert versions(db) == before and problem_rules().limits["normal"] == 12
    for key, value in change.items():
        if len(value) < 100:
            assert f'name="{key}"' in shown and f'value="{value.strip()}"' in shown  # what was typed is kept


def test_defaults_without_any_version(db):
    assert problem_rules() == ProblemRules()


def test_a_dispatch_records_the_version_in_force(client, login_as, world, db):
    """Saving on the page switches new dispatches to the new version; earlier ones keep theirs."""
    login_as(world.admin)
    assert save(client, db, sign_days="2").status_code == 302
    firm = world.own_firm
    p = make_problem(firm, world.cadre, "dispatched", world.dept, world.handler)
    version = db.session.get(ProblemRuleSet, p.rule_set_id)
    assert version.number == 1 and rules_from_json(version.rules).sign_days == 2
