"""月结 of the newer sheets: 企业之声, 撤单质检, 回访抽查, 上门(有佐证) and 政策兑现 come from the facts the
close froze, so a closed month's copy of them never moves.

The crafted October (tests/support/reports.py) gets a firm's own voice (a 企业自报 problem, a firm's
rating, two withdrawals, September's 回访抽查 sample), on-site visits with evidence, and a policy
delivered to a firm. October is closed; then a firm rates a problem, a withdrawal is reviewed 不属实, a
sampled problem is called back, a doubtful visit is reviewed 核实无误, a policy pair moves to 已兑现, and
names, a park and a firm's profile change — after which every cell of every sheet of the workbooks of
park A, park B and all parks is compared with the closed version.
"""

from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from crm.extensions import db as _db
from crm.models import FirmLocation, ParkSetting, PortalSetting, Visit
from crm.reporting.monthly.build import build_monthly_report
from crm.reporting.monthly.close import close_month, snapshot_rows
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.snapshot import LiveSource
from crm.reporting.monthly.writer import write_monthly_workbook
from crm.services.closing.store import reopen_month
from crm.services.enterprises.registry import update_enterprise
from crm.services.policies.delivery import take_step
from crm.services.portal.callbacks import draw_callbacks, record_callback
from crm.services.portal.codes import issue_service_code
from crm.services.portal.firm_steps import answer_withdrawal, rate_problem
from crm.services.portal.submissions import submit_problem
from crm.services.visits.locations import review_visit
from crm.services.visits.records import log_visit
from tests.support.month_close import OCTOBER_CLOSE_DAY, STAMP, Cells, cells, close, differences
from tests.support.policies import give_profile, make_policy
from tests.support.problems import make_problem, step
from tests.support.reports import report_world
from tests.support.uploads import JPEG, upload

NOV_5 = date(2026, 11, 5)
HERE = {"latitude": "27.8297", "longitude": "112.9442", "accuracy": "10"}
FAR = {"latitude": "27.9000", "longitude": "112.9442", "accuracy": "10"}  # some 8 km away


def _oct(day: int) -> date:
    return date(2026, 10, day)


@pytest.fixture(autouse=True)
def upload_folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))


def _form(title: str) -> dict:
    return {
        "category": "labour",
        "title": title,
        "description": f"{title}的具体情况",
        "contact_name": "李会计",
        "contact_phone": "0731-58881234",
    }


