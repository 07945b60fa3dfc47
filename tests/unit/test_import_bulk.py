"""The bulk writer of an import's new firms writes exactly what the one-by-one services write."""

import unicodedata

import pytest
from openpyxl import Workbook
from pypinyin import Style, pinyin
from sqlalchemy import func, select, text

from crm.extensions import db as _db
from crm.models import Assignment, AuditLog, Enterprise, FirmQualification, Tag
from crm.models.profile import enterprise_tags
from crm.services import ServiceError
from crm.services.assignments.operations import audit_first_assignment, start_first_assignment
from crm.services.common.pinyin import _readings, initials, search_pinyin
from crm.services.enterprises.registry import audit_created, build_enterprise
from crm.services.imports.bulk import RowRefused, insert_new_firms
from crm.services.imports.enterprises import IMPORT_REASON, _apply, import_enterprises, import_limits
from crm.services.imports.parse import read_import_file
from crm.services.imports.validate import plan_import
from tests.support.dates import TODAY
from tests.support.factories import make_chain, make_park, make_user, valid_credit_code

HEADER = [
    "企业名称",
    "统一社会信用代码",
    "所属园区",
    "所属产业链",
    "企业规模",
    "规模类型",
    "是否重点企业",
    "法定代表人",
    "联系人",
    "联系电话",
    "地址",
    "联系干部",
    "成立日期",
    "从业人数",
    "上年产值(万元)",
    "上年税收(万元)",
    "经营状态",
    "资质",
    "标签",
    "备注",
]


@pytest.fixture()
def setup(db, tmp_path):
    park = make_park("A", "甲园区")
    make_chain("装备制造")
    db.session.add_all([Tag(name="出口企业", sort_order=2), Tag(name="技改项目", sort_order=1)])
    officer = make_user("officer", park, username="officer_a")
    make_user("cadre", park, username="zhangwei", name="张伟")
    make_user("cadre", park, username="lina", name="李娜")
    rows = [
        HEADER,
        # Every column filled: qualifications, two tags, a note over two lines, a cadre.
        [
            "湘潭长顺（机械）制造有限公司",
            valid_credit_code(),
            "甲园区",
            "装备制造",
            "中型",
            "规上",
            "是",
            "王五",
            "赵六",
            "１３９００００００００",
            "湘潭市岳塘区  1号",
            "zhangwei",
            "2015-03-01",
            "1,200",
            "12.345",
            "3",
            "在营",
            "高新技术企业2023、专精特新",
            "出口企业、技改项目",
            "第一行\n第二行",
        ],
        # Only the required cells: every default the ORM would give.
        ["银行长乐器厂", valid_credit_code()] + [None] * (len(HEADER) - 2),
        # A cadre by name, a tag word read as a qualification.
        ["Ａ重庆重工有限公司", valid_credit_code(), None, None, "小型", None, "否", None, None, None, None]
        + ["李娜", None, None, None, None, "停产", None, "瞪羚企业", None],
    ]
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    path = tmp_path / "firms.xlsx"
    wb.save(path)
    db.session.flush()
    return officer, path


def _snapshot(db) -> dict:
    """What the import wrote, with the new rows' ids replaced by the firm's credit code or their place."""
    firms = db.session.execute(select(Enterprise.__table__).order_by(Enterprise.id)).mappings().all()
    code_of = {f["id"]: f["credit_code"] for f in firms}
    skip = {"id", "created_at", "updated_at", "at"}
    assignments = db.session.execute(select(Assignment.__table__).order_by(Assignment.id)).mappings().all()
    assignment_firm = {a["id"]: code_of[a["enterprise_id"]] for a in assignments}
    audits = []
    for row in db.session.execute(select(AuditLog.__table__).order_by(AuditLog.id)).mappings():
        row = {k: v for k, v in row.items() if k not in skip}
        row["entity_id"] = (assignment_firm if row["entity_type"] == "assignment" else code_of)[
            row["entity_id"]
        ]
        row["enterprise_id"] = code_of[row["enterprise_id"]]
        audits.append(row)
    return {
        "firms": [{k: v for k, v in f.items() if k not in skip} for f in firms],
        "qualifications": sorted(
            (code_of[q.enterprise_id], q.code, q.year)
            for q in db.session.execute(select(FirmQualification.__table__))
        ),
        "tags": sorted(
            (code_of[t.enterprise_id], t.tag_id) for t in db.session.execute(select(enterprise_tags))
        ),
        "assignments": [
            {
                k: (code_of[v] if k == "enterprise_id" else v)
                for k, v in a.items()
                if k not in skip | {"created_at"}
            }
            for a in assignments
        ],
        "audits": audits,
        # As stored: SQL NULL and JSON null must come out the same as through the ORM.
        "raw_changes": list(db.session.execute(text("SELECT changes FROM audit_logs ORDER BY id")).scalars()),
    }


