"""The enterprise import's 画像 columns: 规上/规下 inside 企业规模 (alone or with 大中小微, e.g. 规上·中型),
the 资质 column split on 、 or , with optional years, and managed 标签 — all or nothing, as every import."""

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from crm.models import AuditLog, Enterprise, FirmQualification
from crm.services import ServiceError
from crm.services.enterprises.profile import parse_qualifications
from crm.services.imports.enterprises import import_enterprises
from crm.services.imports.profile_cells import to_size_and_scale
from tests.support.dates import TODAY
from tests.support.factories import make_enterprise, make_park, make_user, valid_credit_code
from tests.support.policies import give_profile, make_tag


@pytest.fixture()
def park(db):
    return make_park("A", "甲园区")


@pytest.fixture()
def officer(park):
    return make_user("officer", park, username="officer_a")


def write_xlsx(path, rows):
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def firm(db, code):
    return db.session.scalar(select(Enterprise).where(Enterprise.credit_code == code))


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("中型", ("medium", None)),
        ("规上", (None, "above")),
        ("规下", (None, "below")),
        ("规模以上", (None, "above")),
        ("规模以下企业", (None, "below")),
        ("规上·中型", ("medium", "above")),
        ("规上中型", ("medium", "above")),
        ("中型 / 规模以上", ("medium", "above")),
        ("规下，小型企业", ("small", "below")),
        ("（规上）大型", ("large", "above")),
        ("MICRO", ("micro", None)),
    ],
)
def test_size_cell_maps_scale_words_to_the_scale_type(cell, expected):
    assert to_size_and_scale(cell) == expected


@pytest.mark.parametrize(
    "cell, message",
    [
        ("巨型", "“巨型”不是有效取值，可选：大型/中型/小型/微型（可同时填写 规上/规下，如 规上·中型）"),
        ("规上规下", "“规上规下”同时写了规上和规下，请只保留一个"),
        (
            "中型·小型",
            "“中型·小型”不是有效取值，可选：大型/中型/小型/微型（可同时填写 规上/规下，如 规上·中型）",
        ),
        (
            "规上·特大",
            "“规上·特大”不是有效取值，可选：大型/中型/小型/微型（可同时填写 规上/规下，如 规上·中型）",
        ),
    ],
)
def test_size_cell_refusals(cell, message):
    with pytest.raises(ValueError) as exc:
        to_size_and_scale(cell)
    assert str(exc.value) == message


def test_qualification_cell_split_on_dun_or_comma_with_years():
    text = "高新技术企业（2023年认定）、专精特新,小巨人2024，科小；新三板挂牌"
    assert parse_qualifications(text, TODAY) == {
        "hnte": 2023,
        "srdi": None,
        "little_giant": 2024,
        "tech_sme": None,
        "quoted": None,
    }
    assert parse_qualifications("国家级专精特新“小巨人”企业（2025）", TODAY) == {"little_giant": 2025}
    with pytest.raises(ServiceError) as exc:
        parse_qualifications("高企2030、火箭企业", TODAY)
    assert "高新技术企业的认定年份应在1990年至2026年之间" in str(exc.value)
    assert "“火箭企业”不是可识别的资质" in str(exc.value)


def test_ledger_with_scale_in_the_size_column_and_qualifications_imports(db, tmp_path, park, officer):
    codes = [valid_credit_code() for _ in range(4)]
    export = make_tag("出口企业")
    path = write_xlsx(
        tmp_path / "台账.xlsx",
        [
            ["企业名称", "统一社会信用代码", "企业规模", "资质", "标签"],
            ["甲电机有限公司", codes[0], "规上", "高新技术企业（2023）、专精特新", "出口企业"],
            ["乙食品有限公司", codes[1], "规下", "", ""],
            ["丙科技有限公司", codes[2], "规上·中型", "科技型中小企业,瞪羚企业2025", ""],
            ["丁材料有限公司", codes[3], "小型", "", "专精特新"],
        ],
    )
    result = import_enterprises(path, officer, TODAY)
    assert result.ok, result.errors
    got = {
        f.name: (f.scale_type, f.size, {q.code: q.year for q in f.qualifications}, [t.name for t in f.tags])
        for f in db.session.scalars(select(Enterprise))
    }
    assert got == {
        "甲电机有限公司": ("above", None, {"hnte": 2023, "srdi": None}, ["出口企业"]),
        "乙食品有限公司": ("below", None, {}, []),
        "丙科技有限公司": ("above", "medium", {"tech_sme": None, "gazelle": 2025}, []),
        "丁材料有限公司": (None, "small", {"srdi": None}, []),  # a qualification written as a tag
    }
    assert any("【标签】列中的“专精特新”是资质" in n for n in result.notices)
    assert export.id in {t.id for t in firm(db, codes[0]).tags}


