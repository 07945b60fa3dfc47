"""The demo's timelines read in the order things happened: on every problem page and in every firm's
变更记录 an answer (同意延期) comes after its question (申请延期), and each step starts where the last
ended."""

import re
from collections import defaultdict

from sqlalchemy import select

from crm.models import AuditLog, Problem, ProblemEvent, User

ANSWERS = {"approve_extension": "request_extension", "refuse_extension": "request_extension"}


def test_every_demo_timeline_and_change_log_is_in_time_order(runner, db):
    assert runner.invoke(args=["crm", "demo"]).exit_code == 0
    events = defaultdict(list)
    for e in db.session.scalars(select(ProblemEvent).order_by(ProblemEvent.at, ProblemEvent.id)):
        events[e.problem_id].append(e)
    assert len(events) == len(db.session.scalars(select(Problem.id)).all())
    decided = 0
    for problem_id, timeline in events.items():
        actions = [e.action for e in timeline]
        assert actions[0] == "raise", (problem_id, actions)
        for before, after in zip(timeline, timeline[1:], strict=False):
            # Each step starts in the state the one before left (the page lists them by time).
            assert after.from_status == before.to_status, (problem_id, actions)
            assert after.happened_on >= before.happened_on, (problem_id, actions)
        asked = 0
        for action in actions:
            if action == "request_extension":
                asked += 1
            elif action in ANSWERS:
                decided += 1
                assert asked > 0, f"问题 {problem_id} 的“同意/不同意延期”排在“申请延期”之前：{actions}"
                asked -= 1
    assert decided, "the demo shows at least one decided extension"
    # The firm's 变更记录 dates each problem step when it happened, so it reads in the same order.
    stamps = defaultdict(list)
    for e in db.session.scalars(select(ProblemEvent).order_by(ProblemEvent.at, ProblemEvent.id)):
        stamps[e.problem_id].append(e.at)
    logged = defaultdict(list)
    for row in db.session.scalars(
        # Joining a 共性问题 is on the firm's 变更记录 but is no step of the problem (no event of its own).
        select(AuditLog)
        .where(AuditLog.entity_type == "problem", AuditLog.action != "common_issue")
        .order_by(AuditLog.at, AuditLog.id)
    ):
        logged[row.entity_id].append(row.at)
    for problem_id, ats in stamps.items():
        assert logged[problem_id] == ats, problem_id


def test_the_demo_search_example_and_polyphone_names_are_found(runner, db, client, login_as):
    assert runner.invoke(args=["crm", "demo"]).exit_code == 0
    login_as(db.session.scalar(select(User).where(User.username == "officer")))
    page = client.get("/enterprises/").get_data(as_text=True)
    example = re.search(r"拼音（如 ([a-z]+)）", page).group(1)
    found = client.get(f"/enterprises/?q={example}").get_data(as_text=True)
    assert "没有符合条件的企业" not in found, example
    # The demo's polyphone names answer to every reading: 长 chang/zhang, 晟 sheng/cheng.
    for query, name in (
        ("xtcsdq", "湘潭长顺电气有限公司"),
        ("xtzsdq", "湘潭长顺电气有限公司"),
        ("hnst", "湖南晟通智能科技股份有限公司"),
        ("hnct", "湖南晟通智能科技股份有限公司"),
    ):
        assert name in client.get(f"/enterprises/?q={query}").get_data(as_text=True), query
