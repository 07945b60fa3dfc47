"""A small two-park world for view tests: who owns what is fixed so expectations are readable."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from crm.models import ProductItem, SalesItem, TechItem
from tests.support.factories import make_chain, make_department, make_enterprise, make_park, make_user
from tests.support.problems import pworld  # noqa: F401  (problems in every state on top of `world`)
from tests.support.visits import make_attachment, make_logged_visit


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
    # One item of each list on the cadre's firm, for the lists.* rows of the permission matrix.
    w.product = ProductItem(
        enterprise_id=w.own_firm.id, name="永磁同步电机", capacity=Decimal("5000"), unit="台"
    )
    w.sales = SalesItem(
        enterprise_id=w.own_firm.id, period="2026-10", product="永磁同步电机", amount=Decimal("120.5")
    )
    w.tech = TechItem(enterprise_id=w.own_firm.id, kind="demand", title="电机能效提升", status="pending")
    db.session.add_all([w.product, w.sales, w.tech])
    # A visit with an image attachment on the cadre's firm, and one on the park-B firm (visits.* rows).
    w.visit = make_logged_visit(w.own_firm, w.cadre)
    w.attachment = make_attachment(w.visit)
    w.foreign_visit = make_logged_visit(w.foreign_firm, w.cadre_b)
    db.session.commit()
    return w