def test_reimport_keeps_years_and_adds_tag_qualifications_without_dropping_others(
    db, tmp_path, park, officer
):
    code = valid_credit_code()
    existing = make_enterprise(park, "甲电机有限公司", credit_code=code)
    give_profile(existing, {"hnte": 2019, "gazelle": 2024})
    db.session.commit()
    # The 资质 column lists the firm's qualifications: 瞪羚 is gone, 高企 keeps its year, 科小 is new.
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [["企业名称", "统一社会信用代码", "资质"], ["甲电机有限公司", code, "高企、科小"]],
    )
    result = import_enterprises(path, officer, TODAY)
    assert result.ok and result.updated == 1
    db.session.expire_all()
    assert {q.code: q.year for q in existing.qualifications} == {"hnte": 2019, "tech_sme": None}
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "update")).one()
    assert entry.changes["qualifications"] == [
        "高新技术企业（2019年）、瞪羚企业（2024年）",
        "高新技术企业（2019年）、科技型中小企业",
    ]
    # A 标签 column naming a qualification adds it; the others stay.
    path = write_xlsx(
        tmp_path / "b.xlsx", [["企业名称", "统一社会信用代码", "标签"], ["甲电机有限公司", code, "小巨人"]]
    )
    assert import_enterprises(path, officer, TODAY).ok
    db.session.expire_all()
    assert {q.code for q in existing.qualifications} == {"hnte", "tech_sme", "little_giant"}
    # The same file again changes nothing.
    assert import_enterprises(path, officer, TODAY).unchanged == 1


def test_bad_profile_cells_refuse_the_whole_file(db, tmp_path, park, officer):
    make_tag("停用标签").is_active = False
    db.session.commit()
    rows = [
        ["企业名称", "统一社会信用代码", "企业规模", "规模类型", "资质", "标签"],
        ["甲有限公司", valid_credit_code(), "规上·中型", "规下", "", ""],
        ["乙有限公司", valid_credit_code(), "", "", "高企、火箭企业", ""],
        ["丙有限公司", valid_credit_code(), "", "", "", "不存在的标签"],
        ["丁有限公司", valid_credit_code(), "", "", "", "停用标签"],
        ["戊有限公司", valid_credit_code(), "小型", "", "", ""],
    ]
    before = db.session.scalar(select(func.count(Enterprise.id)))
    result = import_enterprises(write_xlsx(tmp_path / "bad.xlsx", rows), officer, TODAY)
    assert not result.ok and not result.applied
    assert result.errors == [
        "第2行【企业规模】中的“规上”与【规模类型】“规下”不一致",
        "第3行【资质】“火箭企业”不是可识别的资质，可选："
        + "、".join(
            [
                "高新技术企业",
                "科技型中小企业",
                "专精特新中小企业",
                "省级专精特新中小企业",
                "国家级专精特新“小巨人”企业",
                "瞪羚企业",
                "独角兽企业",
                "上市企业",
                "挂牌企业（新三板/区域股权市场）",
            ]
        ),
        "第4行【标签】“不存在的标签”不在标签库中，标签库为空，请先由系统管理员在“标签库”中添加",
        "第5行【标签】“停用标签”已停用，请选择其他标签",
    ]
    # The file's good rows were not imported either.
    assert db.session.scalar(select(func.count(Enterprise.id))) == before
    assert db.session.scalar(select(func.count(FirmQualification.enterprise_id))) == 0
