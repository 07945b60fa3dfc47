"""Enterprise import service: parsing, normalisation, validation, all-or-nothing apply, CLI."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from crm.models import Assignment, AuditLog, Enterprise
from crm.reporting.exports.imports import import_error_report, import_template
from crm.services import ServiceError
from crm.services.imports.enterprises import import_enterprises
from crm.services.imports.parse import ImportFileError
from tests.support.dates import TODAY
from tests.support.factories import make_chain, make_enterprise, make_park, make_user, valid_credit_code

HEADER = ["企业名称", "统一社会信用代码", "所属园区", "联系干部"]


@pytest.fixture()
def park(db):
    return make_park("A", "甲园区")


@pytest.fixture()
def park_b(db):
    return make_park("B", "乙园区")


@pytest.fixture()
def officer(park):
    return make_user("officer", park, username="officer_a")


@pytest.fixture()
def admin(db):
    return make_user("admin", username="admin")


@pytest.fixture()
def cadre(park):
    return make_user("cadre", park, username="zhangwei", name="张伟")


def write_xlsx(path, rows):
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def write_csv(path, rows, encoding="utf-8-sig"):
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def counts(db):
    models = (Enterprise, Assignment, AuditLog)
    return tuple(db.session.scalar(select(func.count(model.id))) for model in models)


def full_width(text):
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def firm_by_code(db, code):
    return db.session.scalar(select(Enterprise).where(Enterprise.credit_code == code))


def test_header_aliases_and_normalisation(db, tmp_path, park, officer):
    chain = make_chain("装备制造")
    code = valid_credit_code()
    messy_code = " " + full_width(code[:9].lower()) + " " + code[9:].lower() + "\u3000"
    path = write_xlsx(
        tmp_path / "台账.xlsx",
        [
            [
                "序号",
                "名称",
                "信用代码",
                "法人",
                "园区",
                "产业链",
                "是否规上",
                "重点企业",
                "电话",
                "企业规模",
                "成立日期",
                "从业人数(人)",
                "上年产值",
                "上年税收（万元）",
                "经营状态",
                "标签",
            ],
            [
                1,
                "  湘潭　智能装备有限公司 ",
                messy_code,
                " 王五 ",
                "ａ",
                "装备制造",
                "是",
                "√",
                "１３８００００００００",
                "小型",
                "2015年3月1日",
                "1,200",
                "1,234.567",
                88,
                "在营",
                "专精特新",
            ],
        ],
    )
    result = import_enterprises(path, officer, TODAY)
    assert result.ok, result.errors
    assert result.created == 1 and result.applied
    assert any("序号" in n for n in result.notices)
    firm = firm_by_code(db, code)
    assert firm.name == "湘潭 智能装备有限公司"
    assert (firm.legal_rep, firm.contact_phone) == ("王五", "13800000000")
    assert (firm.park_id, firm.chain_id) == (park.id, chain.id)
    assert (firm.scale_type, firm.size, firm.is_key, firm.status) == ("above", "small", True, "active")
    assert firm.founded_on == date(2015, 3, 1) and firm.headcount == 1200
    assert firm.output_last_year == Decimal("1234.57") and firm.tax_last_year == Decimal("88")
    # 专精特新 in the 标签 column is a qualification, and is recorded as one.
    assert [q.code for q in firm.qualifications] == ["srdi"] and firm.tags == [] and firm.name_initials


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_in_chinese_excel_encodings(db, tmp_path, park, officer, encoding):
    code = valid_credit_code()
    path = write_csv(
        tmp_path / "firms.csv",
        [
            ["企业名称", "社会信用代码", "企业规模", "是否重点企业"],
            ["长沙电机制造有限公司", code, "中型", "否"],
        ],
        encoding,
    )
    result = import_enterprises(path, officer, TODAY)
    assert result.ok, result.errors
    firm = firm_by_code(db, code)
    assert (firm.name, firm.size, firm.is_key) == ("长沙电机制造有限公司", "medium", False)
    assert firm.park_id == park.id


def test_one_bad_row_changes_nothing_and_error_workbook_explains(db, tmp_path, park, officer, cadre):
    existing = make_enterprise(park, "老企业有限公司")
    good = valid_credit_code()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    path = write_xlsx(
        tmp_path / "firms.xlsx",
        [
            HEADER + ["地址"],
            ["好企业有限公司", good, "甲园区", "zhangwei", "某路1号"],
            ["坏企业有限公司", bad, "甲园区", "", ""],
            ["老企业改名有限公司", existing.credit_code, "甲园区", "查无此人", "新地址"],
        ],
    )
    before = counts(db)
    result = import_enterprises(path, officer, TODAY)
    assert not result.ok and not result.applied
    assert counts(db) == before
    assert firm_by_code(db, existing.credit_code).name == "老企业有限公司"
    assert "第3行【统一社会信用代码】校验位错误，请核对" in result.errors
    assert any(e.startswith("第4行【联系干部】找不到干部“查无此人”") for e in result.errors)

    wb = load_workbook(import_error_report(path, officer))
    ws = wb.worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0] == HEADER + ["地址", "错误信息"]
    assert rows[1][:5] == ["好企业有限公司", good, "甲园区", "zhangwei", "某路1号"] and rows[1][5] is None
    assert rows[2][1] == bad and "第3行【统一社会信用代码】校验位错误" in rows[2][5]
    assert "【联系干部】" in rows[3][5]
    assert wb.sheetnames[1] == "错误汇总"


def test_fixed_error_report_can_be_uploaded_again(db, tmp_path, park, officer):
    code = valid_credit_code()
    path = write_xlsx(tmp_path / "firms.xlsx", [HEADER, ["甲企业有限公司", code[:17], "甲园区", ""]])
    assert not import_enterprises(path, officer, TODAY).ok
    fixed = tmp_path / "fixed.xlsx"
    fixed.write_bytes(import_error_report(path, officer).getvalue())
    wb = load_workbook(fixed)
    wb.worksheets[0]["B2"] = code
    wb.save(fixed)
    result = import_enterprises(fixed, officer, TODAY)
    assert result.ok and result.created == 1
    assert not any("错误信息" in n for n in result.notices)


def test_reimport_is_idempotent(db, tmp_path, park, officer, cadre):
    codes = [valid_credit_code(), valid_credit_code()]
    path = write_xlsx(
        tmp_path / "firms.xlsx",
        [
            HEADER + ["上年产值(万元)", "成立日期"],
            ["一号企业有限公司", codes[0], "A", "张伟", 100.5, date(2010, 1, 1)],
            ["二号企业有限公司", codes[1], "甲园区", "", "", ""],
        ],
    )
    first = import_enterprises(path, officer, TODAY)
    assert (first.created, first.updated, first.assigned) == (2, 0, 1)
    db.session.commit()
    before = counts(db)
    assert before == (2, 1, 3)
    again = import_enterprises(path, officer, TODAY)
    assert (again.created, again.updated, again.assigned, again.unchanged) == (0, 0, 0, 2)
    assert counts(db) == before


def test_update_by_credit_code_changes_given_fields_only(db, tmp_path, park, officer):
    firm = make_enterprise(
        park, "旧名称有限公司", legal_rep="旧法人", address="旧地址", headcount=50, is_key=True
    )
    path = write_xlsx(
        tmp_path / "firms.xlsx",
        [
            ["企业名称", "统一社会信用代码", "法定代表人", "地址", "从业人数", "是否重点企业"],
            ["新名称有限公司", firm.credit_code.lower(), "", "新地址", 50, None],
        ],
    )
    result = import_enterprises(path, officer, TODAY)
    assert (result.created, result.updated) == (0, 1)
    assert set(result.rows[0].data) == {"name", "address"}
    assert (firm.name, firm.legal_rep, firm.address, firm.headcount, firm.is_key) == (
        "新名称有限公司",
        "旧法人",
        "新地址",
        50,
        True,
    )
    audit = db.session.scalars(select(AuditLog).where(AuditLog.enterprise_id == firm.id)).all()
    assert len(audit) == 1 and set(audit[0].changes) == {"name", "address"}
    assert db.session.scalar(select(func.count(Enterprise.id))) == 1


def test_cadre_column_assigns_reassigns_and_skips_same(db, tmp_path, park, officer, cadre):
    other = make_user("cadre", park, username="lisi", name="李四")
    code = valid_credit_code()
    path = write_xlsx(tmp_path / "a.xlsx", [HEADER, ["联系企业有限公司", code, "甲园区", "ZhangWei"]])
    assert import_enterprises(path, officer, TODAY).assigned == 1
    firm = firm_by_code(db, code)
    assert firm.cadre == cadre
    path = write_xlsx(tmp_path / "b.xlsx", [HEADER, ["联系企业有限公司", code, "甲园区", "李四"]])
    result = import_enterprises(path, officer, TODAY)
    assert (result.assigned, result.rows[0].action) == (1, "assign")
    db.session.expire_all()
    assert firm.cadre == other
    rows = db.session.scalars(select(Assignment).where(Assignment.enterprise_id == firm.id)).all()
    assert sorted((r.cadre_id, r.end_on) for r in rows) == sorted([(cadre.id, TODAY), (other.id, None)])
    before = counts(db)
    assert import_enterprises(path, officer, TODAY).assigned == 0
    assert counts(db) == before


def test_cadre_must_be_an_unambiguous_cadre_of_the_park(db, tmp_path, park, park_b, admin):
    make_user("cadre", park, username="liming1", name="李明")
    make_user("cadre", park, username="liming2", name="李明")
    make_user("cadre", park_b, username="wanger", name="王二")
    make_user("handler", park, username="jingban", name="经办员")
    b_namesake = make_user("cadre", park_b, username="zhaoliu_b", name="赵六")
    a_namesake = make_user("cadre", park, username="zhaoliu_a", name="赵六")
    path = write_xlsx(
        tmp_path / "firms.xlsx",
        [
            HEADER,
            ["一号企业有限公司", valid_credit_code(), "甲园区", "李明"],
            ["二号企业有限公司", valid_credit_code(), "甲园区", "王二"],
            ["三号企业有限公司", valid_credit_code(), "甲园区", "jingban"],
            ["四号企业有限公司", valid_credit_code(), "甲园区", "liming2"],
            ["五号企业有限公司", valid_credit_code(), "乙园区", "赵六"],
        ],
    )
    result = import_enterprises(path, admin, TODAY, dry_run=True)
    errors = result.errors
    assert "第2行【联系干部】有2名干部都叫“李明”，请改填用户名" in errors
    assert "第3行【联系干部】王二 不是甲园区的联企干部" in errors
    assert "第4行【联系干部】经办员（jingban）不是联企干部" in errors
    assert len(errors) == 3
    assert result.rows[3].cadre.username == "liming2"
    assert result.rows[4].cadre == b_namesake != a_namesake


def test_officer_cannot_import_into_another_park(db, tmp_path, park, park_b, officer):
    foreign = make_enterprise(park_b, "乙园区企业有限公司")
    path = write_xlsx(
        tmp_path / "firms.xlsx",
        [
            HEADER,
            ["越界企业有限公司", valid_credit_code(), "乙园区", "查无此人"],
            ["改名企业有限公司", foreign.credit_code, "", ""],
            ["不存在园区企业有限公司", valid_credit_code(), "丙园区", ""],
        ],
    )
    before = counts(db)
    result = import_enterprises(path, officer, TODAY)
    assert counts(db) == before and not result.applied
    assert "第2行【所属园区】只能导入本园区（甲园区）的企业" in result.errors
    assert "第2行【联系干部】找不到干部“查无此人”，请填写联企干部的用户名或姓名" in result.errors
    assert any(e.startswith("第3行【统一社会信用代码】") and "其他园区" in e for e in result.errors)
    assert "第4行【所属园区】园区“丙园区”不存在" in result.errors
    assert foreign.name == "乙园区企业有限公司"


def test_park_column_is_required_unless_the_importer_has_one_park(db, tmp_path, park, park_b, officer, admin):
    path = write_xlsx(
        tmp_path / "firms.xlsx", [["企业名称", "统一社会信用代码"], ["无园区列企业", valid_credit_code()]]
    )
    result = import_enterprises(path, admin, TODAY, dry_run=True)
    assert result.file_errors == ["缺少必填列：【所属园区】"] and result.rows == []
    result = import_enterprises(path, officer, TODAY)
    assert result.ok and result.created == 1
    assert any("甲园区" in n for n in result.notices)
    path = write_xlsx(tmp_path / "b.xlsx", [["企业名称", "园区"], ["无代码企业", "甲园区"]])
    assert import_enterprises(path, officer, TODAY).file_errors == ["缺少必填列：【统一社会信用代码】"]


def test_row_level_value_errors_name_row_and_column(db, tmp_path, park, officer):
    code = valid_credit_code()
    path = write_csv(
        tmp_path / "firms.csv",
        [
            [
                "企业名称",
                "统一社会信用代码",
                "成立日期",
                "从业人数",
                "上年税收",
                "企业规模",
                "是否重点企业",
                "所属产业链",
            ],
            ["一号企业", code, "2015-13-45", "十个", "abc", "巨型", "也许", "不存在的链"],
            ["", code, "", "-5", "", "", "", ""],
            ["三号企业", "", "2099-01-01", "", "", "", "", ""],
        ],
    )
    errors = import_enterprises(path, officer, TODAY).errors
    assert "第2行【成立日期】“2015-13-45”不是有效日期，请按 2015-03-01 的格式填写" in errors
    assert "第2行【从业人数】“十个”不是整数" in errors
    assert "第2行【上年税收(万元)】“abc”不是有效数字" in errors
    assert (
        "第2行【企业规模】“巨型”不是有效取值，可选：大型/中型/小型/微型（可同时填写 规上/规下，如 规上·中型）"
        in errors
    )
    assert "第2行【是否重点企业】“也许”无法识别，请填写 是 或 否" in errors
    assert any(e.startswith("第2行【所属产业链】产业链“不存在的链”不存在") for e in errors)
    assert f"第3行【统一社会信用代码】{code} 与第2行重复" in errors
    assert "第4行【统一社会信用代码】不能为空" in errors
    assert "第4行【成立日期】不能晚于今天" in errors


def test_row_cap_is_a_clear_refusal(app, db, tmp_path, park, officer, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 2)
    rows = [HEADER] + [[f"企业{i}", valid_credit_code(), "甲园区", ""] for i in range(3)]
    with pytest.raises(ImportFileError, match="超过单次导入上限 2 行，请拆分成多个文件"):
        import_enterprises(write_xlsx(tmp_path / "big.xlsx", rows), officer, TODAY)
    assert counts(db)[0] == 0


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.xlsx", b"", "空的"),
        ("broken.xlsx", b"PK\x03\x04 not really a workbook", "无法读取"),
        ("header-only.csv", "企业名称,统一社会信用代码\n".encode(), "没有可导入的数据行"),
        ("latin.csv", b"\xff\xfe\x00\xd8\x81", "编码"),
        ("firms.xls", b"old", "只支持"),
    ],
)
def test_unreadable_files_raise_a_chinese_error(db, tmp_path, officer, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message):
        import_enterprises(path, officer, TODAY)


def test_only_officers_and_admins_may_import(db, tmp_path, park):
    path = write_xlsx(tmp_path / "firms.xlsx", [HEADER, ["企业", valid_credit_code(), "甲园区", ""]])
    with pytest.raises(ServiceError, match="权限"):
        import_enterprises(path, make_user("cadre", park), TODAY)


def test_template_has_help_sheet_and_imports_cleanly(db, tmp_path, park, officer):
    make_chain("装备制造")
    path = tmp_path / "template.xlsx"
    path.write_bytes(import_template(officer).getvalue())
    wb = load_workbook(path)
    assert wb.sheetnames == ["企业信息", "填写说明"]
    ws = wb["企业信息"]
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["企业名称", "统一社会信用代码", "所属园区"] and "联系干部" in headers
    assert ws["A2"].value.startswith("示例")
    explained = [row[0] for row in wb["填写说明"].iter_rows(min_row=2, values_only=True)]
    assert set(headers) <= set(explained)
    code = valid_credit_code()
    ws.append(["模板企业有限公司", code, "甲园区"])
    wb.save(path)
    result = import_enterprises(path, officer, TODAY)
    assert result.ok and result.created == 1
    assert not any("忽略" in n for n in result.notices)
    assert any("示例" in n for n in result.notices)


def test_validation_queries_do_not_grow_with_rows(db, tmp_path, park, officer, cadre, count_queries):
    def run(n):
        rows = [HEADER] + [[f"企业{i}", valid_credit_code(), "甲园区", "张伟"] for i in range(n)]
        path = write_xlsx(tmp_path / f"{n}.xlsx", rows)
        with count_queries() as q:
            import_enterprises(path, officer, TODAY, dry_run=True)
        return q.count

    assert run(5) == run(60)


def test_cli_dry_run_import_and_bad_file(db, runner, tmp_path, park, admin, cadre):
    db.session.commit()
    code = valid_credit_code()
    good = write_xlsx(tmp_path / "good.xlsx", [HEADER, ["命令行企业有限公司", code, "甲园区", "zhangwei"]])
    result = runner.invoke(args=["crm", "import-enterprises", str(good), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "试运行" in result.output and "新增 1 家" in result.output
    assert counts(db) == (0, 0, 0)

    result = runner.invoke(args=["crm", "import-enterprises", str(good)])
    assert result.exit_code == 0, result.output
    assert "导入完成" in result.output and "分配干部 1 家" in result.output
    assert counts(db)[:2] == (1, 1)

    bad = write_csv(
        tmp_path / "bad.csv",
        [HEADER, ["坏企业", "123", "甲园区", ""], ["好企业", valid_credit_code(), "甲园区", ""]],
    )
    before = counts(db)
    result = runner.invoke(args=["crm", "import-enterprises", str(bad)])
    assert result.exit_code == 1
    assert "第2行【统一社会信用代码】应为18位，当前为3位" in result.stderr
    assert counts(db) == before

    result = runner.invoke(args=["crm", "import-enterprises", str(tmp_path / "missing.xlsx")])
    assert result.exit_code == 1 and "文件不存在" in result.stderr
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = runner.invoke(args=["crm", "import-enterprises", str(empty), "--user", "ADMIN"])
    assert result.exit_code == 1 and "空的" in result.stderr


def test_title_row_above_header_keeps_excel_row_numbers(db, tmp_path, park, officer):
    path = write_xlsx(
        tmp_path / "ledger.xlsx",
        [
            ["甲园区企业名单（2026年）"],
            HEADER,
            ["好企业有限公司", valid_credit_code(), "甲园区", ""],
            ["数字代码企业", 914303001234567890, "甲园区", ""],
        ],
    )
    result = import_enterprises(path, officer, TODAY)
    assert [plan.row for plan in result.rows] == [3, 4]
    assert len(result.errors) == 1
    assert result.errors[0].startswith("第4行【统一社会信用代码】") and "文本格式" in result.errors[0]
    rows = list(load_workbook(import_error_report(path, officer)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "甲园区企业名单（2026年）" and rows[1][-1] == "错误信息"
    assert rows[2][-1] is None and rows[3][-1].startswith("第4行")


def test_two_columns_for_one_field_is_a_file_error(db, tmp_path, park, officer):
    rows = [["企业名称", "名称", "信用代码"], ["甲", "乙", valid_credit_code()]]
    path = write_xlsx(tmp_path / "dup.xlsx", rows)
    result = import_enterprises(path, officer, TODAY)
    assert result.file_errors == ["表头【名称】与【企业名称】是同一列，请删除其中一列"]
    assert result.rows == [] and counts(db)[0] == 0