def october_voices(w) -> None:
    """Park A's October: what the firms said, the withdrawals, September's sample, evidenced visits."""
    _db.session.add(ParkSetting(park_id=w.park_a.id, evidence_enabled=True))
    _db.session.add(
        PortalSetting(park_id=w.park_a.id, callback_percent=10, callback_min=2, rating_reminder_days=5)
    )
    _db.session.add(
        FirmLocation(
            enterprise_id=w.f3.id,
            latitude=27.8297,
            longitude=112.9442,
            source="officer",
            set_by_id=w.officer.id,
        )
    )
    # September's closed problems (P8 and this one) make October's 回访抽查 sample; one is called in October.
    w.sampled = make_problem(w.f4, w.c2, "closed", w.dept2, w.h2, w.officer, "九月的路灯问题",
                             raised_on=date(2026, 9, 3), on=date(2026, 9, 8))  # fmt: skip
    w.draw = draw_callbacks(w.park_a, "2026-09", _oct(2))
    first, w.uncalled = w.draw.checks
    record_callback(
        first, w.officer, {"status": "reached", "confirmed": "yes", "satisfaction": "satisfied"}, _oct(9)
    )
    w.code = issue_service_code(w.f1, w.officer)
    submit_problem(w.code, _form("招工难"), (), "10.0.0.1", _oct(21))
    rated = make_problem(
        w.f1, w.c1, "resolved", w.dept1, w.h1, w.officer, "消防验收", raised_on=_oct(19), on=_oct(19)
    )
    rate_problem(w.code, rated, {"evaluation": "satisfied", "version": rated.version}, today=_oct(22))
    w.unrated = make_problem(w.f1, w.c1, "resolved", w.dept1, w.h1, w.officer, "环评批复", raised_on=_oct(23),
                             on=_oct(23))  # fmt: skip
    agreed = make_problem(w.f1, w.c1, "withdrawal", w.dept1, w.h1, w.officer, "用地手续", raised_on=_oct(20),
                          on=_oct(20))  # fmt: skip
    answer_withdrawal(w.code, agreed, {"answer": "agree", "version": agreed.version}, today=_oct(24))
    step(agreed, "review_withdrawal", w.officer, on=_oct(27), verdict="genuine", note="企业确认已自行解决")
    w.by_phone = make_problem(w.f3, w.c1, "withdrawn", w.dept2, w.h2, w.officer, "排污许可",
                              raised_on=_oct(21), on=_oct(26))  # fmt: skip
    visit = {"kind": "onsite", "summary": "上门核实用电"}
    log_visit(w.f3, w.c1, visit | {"visited_on": "2026-10-22"}, _oct(22), files=[upload("现场.jpg", JPEG)],
              location=HERE)  # fmt: skip
    w.doubtful = log_visit(w.f3, w.c1, visit | {"visited_on": "2026-10-27"}, _oct(27),
                           files=[upload("现场.jpg", JPEG)], location=FAR)  # fmt: skip
    assert w.doubtful.evidence == "doubtful"
    # A city-wide policy for 高新技术企业 (甲一, 甲三 and 乙一), delivered to 甲一 and applied for.
    for firm, year in ((w.f1, 2020), (w.f3, 2021), (w.fb1, 2022)):
        give_profile(firm, {"hnte": year})
        firm.created_at = datetime(2026, 1, 1)  # on file before the policy: its 送达 is due on 10-25
    w.policy = make_policy(w.admin, title="全市高企奖励", qualifications=["hnte"], today=_oct(10))
    for code, day in (("deliver", 20), ("interest", 21), ("apply", 25)):
        take_step(w.c1, w.policy, w.f1, code, _oct(day), on=_oct(day))
    _db.session.flush()


@pytest.fixture()
def w(db):
    world = report_world()
    october_voices(world)
    db.session.commit()
    world.scopes = {"A": world.park_a, "B": world.park_b, "all": None}
    return world


def _all(w) -> dict[str, Cells]:
    return {key: cells(park) for key, park in w.scopes.items()}


def live_cells(park) -> Cells:
    """The month's workbook computed from the live tables, as if it had never been closed."""
    period = Period.parse("2026-10", OCTOBER_CLOSE_DAY)
    scope = ReportScope(park)
    source = LiveSource(period, scope.park_id)
    report = build_monthly_report(scope, period, datetime.now(), source)
    wb = load_workbook(BytesIO(write_monthly_workbook(report).getvalue()))
    return {
        ws.title: [
            tuple(STAMP.sub("生成时间：—", v) if isinstance(v, str) else v for v in row)
            for row in ws.iter_rows(values_only=True)
        ]
        for ws in wb.worksheets
    }


def _figures(book: Cells) -> dict:
    return {row[0]: row[1] for row in book["企业之声"][2:] if row[0]}


def _summary(book: Cells) -> dict:
    return {row[0]: row[1] for row in book["汇总"][4:] if row and row[0]}


def _policy(book: Cells) -> tuple:
    return next(row[4:] for row in book["政策兑现"][1:] if row[0] == "全市高企奖励")


def _timeliness(book: Cells) -> tuple:
    return next(row[5:8] for row in book["指标说明"] if row[0] == "政策送达及时率")


def _cadre(book: Cells, name: str) -> dict:
    header, *rows = book["干部走访"]
    return next(dict(zip(header, row, strict=True)) for row in rows if row[0] == name)


