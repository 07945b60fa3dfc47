"""The demo shows 企业之声: service codes, 企业自报 problems in several states, the firm's own ratings, a
代录, a withdrawal waiting for its 质检 and one found 不属实, last month's 回访抽查, and the demo firm's link
printed next to the logins, opening a page that asks for a rating and an answer to a 撤单申请."""

import re

from sqlalchemy import func, select

from crm.models import CallbackDraw, Enterprise, Problem, ServiceCode, Withdrawal


def test_the_demo_has_the_firms_voice(runner, client, db):
    result = runner.invoke(args=["crm", "demo"])
    assert result.exit_code == 0, result.output
    match = re.search(
        r"企业服务码（无需登录，用手机或浏览器打开）：(\S+) http://127\.0\.0\.1:5000(/s/[\w-]{32})",
        result.output,
    )
    assert match, result.output

    active = db.session.scalar(select(func.count(Enterprise.id)).where(Enterprise.status != "closed"))
    codes = db.session.scalar(select(func.count(ServiceCode.id)).where(ServiceCode.revoked_at.is_(None)))
    assert codes == active
    firm_problems = list(db.session.scalars(select(Problem).where(Problem.source == "firm")))
    assert {p.status for p in firm_problems} >= {"new", "in_progress", "resolved", "closed"}
    assert any(p.evaluation_by == "firm" for p in firm_problems)
    assert db.session.scalar(select(func.count(Problem.id)).where(Problem.evaluation_channel == "phone")) >= 1
    assert (
        db.session.scalar(select(func.count(Problem.id)).where(Problem.withdrawal_requested_on.is_not(None)))
        == 1
    )
    reviews = sorted(str(r) for r in db.session.scalars(select(Withdrawal.review)))
    assert reviews == ["None", "false"]  # one waiting for its 质检, one found 不属实
    assert db.session.scalar(select(func.count(CallbackDraw.id))) == 1

    page = client.get(match.group(2)).get_data(as_text=True)
    assert match.group(1) in page and "等待您评价或确认" in page
    assert "有撤单申请，请您确认是否同意" in page and "已办结，请您评价" in page
