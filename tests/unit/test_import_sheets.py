"""Enterprise import of real-world sheets: a lying <dimension>, hidden rows, a two-row merged header,
caps on columns, cells and rows (the page's smaller than the command's), all or nothing throughout."""

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from crm.models import Enterprise
from crm.reporting.exports.imports import import_error_report
from crm.services.imports.enterprises import import_enterprises, import_errors, import_limits
from crm.services.imports.parse import ImportFileError
from tests.support.dates import TODAY
from tests.support.factories import make_park, make_user, valid_credit_code
from tests.support.spreadsheets import with_dimension

HEADER = ["企业名称", "统一社会信用代码", "所属园区"]


@pytest.fixture()
def park(db):
    return make_park("A", "甲园区")


@pytest.fixture()
def officer(park):
    return make_user("officer", park, username="officer_a")


def workbook(rows, hidden=(), merges=()):
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    for number in hidden:
        ws.row_dimensions[number].hidden = True
    for ref in merges:
        ws.merge_cells(ref)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def saved(tmp_path, data, name="firms.xlsx"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def firms(db):
    return db.session.scalar(select(func.count(Enterprise.id)))


def firm_rows(count, start=0):
    return [[f"第{i}号企业有限公司", valid_credit_code(), "甲园区"] for i in range(start, start + count)]


def test_an_understated_dimension_imports_every_row(db, tmp_path, park, officer):
    data = with_dimension(workbook([HEADER, *firm_rows(5)]), "A1:B2")  # claims 1 data row, holds 5
    result = import_enterprises(saved(tmp_path, data), officer, TODAY)
    assert result.ok and result.applied
    assert (len(result.planned), result.created, firms(db)) == (5, 5, 5)


def test_hidden_rows_are_shown_and_skipped_unless_kept(db, tmp_path, park, officer):
    rows = [HEADER, *firm_rows(5)]
    rows[4][1] = "不是信用代码"  # Excel row 5, hidden: its error must not block the visible rows
    path = saved(tmp_path, workbook(rows, hidden=(3, 5)))
    preview = import_enterprises(path, officer, TODAY, dry_run=True)
    assert preview.ok and preview.created == 3 and preview.skipped == 2
    assert [(p.row, p.hidden, p.action) for p in preview.rows] == [
        (2, False, "create"),
        (3, True, "skip"),
        (4, False, "create"),
        (5, True, "skip"),
        (6, False, "create"),
    ]
    assert "文件中有 2 行在 Excel 中被隐藏（第3、5行），默认跳过，不导入" in preview.notices
    assert preview.summary().endswith("跳过隐藏行 2 行")

    kept = import_enterprises(path, officer, TODAY, dry_run=True, keep_hidden=True)
    assert not kept.ok and kept.hidden == 2 and kept.skipped == 0
    assert any(e.startswith("第5行【统一社会信用代码】") for e in kept.errors)
    assert "按您的选择一并导入" in kept.notices[-1]
    assert 5 in import_errors(path, officer, keep_hidden=True).messages
    assert 5 not in import_errors(path, officer).messages

    # All or nothing with the hidden rows kept: the bad hidden row refuses the whole file.
    assert not import_enterprises(path, officer, TODAY, keep_hidden=True).applied
    assert firms(db) == 0
    result = import_enterprises(path, officer, TODAY)
    assert result.applied and firms(db) == 3


def test_hidden_rows_are_imported_when_kept(db, tmp_path, park, officer):
    path = saved(tmp_path, workbook([HEADER, *firm_rows(3)], hidden=(2, 3, 4)))
    result = import_enterprises(path, officer, TODAY, keep_hidden=True)
    assert result.applied and result.created == 3 and firms(db) == 3


def test_a_two_row_merged_header_reads_the_columns_under_the_group(db, tmp_path, park, officer):
    code = valid_credit_code()
    rows = [
        ["企业名称", "统一社会信用代码", "所属园区", "联系方式", None, "序号"],
        [None, None, None, "联系人", "联系电话"],
        ["湘潭联络有限公司", code, "甲园区", "李四", "13800000000", 1],
    ]
    path = saved(tmp_path, workbook(rows, merges=("A1:A2", "B1:B2", "C1:C2", "D1:E1")))
    result = import_enterprises(path, officer, TODAY)
    assert result.ok and result.created == 1
    assert [p.row for p in result.rows] == [3]
    assert "表头占两行（第1、2行），已识别【联系方式】下的 联系人、联系电话" in result.notices
    assert any(n.endswith("已忽略：序号") for n in result.notices)
    firm = db.session.scalar(select(Enterprise).where(Enterprise.credit_code == code))
    assert (firm.contact_name, firm.contact_phone) == ("李四", "13800000000")


def test_a_two_row_header_without_merges_is_understood_too(db, tmp_path, park, officer):
    code = valid_credit_code()
    text = (
        "企业名称,统一社会信用代码,联系方式,,备用\n"
        ",,联系人,电话,邮箱\n"
        f"长沙企业有限公司,{code},王五,13900000000,a@b.c\n"
    )
    result = import_enterprises(saved(tmp_path, text.encode("gbk"), "firms.csv"), officer, TODAY)
    assert result.ok and result.created == 1
    assert any(n.endswith("已忽略：备用/邮箱") for n in result.notices)
    firm = db.session.scalar(select(Enterprise).where(Enterprise.credit_code == code))
    assert (firm.contact_name, firm.contact_phone) == ("王五", "13900000000")


def test_a_data_row_below_the_header_is_never_taken_for_a_second_header(db, tmp_path, park, officer):
    rows = [
        ["企业名称", "统一社会信用代码", "所属园区", "联系方式"],
        ["联系人", valid_credit_code(), "甲园区", "电话"],
    ]
    result = import_enterprises(saved(tmp_path, workbook(rows)), officer, TODAY, dry_run=True)
    assert [p.name for p in result.rows] == ["联系人"]
    assert not any("两行" in n for n in result.notices)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["备" * 2001], "第2行 D列的内容有 2001 字，超过单元格 2000 字的上限"),
        ([None] * 97 + ["多余"], "第2行 CW列有内容，超过 100 列的上限"),  # the 101st column
    ],
)
def test_cell_and_column_caps_refuse_the_file_by_name(db, tmp_path, park, officer, extra, message):
    rows = [HEADER, firm_rows(1)[0] + extra]
    with pytest.raises(ImportFileError, match=message):
        import_enterprises(saved(tmp_path, workbook(rows)), officer, TODAY)
    assert firms(db) == 0