def test_the_new_sheets_of_a_closed_month_never_move(app, db, w):
    draft = _all(w)
    a = draft["A"]
    # What October shows: counted by hand from the story above.
    f = _figures(a)
    assert (f["企业自报诉求（件）"], f["本月销号（件，不含撤单）"], f["其中企业自评后销号（件）"]) == (
        1,
        4,
        1,
    )
    assert (f["本月撤单（件）"], f["本月完成撤单质检（件）"], f["抽查（件）"], f["已回访（件）"]) == (
        2,
        1,
        2,
        1,
    )
    assert [(r[3], r[9]) for r in a["撤单质检"][1:]] == [("用地手续", "属实"), ("排污许可", "待质检")]
    assert [r[7] for r in a["回访抽查"][1:]] == ["已回访", "待回访"]
    s = _summary(a)
    assert (s["上门(有佐证)企业（家）"], s["上门(有佐证)（次）"], s["上门覆盖率（有佐证）"]) == (1, 1, 0.25)
    assert _cadre(a, "张一")["上门(有佐证)"] == 1 and _cadre(a, "李二")["上门(有佐证)"] == 0
    assert _figures(draft["B"])["本月撤单（件）"] == 0 and draft["B"]["撤单质检"][1:] == []
    # 政策兑现: matched, reached, reached this month, interested, applied, paid, refused, amounts.
    assert _policy(a) == (2, 1, 1, 0, 1, 0, 0, 0, 0)
    assert _policy(draft["all"]) == (3, 1, 1, 0, 1, 0, 0, 0, 0)
    assert _timeliness(a) == (1, 2, 0.5) and _timeliness(draft["B"]) == (0, 1, 0.0)  # 甲一 of 甲一, 甲三

    closed = close()
    assert closed.created
    official = _all(w)
    for key in w.scopes:  # the close froze exactly what the draft showed: only its edition differs
        changed = {(sheet, row) for sheet, row, _a, _b in differences(draft[key], official[key])}
        assert changed == {("汇总", 1), ("汇总", 3), ("指标说明", 1)}, key

    # After the close: a firm rates a problem, a withdrawal is found 不属实 (the problem is reopened), the
    # uncalled problem of the sample is called, the doubtful visit is found right, and the names, a firm's
    # park and its name change.
    rate_problem(w.code, w.unrated, {"evaluation": "basic", "version": w.unrated.version}, today=NOV_5)
    step(w.by_phone, "review_withdrawal", w.officer, on=NOV_5, verdict="false", note="企业否认同意撤单")
    record_callback(w.uncalled, w.officer, {"status": "unreachable", "version": w.uncalled.version}, NOV_5)
    review_visit(w.doubtful, w.officer, "verified", "电话核实确在企业", datetime(2026, 11, 5, 2, 0))
    w.dept1.name, w.dept2.name, w.c1.name = "区税务局", "国网供电", "张一鸣"
    w.by_phone.title = "排污许可证办理"
    update_enterprise(w.f3, {"park_id": w.park_b.id, "name": "甲三制药（集团）有限公司"}, w.admin)
    take_step(w.c1, w.policy, w.f1, "approve", NOV_5, on=NOV_5, amount="8")  # 已兑现 in November
    for firm in (w.f2, w.f4):  # two more firms meet the policy
        give_profile(firm, {"hnte": 2025})
    db.session.commit()
    for key, park in w.scopes.items():
        assert differences(official[key], cells(park)) == [], key

    # The live tables did move: October recomputed from them differs in exactly these sheets.
    live = live_cells(w.park_a)
    moved = {sheet for sheet, _row, _a, _b in differences(official["A"], live)}
    assert {"汇总", "干部走访", "撤单质检", "回访抽查", "政策兑现"} <= moved
    assert _policy(live) == (3, 1, 1, 0, 1, 0, 0, 0, 0)  # 甲三 left for park B, 甲二 and 甲四 qualify
    assert _policy(live_cells(None)) == (5, 1, 1, 0, 1, 0, 0, 0, 0)
    assert _timeliness(live) == (1, 1, 1.0)  # 甲三's 送达 now counts in park B
    assert _summary(live)["上门(有佐证)（次）"] == 2  # the doubtful visit, verified in November
    # …though a 质检 or a call made after October is still to do in October's own figures.
    assert [r[9] for r in live["撤单质检"][1:]] == ["属实", "待质检"]
    assert [r[7] for r in live["回访抽查"][1:]] == ["已回访", "待回访"]


