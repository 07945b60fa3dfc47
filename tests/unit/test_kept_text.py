"""Names, titles and free text are kept as typed; codes and phones are width-folded; duplicates and
search compare the folded name."""

import csv
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Enterprise
from crm.services import ServiceError
from crm.services.common.creditcode import fold_key, keep_text
from crm.services.enterprises.lists import add_product
from crm.services.enterprises.queries import EnterpriseFilters, enterprise_list_query
from crm.services.enterprises.registry import create_enterprise, update_enterprise
from crm.services.imports.enterprises import import_enterprises
from crm.services.imports.parse import cell_keep
from crm.services.problems.intake import raise_problem
from crm.services.users.accounts import create_user, update_user
from tests.support.dates import TODAY
from tests.support.factories import make_enterprise, make_park, make_user, valid_credit_code

LICENCE_NAME = "湘潭华宇（集团）新材料有限公司"
HEADER = ["企业名称", "统一社会信用代码", "所属园区", "法定代表人", "联系电话", "地址", "标签", "备注"]


def full_width(text):
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


@pytest.fixture()
def park(db):
    return make_park("A", "甲园区")


@pytest.fixture()
def officer(park):
    return make_user("officer", park, username="officer_a")


@pytest.fixture()
def admin(db):
    return make_user("admin", username="admin")


def firm_data(park, **overrides):
    return {"name": LICENCE_NAME, "credit_code": valid_credit_code(), "park_id": park.id} | overrides


def write_xlsx(path, rows):
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def write_csv(path, rows):
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))
    return path


def firm_count():
    return db.session.scalar(select(func.count(Enterprise.id)))


def test_keep_text_and_fold_key():
    assert keep_text("  湘潭华宇（集团）\u3000新材料 ") == "湘潭华宇（集团） 新材料"
    assert keep_text(None) == ""
    assert (
        fold_key("湘潭华宇（集团） 新材料ＡＢ")
        == fold_key("湘潭华宇(集团)新材料ab")
        == "湘潭华宇(集团)新材料ab"
    )
    assert cell_keep(" 用电，增容 ") == "用电，增容" and cell_keep(12.0) == "12"


def test_registry_keeps_the_name_and_folds_code_and_phone(db, park, officer):
    code = valid_credit_code()
    firm = create_enterprise(
        firm_data(
            park,
            credit_code=" " + full_width(code.lower()),
            legal_rep="王五（代）",
            contact_name="李四",
            contact_phone=" １３８００００００００ ",
            address="湘潭市岳塘区（高新区）晓塘路１号",
            note="一期：投产（２０２５年）",
        ),
        officer,
    )
    assert firm.name == LICENCE_NAME and firm.name_key == "湘潭华宇(集团)新材料有限公司"
    assert firm.credit_code == code and firm.contact_phone == "13800000000"
    assert (firm.legal_rep, firm.address) == ("王五（代）", "湘潭市岳塘区（高新区）晓塘路１号")
    assert firm.note == "一期：投产（２０２５年）"
    assert firm.name_initials == "xthy(jt)xclyxgs"  # initials are width-folded, like the query
    update_enterprise(firm, {"name": "湘潭华宇（集团）新材料股份有限公司"}, officer)
    assert firm.name == "湘潭华宇（集团）新材料股份有限公司"
    assert firm.name_key == "湘潭华宇(集团)新材料股份有限公司"


def test_duplicate_name_across_widths_is_refused(db, park, officer):
    first = create_enterprise(firm_data(park), officer)
    with pytest.raises(ServiceError) as exc:
        create_enterprise(firm_data(park, name="湘潭华宇(集团)新材料有限公司"), officer)
    assert str(exc.value) == (
        f"企业名称与已有企业“{LICENCE_NAME}”（统一社会信用代码 {first.credit_code}）相同，请核对"
    )
    other = create_enterprise(firm_data(park, name="另一家企业有限公司"), officer)
    with pytest.raises(ServiceError, match="企业名称与已有企业"):
        update_enterprise(other, {"name": "湘潭华宇 (集团) 新材料有限公司"}, officer)
    # The firm itself may change the width of its own name.
    update_enterprise(first, {"name": "湘潭华宇(集团)新材料有限公司"}, officer)
    assert first.name == "湘潭华宇(集团)新材料有限公司"


