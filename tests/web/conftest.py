"""A small two-park world for view tests: who owns what is fixed so expectations are readable."""

from types import SimpleNamespace

import pytest

from tests.factories import make_chain, make_department, make_enterprise, make_park, make_user


@pytest.fixture()
def world(db):
    park_a, park_b = make_park("A", "甲园区"), make_park("B", "乙园区")
    chain = make_chain("装备制造")
    dept = make_department("税务局")
    officer = make_user("officer", park_a, username="officer_a")
    w = SimpleNamespace(
        park_a=park_a,
        park_b=park_b,
        chain=chain,
        dept=dept,
        admin=make_user("admin", username="admin"),
        leader=make_user("leader", username="leader"),
        officer=officer,
        officer_b=make_user("officer", park_b, username="officer_b"),
        cadre=make_user("cadre", park_a, username="cadre_a"),
        cadre2=make_user("cadre", park_a, username="cadre_a2"),
        cadre_b=make_user("cadre", park_b, username="cadre_b"),
        handler=make_user("handler", park_a, username="handler_a", department=dept),
    )
    w.own_firm = make_enterprise(
        park_a, "湘潭高新电机有限公司", cadre=w.cadre, chain=chain, assigned_by=officer
    )
    w.other_firm = make_enterprise(park_a, "湘潭另一家企业有限公司", cadre=w.cadre2, assigned_by=officer)
    w.unassigned_firm = make_enterprise(park_a, "未分配企业有限公司")
    w.foreign_firm = make_enterprise(park_b, "乙园区企业有限公司", cadre=w.cadre_b, assigned_by=w.officer_b)
    db.session.commit()
    return w
