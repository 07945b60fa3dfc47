"""The list exports' workbook writer: the layout and the cell types every list export relies on."""

from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from crm.reporting.exports.xlsx import write_sheets, write_table

HEADERS = ["编号", "名称", "金额", "日期", "时间", "是否", "备注"]


def test_table_layout_and_cells():
    rows = [
        [
            1,
            '=HYPERLINK("http://x")',
            Decimal("12.50"),
            date(2026, 3, 1),
            datetime(2026, 3, 1, 8, 30),
            True,
            None,
        ],
        [2, "普通文本（全角）", 3.25, None, None, False, "-1 开头\x07的备注"],
        [3, "", 0, date(2026, 12, 31), None, None, "@提到"],
    ]
    ws = load_workbook(write_table("问题清单", HEADERS, rows, [7, 30, 10, 12, 16, 6, 40])).active

    assert ws.title == "问题清单"
    assert [c.value for c in ws[1]] == HEADERS
    head = ws["A1"]
    assert head.font.b and head.fill.fgColor.rgb.endswith("DDEBF7") and head.alignment.horizontal == "center"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:G4"
    assert [ws.column_dimensions[col].width for col in "ABCDEFG"] == [7, 30, 10, 12, 16, 6, 40]
    # Text Excel would run as a formula is kept as text with a leading apostrophe; bad characters go.
    assert ws["B2"].value == '\'=HYPERLINK("http://x")' and ws["B2"].data_type == "s"
    assert ws["G3"].value == "'-1 开头的备注" and ws["G4"].value == "'@提到"
    assert ws["C2"].value == 12.5 and ws["C3"].value == 3.25 and ws["C4"].value == 0
    assert ws["D2"].value == datetime(2026, 3, 1) and ws["D2"].number_format == "yyyy-mm-dd"
    assert ws["E2"].value == datetime(2026, 3, 1, 8, 30) and ws["E2"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["F2"].value is True and ws["F3"].value is False
    assert ws["G2"].value is None and ws["B4"].value is None and ws["D3"].value is None
    assert ws.max_row == 4


def test_several_sheets_and_an_empty_one():
    book = load_workbook(
        write_sheets(
            [
                ("汇总" * 20, ["甲", "乙"], [["a", 1]], None),
                ("空表", ["甲", "乙", "丙"], iter(()), [5, 6, 7]),
            ]
        )
    )
    first, empty = book.worksheets
    assert first.title == ("汇总" * 20)[:31] and first["A2"].value == "a"
    assert first.column_dimensions["A"].width == 16  # the default width
    assert empty.auto_filter.ref == "A1:C1" and empty.max_row == 1


def test_problem_list_export_from_plain_rows_matches_the_orm_export(db):
    """The export route streams plain rows; they give the cells the ORM objects give, row for row."""
    from crm.demo.park import load_demo
    from crm.models import User
    from crm.reporting.exports.problems import export_problem_list, export_problems
    from crm.services.problems.queries import ProblemFilters, problem_clock, problem_list_query
    from tests.support.dates import TODAY

    load_demo(TODAY)
    db.session.flush()
    db.session.expire_all()  # as a request sees the rows: loaded from the database, not as built
    admin = db.session.scalar(select(User).where(User.role == "admin"))
    clock = problem_clock(TODAY)
    sheets = []
    for flt in (ProblemFilters(), ProblemFilters(sort="-raised"), ProblemFilters(status="in_progress")):
        stmt = problem_list_query(admin, flt, TODAY)
        orm = load_workbook(export_problems(db.session.scalars(stmt), clock)).active
        plain = load_workbook(export_problem_list(stmt, clock)).active
        expected = [[c.value for c in row] for row in orm.iter_rows()]
        assert [[c.value for c in row] for row in plain.iter_rows()] == expected
        sheets.append(expected[1:])
    # The rows compared cover the cases: several statuses and colours, handlers and none, clocks running.
    every = sheets[0]
    assert len({row[8] for row in every}) >= 4 and len({row[9] for row in every}) >= 2
    assert {row[12] for row in every} - {None} and None in {row[12] for row in every}
    assert any(row[19] for row in every) and sheets[2]


def test_repeated_texts_are_written_alike_past_the_kept_texts(monkeypatch):
    """Texts are cleaned once and reused; past TEXTS_KEPT distinct texts each is cleaned afresh."""
    from crm.reporting.exports import xlsx

    monkeypatch.setattr(xlsx, "TEXTS_KEPT", 3)
    texts = ["=1+1", "甲\x07乙", "\x08", "普通", "@提到", "普通", "=1+1", "甲\x07乙", "\x08", "-x"]
    rows = [[n, text] for n, text in enumerate(texts * 2)]
    ws = load_workbook(write_table("表", ["序号", "文本"], rows)).active
    written = [ws.cell(row=r, column=2).value for r in range(2, len(rows) + 2)]
    once = ["'=1+1", "甲乙", None, "普通", "'@提到", "普通", "'=1+1", "甲乙", None, "'-x"]
    assert written == once * 2