def _write_one_by_one(officer, path) -> None:
    """The services' way: an ORM object per firm, its audit row, its first liaison and that one's audit."""
    result = plan_import(read_import_file(path, import_limits()), officer)
    assert result.ok, result.errors
    firms = [(plan, build_enterprise(plan.data, officer, check_unique=False)) for plan in result.planned]
    _db.session.flush()
    liaisons = []
    for plan, firm in firms:
        audit_created(officer, firm)
        if plan.cadre is not None:
            liaisons.append(
                (start_first_assignment(firm, plan.cadre, officer, TODAY, IMPORT_REASON), plan.cadre)
            )
    _db.session.flush()
    for assignment, cadre in liaisons:
        audit_first_assignment(officer, assignment, cadre)
    _db.session.flush()


def test_bulk_insert_writes_what_the_services_write(db, setup):
    officer, path = setup
    savepoint = db.session.begin_nested()
    _write_one_by_one(officer, path)
    expected = _snapshot(db)
    savepoint.rollback()
    assert db.session.scalar(select(func.count(Enterprise.id))) == 0

    result = import_enterprises(path, officer, TODAY)

    assert result.applied and result.created == 3
    got = _snapshot(db)
    assert got == expected
    # The cases the file was written for are really there.
    assert len(got["firms"]) == 3 and len(got["assignments"]) == 2
    assert [a["action"] for a in got["audits"]] == ["create"] * 3 + ["assign"] * 2
    assert {q[1] for q in got["qualifications"]} == {"hnte", "srdi", "gazelle"}
    assert len(got["tags"]) == 2
    bare = got["firms"][1]
    assert bare["is_key"] is False and bare["status"] == "active" and bare["version"] == 1
    assert bare["name_pinyin"] == search_pinyin("银行长乐器厂") and bare["name_initials"] == initials(
        "银行长乐器厂"
    )


def test_bulk_insert_stamps_every_row(db, setup):
    officer, path = setup
    import_enterprises(path, officer, TODAY)
    firm = db.session.scalar(select(Enterprise).order_by(Enterprise.id).limit(1))
    assert firm.created_at is not None and firm.updated_at is not None
    assert firm.active_assignment.start_on == TODAY and firm.active_assignment.created_at is not None
    assert all(a.at is not None for a in db.session.scalars(select(AuditLog)))


def test_a_liaison_refused_after_the_firms_were_written_names_its_row(db, setup):
    officer, path = setup
    result = plan_import(read_import_file(path, import_limits()), officer)
    cadre = result.planned[2].cadre
    cadre.is_active_user = False  # retired between the check and the write
    db.session.flush()
    with pytest.raises(ServiceError) as caught:
        _apply(result, officer, TODAY)
    assert str(caught.value) == "第4行：李娜 的账号已停用，不能担任联系干部，本次导入未做任何修改"
    db.session.rollback()  # as every caller does on a ServiceError
    assert db.session.scalar(select(func.count(Enterprise.id))) == 0
    assert db.session.scalar(select(func.count(AuditLog.id))) == 0


def test_a_park_outside_the_actor_is_refused(db, setup):
    officer, path = setup
    result = plan_import(read_import_file(path, import_limits()), officer)
    other = make_park("B", "乙园区")
    result.planned[2].park = other
    with pytest.raises(RowRefused) as caught:
        insert_new_firms(result.planned, officer)
    assert caught.value.plan is result.planned[2]
    assert str(caught.value) == "只能管理本园区的企业"
    assert db.session.scalar(select(func.count(Enterprise.id))) == 0


