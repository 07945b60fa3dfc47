"""The home page's figures are stored per park and stay exact: a write shows on the next view, only the
park it touched is recomputed, and 刷新 recomputes on demand."""

from sqlalchemy import select

from crm.models import Enterprise, ParkFigures
from tests.support.factories import valid_credit_code


def _computed(db) -> dict[int, object]:
    db.session.expire_all()
    return dict(db.session.execute(select(ParkFigures.park_id, ParkFigures.computed_at)).all())


def test_a_write_shows_at_once_and_recomputes_only_its_park(app, client, login_as, world, db):
    login_as(world.leader)
    body = client.get("/").get_data(as_text=True)
    assert "统计于" in body and "fresh=1" in body
    first = _computed(db)
    assert set(first) == {world.park_a.id, world.park_b.id}  # the city page stored both parks
    assert client.get("/").status_code == 200
    assert _computed(db) == first  # nothing written: the stored figures were used as they are

    db.session.add(Enterprise(name="新入园企业", credit_code=valid_credit_code(), park_id=world.park_a.id))
    db.session.commit()
    login_as(world.officer)
    assert "新入园企业" in client.get("/").get_data(as_text=True)  # counted, and in the unassigned list
    after = _computed(db)
    assert after[world.park_a.id] != first[world.park_a.id]
    assert after[world.park_b.id] == first[world.park_b.id]  # the other park was not touched

    login_as(world.officer_b)
    assert "新入园企业" not in client.get("/").get_data(as_text=True)
    client.get("/?fresh=1")
    assert _computed(db)[world.park_b.id] != first[world.park_b.id]  # 刷新 recomputes
