"""Firms are found by pinyin in every reading of a polyphonic character (长 chang/zhang, 晟 sheng/cheng),
by initials or full pinyin, and by their name width-folded, on the registry, the problem list and the
visit log alike."""

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Enterprise
from crm.services.common.pinyin import (
    MAX_CHARS,
    MAX_FULL,
    MAX_INITIALS,
    initials,
    pinyin_query,
    search_pinyin,
)
from crm.services.enterprises.queries import EnterpriseFilters, enterprise_list_query
from crm.services.enterprises.registry import create_enterprise, update_enterprise
from crm.services.problems.queries import ProblemFilters, problem_list_query
from crm.services.visits.queries import VisitFilters, visit_list_query
from tests.support.dates import TODAY
from tests.support.factories import make_enterprise, make_park, make_user, valid_credit_code
from tests.support.problems import make_problem
from tests.support.visits import make_visit

CHANGSHUN = "湘潭长顺电气有限公司"
SHENGTONG = "湖南晟通智能科技股份有限公司"


def variants(name):
    return set(search_pinyin(name).split(" "))


@pytest.mark.parametrize(
    ("name", "queries"),
    [
        (CHANGSHUN, ["xtcsdq", "xtzsdq", "xiangtanchangshun", "xiangtanzhangshun"]),
        (SHENGTONG, ["hnst", "hnct", "hunanshengtong", "hunanchengtong"]),
    ],
)
def test_every_reading_of_a_polyphone_is_kept(name, queries):
    stored = search_pinyin(name)
    for query in queries:
        assert query in stored, query


def test_the_usual_reading_comes_first_and_the_sort_key_is_unchanged():
    assert search_pinyin("湘潭高新").split(" ")[0] == "xtgx"
    assert initials("湘潭高新") == "xtgx"
    # Letters, digits and brackets stay (width-folded, lower case), as the query is folded the same way.
    assert initials("湘潭华宇（集团）ABC") == "xthy(jt)abc"


def test_phrases_keep_their_reading():
    # 重庆 is read chongqing as a word: no zhongqing variant for a name where it is a place.
    assert variants("重庆长安汽车") == {"cqcaqc", "chongqingchanganqiche"}


def test_the_combinations_are_bounded():
    name = "长行重乐还" * 12  # sixty polyphones
    stored = search_pinyin(name)
    assert len(stored) <= MAX_CHARS
    assert len(stored.split(" ")) <= MAX_INITIALS + MAX_FULL
    assert stored.split(" ")[0] == initials(name)


def test_single_alternative_readings_come_before_pairs():
    # Each polyphone read otherwise on its own is kept before any two of them together.
    found = search_pinyin(CHANGSHUN).split(" ")
    assert found.index("xtcsdqyxgs") < found.index("xxcsdqyxgs")


def test_pinyin_query_folds_width_case_and_spaces_and_ignores_chinese():
    assert pinyin_query("ＸＴ ｃｓ") == "xtcs"
    assert pinyin_query("湘潭") == ""
    assert pinyin_query("2026") == ""  # digits alone are a code or a number, not pinyin
    assert pinyin_query("xt00") == "xt00"


@pytest.fixture()
def world(db):
    park = make_park("A", "甲园区")
    officer = make_user("officer", park, username="officer_a")
    cadre = make_user("cadre", park, username="cadre_a")
    changshun = make_enterprise(park, name=CHANGSHUN, cadre=cadre, assigned_by=officer)
    shengtong = make_enterprise(park, name=SHENGTONG, cadre=cadre, assigned_by=officer)
    other = make_enterprise(park, name="湘潭华宇（集团）新材料有限公司", cadre=cadre, assigned_by=officer)
    db.session.flush()
    return park, officer, cadre, changshun, shengtong, other


def registry_names(user, q):
    return [f.name for f in db.session.scalars(enterprise_list_query(user, EnterpriseFilters(q=q))).unique()]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("xtcsdq", CHANGSHUN),
        ("xtzsdq", CHANGSHUN),
        ("XTCS", CHANGSHUN),
        ("changshun", CHANGSHUN),
        ("hnst", SHENGTONG),
        ("hnct", SHENGTONG),
        ("shengtong", SHENGTONG),
        ("ｈｎｓｔ", SHENGTONG),
        ("湘潭华宇(集团)", "湘潭华宇（集团）新材料有限公司"),
    ],
)
def test_registry_search_finds_both_readings(world, query, expected):
    _park, officer, *_ = world
    assert registry_names(officer, query) == [expected]


def test_pinyin_follows_a_renamed_firm(world):
    park, officer, *_rest = world
    firm = create_enterprise(
        {"name": "湘潭行知教育科技有限公司", "credit_code": valid_credit_code(), "park_id": park.id}, officer
    )
    assert firm.name_pinyin.split(" ")[0] == firm.name_initials
    assert registry_names(officer, "xtxz") == [firm.name]
    assert registry_names(officer, "xthz") == [firm.name]  # 行 read hang
    update_enterprise(firm, {"name": "湘潭重明科技有限公司", "version": firm.version}, officer)
    assert registry_names(officer, "xtxz") == []
    assert registry_names(officer, "xtcm") == registry_names(officer, "xtzm") == ["湘潭重明科技有限公司"]


def test_a_chinese_query_does_not_match_pinyin(world):
    _park, officer, *_ = world
    assert registry_names(officer, "长顺") == [CHANGSHUN]
    assert registry_names(officer, "顺长") == []


def test_problem_search_by_firm_pinyin_and_folded_name(world):
    park, officer, cadre, changshun, shengtong, other = world
    make_problem(changshun, cadre, title="用电增容")
    make_problem(shengtong, cadre, title="招工难")
    make_problem(other, cadre, title="融资需求")
    db.session.flush()

    def titles(q):
        stmt = problem_list_query(officer, ProblemFilters(q=q), TODAY)
        return sorted(p.title for p in db.session.scalars(stmt).unique())

    assert titles("xtcs") == titles("xtzs") == ["用电增容"]
    assert titles("hnst") == titles("hunanchengtong") == ["招工难"]
    # Typed with half-width brackets, a firm registered with full-width ones is found all the same.
    assert titles("湘潭华宇(集团)") == titles("湘潭华宇（集团）") == ["融资需求"]
    assert titles("招工") == ["招工难"]  # the problem's own title still counts


def test_visit_search_by_firm_pinyin_and_folded_name(world):
    park, officer, cadre, changshun, shengtong, other = world
    for firm in (changshun, shengtong, other):
        make_visit(firm, cadre, TODAY)
    db.session.flush()

    def firms(q):
        stmt = visit_list_query(officer, VisitFilters(firm=q))
        return sorted(v.enterprise.name for v in db.session.scalars(stmt).unique())

    assert firms("xtcsdq") == firms("xtzsdq") == [CHANGSHUN]
    assert firms("hnst") == firms("hnct") == [SHENGTONG]
    assert firms("湘潭华宇(集团)") == ["湘潭华宇（集团）新材料有限公司"]
    assert firms("湘潭华宇 （集团）") == ["湘潭华宇（集团）新材料有限公司"]


def test_stored_pinyin_matches_the_service(world):
    *_rest, changshun, _shengtong, _other = world
    stored = db.session.scalar(select(Enterprise.name_pinyin).where(Enterprise.id == changshun.id))
    assert stored == search_pinyin(CHANGSHUN)
