"""The home page's aggregates are cached per scope for a few minutes, and 刷新 recomputes them."""

from crm.models import Enterprise
from crm.services.dashboard.cache import clear_figures
from tests.support.factories import valid_credit_code


def _firms_shown(client) -> str:
    body = client.get("/").get_data(as_text=True)
    assert "统计于" in body and "fresh=1" in body
    return body


def test_figures_are_cached_until_refreshed(app, client, login_as, world, db):
    app.config["DASHBOARD_CACHE_SECONDS"] = 300
    clear_figures()
    try:
        login_as(world.officer)
        before = _firms_shown(client)
        db.session.add(
            Enterprise(name="新入园企业", credit_code=valid_credit_code(), park_id=world.park_a.id)
        )
        db.session.commit()
        cached = _firms_shown(client)
        assert cached == before and "新入园企业" not in cached  # from the cache: counts and list unchanged
        fresh = client.get("/?fresh=1").get_data(as_text=True)
        assert fresh != before and "新入园企业" in fresh  # recomputed: counted, and in the unassigned list
        # Another park's officer never sees this park's cached figures.
        login_as(world.officer_b)
        assert "新入园企业" not in client.get("/").get_data(as_text=True)
    finally:
        app.config["DASHBOARD_CACHE_SECONDS"] = 0
        clear_figures()