def test_search_matches_across_widths(db, park, officer):
    firm = create_enterprise(firm_data(park), officer)
    make_enterprise(park, "无关企业有限公司")
    for q in ("湘潭华宇(集团)", "华宇（集团）新材料", "华宇 (集团)", "xthy", "xthy（jt）"):
        flt = EnterpriseFilters.from_args({"q": q})
        assert list(db.session.scalars(enterprise_list_query(officer, flt))) == [firm], q


@pytest.mark.parametrize("write, ext", [(write_xlsx, "xlsx"), (write_csv, "csv")])
def test_import_keeps_names_and_folds_codes(db, tmp_path, park, officer, write, ext):
    code = valid_credit_code()
    row = [
        " " + LICENCE_NAME + " ",
        full_width(code),
        "甲园区",
        "王五（代）",
        "１３８００００００００",
        "晓塘路（东）１号",
        "专精特新，小巨人",
        "备注：一期（２０２５）",
    ]
    result = import_enterprises(write(tmp_path / f"firms.{ext}", [HEADER, row]), officer, TODAY)
    assert result.ok, result.errors
    firm = db.session.scalar(select(Enterprise).where(Enterprise.credit_code == code))
    assert (firm.name, firm.name_key) == (LICENCE_NAME, fold_key(LICENCE_NAME))
    assert (firm.legal_rep, firm.contact_phone, firm.address) == (
        "王五（代）",
        "13800000000",
        "晓塘路（东）１号",
    )
    # 标签 holding qualifications written with a full-width comma: both are recorded as qualifications.
    assert {q.code for q in firm.qualifications} == {"srdi", "little_giant"}
    assert firm.note == "备注：一期（２０２５）"


def test_import_refuses_a_duplicate_name_per_row_and_updates_by_code(db, tmp_path, park, officer):
    existing = create_enterprise(firm_data(park), officer)
    before = firm_count()
    dup = [HEADER[:3], ["湘潭华宇(集团)新材料有限公司", valid_credit_code(), "甲园区"]]
    result = import_enterprises(write_xlsx(tmp_path / "dup.xlsx", dup), officer, TODAY)
    assert not result.ok and firm_count() == before
    (message,) = [e.message for e in result.row_errors]
    assert f"与已有企业“{LICENCE_NAME}”（统一社会信用代码 {existing.credit_code}）相同，请核对" in message
    # Two new rows of one name in the file: the second is refused.
    name = "新建（湘潭）科技有限公司"
    twice = [
        HEADER[:3],
        [name, valid_credit_code(), "甲园区"],
        ["新建(湘潭)科技有限公司", valid_credit_code(), "甲园区"],
    ]
    result = import_enterprises(write_xlsx(tmp_path / "twice.xlsx", twice), officer, TODAY)
    assert not result.ok and firm_count() == before
    assert [e.row for e in result.row_errors] == [3] and "与第2行的企业名称相同" in result.row_errors[
        0
    ].message
    # The same firm re-imported by its credit code still updates, in either width.
    same = [HEADER[:4], ["湘潭华宇(集团)新材料有限公司", existing.credit_code, "甲园区", "赵六"]]
    result = import_enterprises(write_xlsx(tmp_path / "same.xlsx", same), officer, TODAY)
    assert result.ok, result.errors
    assert result.updated == 1 and firm_count() == before
    assert (existing.name, existing.legal_rep) == ("湘潭华宇(集团)新材料有限公司", "赵六")


def test_problem_title_and_list_item_keep_chinese_punctuation(db, park):
    cadre = make_user("cadre", park)
    firm = make_enterprise(park, cadre=cadre)
    data = {
        "title": " 用电增容，需协调（急） ",
        "description": "说明",
        "category": "other",
        "source": "phone",
    }
    problem = raise_problem(firm, cadre, data, today=TODAY)
    assert problem.title == "用电增容，需协调（急）"
    item = add_product(firm, cadre, {"name": "永磁（同步）电机，Ｍ型", "capacity": "１，２００"})
    assert item.name == "永磁（同步）电机，Ｍ型" and str(item.capacity) == "1200.00"


def test_user_display_name_kept_username_and_phone_folded(db, park, admin):
    user = create_user(
        "ｚｈａｎｇ", "张（大）伟", "cadre", park=park, password="Secret-123456", phone="１３９"
    )
    assert (user.username, user.name, user.phone) == ("zhang", "张（大）伟", "139")
    update_user(user, admin, "张伟（小）", "cadre", park=park, phone="１３７")
    assert (user.name, user.phone) == ("张伟（小）", "137")
