"""Verdicts kept per column and value (crm/services/imports/cells.py) change nothing an import says: the
same rows, messages in the same order and the same values as judging every cell and field afresh."""

import random
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook

from crm.services.common.creditcode import credit_code_error
from crm.services.common.validators import has_control_chars
from crm.services.enterprises.registry import MULTILINE_FIELDS, validate_enterprise_data
from crm.services.imports import cells, validate
from crm.services.imports.cells import VALIDATE_ORDER, Verdicts, control_chars, new_firm_problems
from crm.services.imports.enterprises import import_limits
from crm.services.imports.parse import read_import_file
from crm.services.imports.registry import Registry
from crm.services.imports.validate import plan_import
from tests.support.factories import make_chain, make_enterprise, make_park, make_user, valid_credit_code

FUTURE = date(2999, 1, 1)


@pytest.fixture()
def places(db):
    park, retired_park = make_park("A", "甲园区"), make_park("R", "旧园区")
    chain, retired_chain = make_chain("装备制造"), make_chain("旧产业链")
    retired_park.is_active = retired_chain.is_active = False
    db.session.flush()
    return park, retired_park, chain, retired_chain


def test_the_fields_come_in_the_order_validate_enterprise_data_reports_them(places):
    everything_wrong = {
        "name": "",
        "credit_code": "",
        "park_id": None,
        "chain_id": 999_999,
        "scale_type": "x",
        "size": "x",
        "status": "x",
        "headcount": -1,
        "output_last_year": Decimal(-1),
        "tax_last_year": Decimal(-1),
        "founded_on": FUTURE,
    }
    assert list(validate_enterprise_data(everything_wrong, check_unique=False)) == list(VALIDATE_ORDER)


def test_field_by_field_is_validate_enterprise_data(places):
    park, retired_park, chain, retired_chain = places
    choices = {
        "name": [None, "", "甲", "长" * 200, "长" * 201],
        "credit_code": [None, "", valid_credit_code(1), valid_credit_code(2), "123", "91430300MA4T8K2X1I"],
        "park_id": [None, park.id, retired_park.id, 999_999],
        "chain_id": [None, chain.id, retired_chain.id, 999_998],
        "scale_type": [None, "above", "below", "x"],
        "size": [None, "small", "huge"],
        "status": [None, "active", "gone"],
        "headcount": [None, 0, 5, -1, 10_000_000],
        "output_last_year": [
            None,
            Decimal("1.50"),
            Decimal("1.5"),
            Decimal(-1),
            Decimal(10) ** 12,
            Decimal("NaN"),
        ],
        "tax_last_year": [None, Decimal(0), Decimal("-0.01")],
        "founded_on": [None, date(2001, 2, 3), FUTURE],
        "legal_rep": [None, "王五"],
        "is_key": [None, True, False],
    }
    rng = random.Random(7)
    verdicts = Verdicts()
    for _ in range(400):
        data = {field: rng.choice(values) for field, values in choices.items()}
        data = {field: value for field, value in data.items() if value is not None or rng.random() < 0.5}
        code = data.get("credit_code") or ""
        found = new_firm_problems(verdicts, data, credit_code_error(code) if code else None)
        assert list(found.items()) == list(validate_enterprise_data(data, check_unique=False).items()), data


def test_control_characters_are_found_cell_by_cell_as_before():
    """The whole-row check lets through only rows that pass cell by cell."""
    pieces = ["甲", "a", " ", "\t", "\n", "\r", "\u3000", "\x00", "\x1f", "\x7f", "\x85", "\u2028", "\u202e"]
    pieces += ["\u2066", "\ufffe", "\x0b", "\x1c"]
    rng = random.Random(3)
    verdicts = Verdicts()
    for _ in range(3000):
        values = {
            key: "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4))) if rng.random() < 0.9 else 12
            for key in ("name", "legal_rep", "note", "address")
        }
        expected = [key for key, value in values.items() if has_control_chars(value, key in MULTILINE_FIELDS)]
        assert control_chars(verdicts, values) == expected, values


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
    "备注",
]


def _varied_rows(rng: random.Random, registered: str) -> list[list]:
    """Rows repeating a few values down each column, with every kind of problem now and then."""
    pools = [  # (values that read, values refused)
        ([], []),  # the name and the code: below
        ([], []),
        (["甲园区", "A", "ａ", None, " 甲园区 "], ["旧园区", "乙园区"]),
        (["装备制造", None], ["旧产业链", "不存在的链"]),
        (["中型", "规上·中型", "规下", None, "小型企业"], ["巨型", "规上规下"]),
        (["规上", "规模以下", "above", None], ["其他"]),
        (["是", "否", "Y", 1, True, None], ["也许"]),
        (["王五", None, "  李四  "], ["王\u202e五"]),
        (["赵六", None], ["赵" * 65]),
        (["13900000000", "１３９００００００００", 13900000000.0, None], []),
        (["湘潭高新区", None], ["雨湖区\n九华"]),
        (["zhangwei", "张伟", None], ["不存在"]),
        ([datetime(2015, 3, 1), "2015/3/1", "20150301", None], ["2015-02-30", "明天", "2999-01-01"]),
        ([120, "1,200", None], ["12.5", -3, "很多", 10**8]),
        (["1234.567", Decimal("12.5"), None], ["-1", "1e13", "abc"]),
        (["0", "12", None], []),
        (["存续", None], ["注销", "倒闭"]),
        (["备注\n两行", None], ["备\x7f注"]),
    ]
    rows = []
    for n in range(200):
        row = [
            rng.choice(bad) if bad and rng.random() < 0.03 else rng.choice(good) if good else None
            for good, bad in pools
        ]
        row[0] = rng.choice([f"第{n}号企业有限公司"] * 8 + [f"第{n % 9}号企业有限公司", "", "长" * 201])
        row[1] = rng.choice(
            [valid_credit_code(n)] * 8 + [valid_credit_code(n % 11), registered, "123", "", 91430300.0]
        )
        rows.append(row)
    return rows


def _summary(result):
    return [
        (p.row, p.action, [str(e) for e in p.errors], p.data, p.park and p.park.id, p.cadre and p.cadre.id)
        for p in result.rows
    ]


def test_an_import_plans_the_same_with_verdicts_kept_or_not(db, tmp_path, monkeypatch, places):
    park = places[0]
    officer = make_user("officer", park, username="officer_a")
    make_user("cadre", park, username="zhangwei", name="张伟")
    registered = make_enterprise(park, name="已登记企业有限公司").credit_code
    wb = Workbook()
    wb.active.append(HEADER)
    for row in _varied_rows(random.Random(11), registered):
        wb.active.append(row)
    wb.save(tmp_path / "varied.xlsx")
    parsed = read_import_file(tmp_path / "varied.xlsx", import_limits())

    kept = plan_import(parsed, officer, Registry(officer))
    assert kept.created and kept.error_count and kept.updated + kept.unchanged

    def afresh(_verdicts, data, _code_error):
        return validate_enterprise_data(data, check_unique=False)

    monkeypatch.setattr(validate, "new_firm_problems", afresh)
    monkeypatch.setattr(cells, "MEMO_LIMIT", 0)
    fresh = Registry(officer)
    assert fresh.verdicts.limit == 0
    assert _summary(plan_import(parsed, officer, fresh)) == _summary(kept)