def test_reopening_keeps_the_frozen_voice_until_closed_again(db, w):
    close()
    before = cells(w.park_a)
    step(w.by_phone, "review_withdrawal", w.officer, on=NOV_5, verdict="genuine", note="属实")
    reopen_month(w.admin, "2026-10", "补录十月的现场核验", now=datetime(2026, 11, 5, 1, 0))
    review_visit(w.doubtful, w.officer, "verified", "电话核实确在企业", datetime(2026, 11, 5, 2, 0))
    w.dept2.name = "国网供电"
    give_profile(w.f2, {"hnte": 2025})
    db.session.commit()
    second = close_month("2026-10", None, NOV_5, datetime(2026, 11, 5, 3, 0))
    db.session.commit()
    assert second.close.version == 2
    after = cells(w.park_a, today=NOV_5)
    assert _summary(before)["上门(有佐证)（次）"] == 1 and _summary(after)["上门(有佐证)（次）"] == 2
    assert [r[9] for r in after["撤单质检"][1:]] == ["属实", "待质检"]  # reviewed after October's end
    changes = {(sheet, row, column): (v1, v2) for sheet, row, column, v1, v2 in after["变更对照"][1:]}
    assert changes[("汇总", "上门(有佐证)（次）", "本月")] == (1, 2)
    assert changes[("干部走访", "张一（甲园区）", "上门(有佐证)")] == (1, 2)
    assert changes[("撤单质检", f"问题{w.by_phone.id}", "承办部门")] == ("供电公司", "国网供电")
    assert changes[("回访抽查", f"问题{w.sampled.id}", "承办部门")] == ("供电公司", "国网供电")
    assert changes[("政策兑现", "全市高企奖励", "匹配企业")] == (2, 3)
    assert changes[("政策兑现", "合计", "匹配企业")] == (2, 3)
    assert not any(sheet == "企业之声" for sheet, _row, _column in changes)  # its figures did not change


def test_the_snapshot_holds_the_new_kinds(db, w):
    rows = snapshot_rows(Period.parse("2026-10", OCTOBER_CLOSE_DAY))
    kinds = {kind for kind, _park, _data in rows}
    assert kinds >= {"voice", "withdrawals", "callback_draws", "callbacks", "evidence"}
    assert kinds >= {"policies", "policy_figures", "policy_timeliness"}
    withdrawal = next(
        data for kind, park, data in rows if kind == "withdrawals" and data["title"] == "排污许可"
    )
    assert withdrawal["review"] == "" and withdrawal["department"] == "供电公司"
    parks = {park for kind, park, _data in rows if kind in ("voice", "withdrawals", "callbacks", "evidence")}
    figures = {park: data["matched"] for kind, park, data in rows if kind == "policy_figures"}
    assert figures == {w.park_a.id: 2, w.park_b.id: 1}
    assert [data["title"] for kind, park, data in rows if kind == "policies"] == ["全市高企奖励"]
    assert parks == {w.park_a.id}


def test_closing_with_ten_times_the_voices_takes_the_same_queries(db, w, count_queries):
    def grow(n: int, tag: str) -> None:
        for i in range(n):
            make_problem(w.f4, w.c2, "withdrawn", w.dept2, w.h2, w.officer, f"撤单{tag}{i}",
                         raised_on=_oct(12), on=_oct(14))  # fmt: skip
            log_visit(w.f3, w.c1, {"kind": "onsite", "summary": f"上门{tag}{i}", "visited_on": "2026-10-23"},
                      _oct(23), files=[upload("现场.jpg", JPEG)], location=HERE)  # fmt: skip
        db.session.commit()

    counts = []
    for n in (1, 10):
        grow(n, str(n))
        with count_queries() as q:
            closed = close_month("2026-10", None, OCTOBER_CLOSE_DAY)
        counts.append((q.count, closed.rows))
        reopen_month(w.admin, "2026-10", "扩容测试")
        db.session.commit()
    (small, small_rows), (big, big_rows) = counts
    assert big_rows >= small_rows + 9 and big == small, counts
    visits = _db.session.query(Visit).filter(Visit.evidence == "verified").count()
    assert visits == 12