def test_many_rows_go_in_batches(db, setup, monkeypatch, tmp_path):
    officer, _ = setup
    monkeypatch.setattr("crm.services.imports.bulk.BATCH", 7)
    wb = Workbook()
    wb.active.append(["企业名称", "统一社会信用代码", "联系干部"])
    codes = [valid_credit_code() for _ in range(30)]
    for n, code in enumerate(codes):
        wb.active.append([f"批量企业{n:02d}有限公司", code, "zhangwei" if n % 2 else None])
    wb.save(tmp_path / "many.xlsx")

    import_enterprises(tmp_path / "many.xlsx", officer, TODAY)

    firms = db.session.execute(select(Enterprise.id, Enterprise.credit_code).order_by(Enterprise.id)).all()
    assert [code for _, code in firms] == codes  # ids follow the file's order across batches
    liaisons = db.session.execute(select(Assignment.enterprise_id).order_by(Assignment.id)).scalars().all()
    assert liaisons == [firm_id for n, (firm_id, _) in enumerate(firms) if n % 2]
    audits = db.session.execute(select(AuditLog.entity_type, AuditLog.entity_id).order_by(AuditLog.id)).all()
    assert audits[:30] == [("enterprise", firm_id) for firm_id, _ in firms]
    assignment_ids = db.session.execute(select(Assignment.id).order_by(Assignment.id)).scalars().all()
    assert audits[30:] == [("assignment", i) for i in assignment_ids]


@pytest.mark.parametrize(
    "name",
    [
        "湘潭长顺机械制造有限公司",
        "银行长乐器厂",  # 行长 read as a word: hang zhang
        "长沙银行（湘潭）分行 2号",
        "ABC重庆重工 有限公司",
        "Ａ１２长·行",
        "",
        "   ",
        "中国𠀀长城",
    ],
)
def test_readings_are_pypinyins_of_the_whole_name(name):
    """A name is read run by run (with a cache): the same as pypinyin reading the whole name at once."""
    _readings.cache_clear()
    whole = pinyin(
        unicodedata.normalize("NFKC", name),
        style=Style.NORMAL,
        heteronym=True,
        errors=lambda chars: list(chars),
    )
    expected = []
    for options in whole:
        kept = tuple(dict.fromkeys(o.lower() for o in options if o and not o.isspace()))
        if kept:
            expected.append(kept)
    assert _readings(name) == tuple(expected)


def _heap_combinations(options, limit):
    """The search variants as first written: a heap walked afresh for every name (the reference)."""
    import heapq

    varying = [i for i, opts in enumerate(options) if len(opts) > 1]
    seen: list[str] = []
    start = (0,) * len(varying)
    heap, queued, pops = [(0, 0, start)], {start}, 0
    while heap and len(seen) < limit and pops < limit * 8:
        pops += 1
        _, _, ranks = heapq.heappop(heap)
        chosen = [opts[0] for opts in options]
        for pos, rank in zip(varying, ranks, strict=True):
            chosen[pos] = options[pos][rank]
        if (word := "".join(chosen)) not in seen:
            seen.append(word)
        for j, rank in enumerate(ranks):
            if rank + 1 < len(options[varying[j]]):
                nxt = ranks[:j] + (rank + 1,) + ranks[j + 1 :]
                if nxt not in queued:
                    queued.add(nxt)
                    heapq.heappush(heap, (sum(1 for r in nxt if r), sum(nxt), nxt))
    return seen


@pytest.mark.parametrize("name", ["湘潭长顺机械制造有限公司", "重庆长行乐还重长行", "长" * 12, "单一企业"])
@pytest.mark.parametrize("limit", [1, 8, 16])
def test_search_variants_keep_their_order(name, limit):
    """The shared best-first order of choices gives each name the variants its own heap gave."""
    from crm.services.common.pinyin import _combinations

    readings = _readings(name)
    letters = [list(dict.fromkeys(r[0] for r in options)) for options in readings]
    for options in (readings, letters):
        assert list(_combinations(options, limit)) == _heap_combinations(options, limit)
