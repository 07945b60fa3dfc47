from sqlalchemy import func, select

from crm.demo.park import DEMO_PASSWORD, DEMO_URL
from crm.models import Assignment, Enterprise, Handover, Park, Problem, ProblemEvent, User
from crm.services.common.creditcode import is_valid_credit_code
from crm.services.problems.deadlines import problem_colour
from crm.services.users.authentication import authenticate
from crm.timeutil import today, utcnow
from tests.support.factories import make_user

LOGINS = (
    ["admin", "officer", "officer2", "leader", "leader2"]
    + [f"cadre{i}" for i in range(1, 9)]
    + [f"handler{i}" for i in range(1, 5)]
)


def count(db, model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def assert_logins_printed(output: str) -> None:
    for username in LOGINS:
        assert username in output
    assert DEMO_PASSWORD in output and DEMO_URL in output
    assert "系统管理员" in output and "联企干部" in output and "部门经办" in output and "税务局" in output


def test_demo_builds_a_realistic_park(runner, db):
    result = runner.invoke(args=["crm", "demo"])
    assert result.exit_code == 0, result.output
    assert "演示数据已装入" in result.output
    assert_logins_printed(result.output)

    firms = list(db.session.scalars(select(Enterprise)))
    assert 55 <= len(firms) <= 65
    codes = [f.credit_code for f in firms]
    assert all(is_valid_credit_code(c) and c.startswith("914303") for c in codes)
    assert len(set(codes)) == len(codes)
    assert len({f.name for f in firms}) == len(firms)
    assert all(
        f.name.endswith("公司") and f.legal_rep and f.contact_phone and "湘潭高新区" in f.address
        for f in firms
    )
    park = db.session.scalar(select(Park).where(Park.code == "XTGX"))
    assert {f.park_id for f in firms} == {park.id} and all(f.chain_id for f in firms)
    assert any(f.status == "suspended" for f in firms) and any(f.is_key for f in firms)
    assert {f.scale_type for f in firms} == {"above", "below"}

    roles = dict(db.session.execute(select(User.role, func.count(User.id)).group_by(User.role)).all())
    assert roles == {"admin": 1, "officer": 2, "leader": 2, "cadre": 8, "handler": 4}
    assert authenticate("cadre1", DEMO_PASSWORD, utcnow())[0] is not None
    levels = dict(
        db.session.execute(select(User.username, User.leader_level).where(User.role == "leader")).all()
    )
    assert levels == {"leader": 4, "leader2": 3}
    assert db.session.scalar(select(User.is_dept_head).where(User.username == "handler4")) is True

    # 一企一人: never two active liaisons; some active firms deliberately unassigned; history exists.
    doubled = db.session.scalars(
        select(Assignment.enterprise_id)
        .where(Assignment.end_on.is_(None))
        .group_by(Assignment.enterprise_id)
        .having(func.count(Assignment.id) > 1)
    ).all()
    assert doubled == []
    unassigned = [f for f in firms if f.status == "active" and f.active_assignment is None]
    assert 1 <= len(unassigned) <= 6
    assert db.session.scalar(select(func.count(Assignment.id)).where(Assignment.end_on.is_not(None))) >= 3
    assert count(db, Handover) == 1
    cadres = db.session.scalars(select(User).where(User.role == "cadre")).all()
    loads = {
        c.username: db.session.scalar(
            select(func.count(Assignment.id)).where(Assignment.cadre_id == c.id, Assignment.end_on.is_(None))
        )
        for c in cadres
    }
    assert all(n > 0 for n in loads.values()), loads


def test_demo_refuses_a_second_run_and_if_empty_skips(runner, db):
    assert runner.invoke(args=["crm", "demo"]).exit_code == 0
    firms, users = count(db, Enterprise), count(db, User)

    again = runner.invoke(args=["crm", "demo"])
    assert again.exit_code == 1
    assert "已有数据" in again.stderr and "演示数据只能装入空数据库" in again.stderr
    assert_logins_printed(again.stdout)

    skipped = runner.invoke(args=["crm", "demo", "--if-empty"])
    assert skipped.exit_code == 0
    assert "演示数据已装入" not in skipped.output and skipped.stderr == ""
    assert_logins_printed(skipped.output)
    db.session.expire_all()
    assert (count(db, Enterprise), count(db, User)) == (firms, users)


def test_demo_leaves_a_database_with_real_users_alone(runner, db):
    make_user("admin", username="root")
    db.session.commit()
    assert runner.invoke(args=["crm", "demo"]).exit_code == 1
    skipped = runner.invoke(args=["crm", "demo", "--if-empty"])
    assert skipped.exit_code == 0 and skipped.output == ""
    assert count(db, Enterprise) == 0 and count(db, User) == 1


def test_demo_has_problems_in_every_state_with_real_timelines(runner, db):
    """The hand-off workflow is visible from the first login: every status, colours, an escalation."""
    assert runner.invoke(args=["crm", "demo"]).exit_code == 0
    problems = list(db.session.scalars(select(Problem)))
    assert {p.status for p in problems} == {
        "new",
        "dispatched",
        "in_progress",
        "resolved",
        "returned",
        "closed",
    }
    assert {problem_colour(p, today()) for p in problems} == {"red", "yellow", "green", "grey"}
    assert any(p.level >= 2 for p in problems) and any(p.redo_count for p in problems)
    assert any(p.has_pending_extension for p in problems) and any(p.forced_close_reason for p in problems)
    assert {p.evaluation for p in problems if p.status == "closed"} >= {"satisfied", "basic"}
    actions = set(db.session.scalars(select(ProblemEvent.action)))
    assert {
        "raise",
        "dispatch",
        "accept",
        "return",
        "resolve",
        "evaluate",
        "supervise",
        "instruct",
        "escalate",
        "approve_extension",
        "request_extension",
        "solve_on_spot",
        "force_close",
    } <= actions
    # Steps are dated on their business day, so the timeline reads like a real one.
    assert all(e.at.date() == e.happened_on for e in db.session.scalars(select(ProblemEvent)) if e.actor_id)