def test_the_page_refuses_what_only_the_command_may_import(app, db, tmp_path, park, officer, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_WEB_MAX_ROWS", 3)
    path = saved(tmp_path, workbook([HEADER, *firm_rows(4)]))
    with pytest.raises(ImportFileError, match="超过单次导入上限 3 行.*flask crm import-enterprises"):
        import_enterprises(path, officer, TODAY, dry_run=True, web=True)
    assert import_enterprises(path, officer, TODAY).created == 4  # the command's cap is IMPORT_MAX_ROWS
    assert import_limits(web=True).max_rows == 3 and import_limits().max_rows == app.config["IMPORT_MAX_ROWS"]


def test_cli_skips_hidden_rows_unless_asked(db, runner, tmp_path, park):
    make_user("admin", username="admin")
    db.session.commit()
    path = saved(tmp_path, workbook([HEADER, *firm_rows(3)], hidden=(3,)))
    result = runner.invoke(args=["crm", "import-enterprises", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "第3行" in result.output and "--include-hidden" in result.output and "共 2 行" in result.output
    result = runner.invoke(args=["crm", "import-enterprises", str(path), "--include-hidden"])
    assert result.exit_code == 0 and "新增 3 家" in result.output


def test_the_error_report_keeps_hidden_rows_hidden_and_both_header_rows(db, tmp_path, park, officer):
    rows = [
        ["企业名称", "统一社会信用代码", "联系方式", None],
        [None, None, "联系人", "联系电话"],
        ["好企业有限公司", valid_credit_code(), "张三", "1"],
        ["坏企业有限公司", "123", "李四", "2"],
        ["隐藏企业有限公司", "456", "王五", "3"],
    ]
    path = saved(tmp_path, workbook(rows, hidden=(5,), merges=("C1:D1",)))
    report = saved(tmp_path, import_error_report(path, officer).getvalue(), "report.xlsx")
    ws = load_workbook(report).worksheets[0]
    assert ws.row_dimensions[5].hidden and not ws.row_dimensions[4].hidden
    assert [c.value for c in ws[1]][-1] == "错误信息" and ws["E4"].value.startswith("第4行")
    assert ws["E5"].value is None  # skipped, not checked
    again = import_enterprises(report, officer, TODAY, dry_run=True)
    assert [p.row for p in again.rows] == [3, 4, 5] and again.skipped == 1
    assert any("两行" in n for n in again.notices)
