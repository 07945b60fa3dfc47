"""No open redirect: every `next` the app follows (login, problem steps, notifications, user admin) goes
through crm.redirects.safe_next, and each of those routes sends a foreign or disguised target home."""

import re
from pathlib import Path

import pytest

from crm.redirects import safe_next
from tests.support.factories import PASSWORD, make_user

EVIL = [
    "https://evil.example/",
    "http:evil.example",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",  # browsers drop the tab and read //evil.example
    "/\n/evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/admin/..//evil.example",
    "/notifications/\\\\evil.example",
]
BLUEPRINTS = Path(__file__).resolve().parents[2] / "crm" / "blueprints"


@pytest.mark.parametrize("target", EVIL)
def test_safe_next_refuses_foreign_and_disguised_targets(target):
    assert safe_next(target) is None
    assert safe_next(target, "/admin/") is None


@pytest.mark.parametrize(
    "target, prefix",
    [("/", "/"), ("/enterprises/?q=%E7%94%B5%E6%9C%BA&page=2", "/"), ("/admin/users/?role=cadre", "/admin/")],
)
def test_safe_next_keeps_same_site_paths(target, prefix):
    assert safe_next(target, prefix) == target


def test_safe_next_keeps_to_its_area():
    assert safe_next("/enterprises/", "/admin/") is None
    assert safe_next("/notifications/?show=unread", "/notifications/") == "/notifications/?show=unread"


def test_every_next_in_the_views_goes_through_safe_next():
    """A view that reads a `next` without the one check fails here, whatever its blueprint."""
    reads = re.compile(r"""(get\(\s*["']next["']|\.next\.data|args\[["']next["']\]|form\[["']next["']\])""")
    found = []
    for path in BLUEPRINTS.rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if reads.search(line):
                found.append((path.name, number))
                assert "safe_next(" in line, (
                    f"{path}:{number} follows `next` without safe_next: {line.strip()}"
                )
    assert len(found) >= 4  # login, problem steps, notifications, user admin


def _location(resp) -> str:
    assert resp.status_code == 302, resp.status_code
    return resp.headers["Location"]


@pytest.mark.parametrize("target", EVIL)
def test_login_ignores_a_foreign_next(client, db, target):
    make_user("officer", username="zhao")
    db.session.commit()
    resp = client.post(
        "/login", query_string={"next": target}, data={"username": "zhao", "password": PASSWORD}
    )
    assert _location(resp) == "/"


def test_login_follows_a_same_site_next(client, db):
    make_user("officer", username="zhao")
    db.session.commit()
    resp = client.post(
        "/login?next=/problems/%3Fcolour%3Dred", data={"username": "zhao", "password": PASSWORD}
    )
    assert _location(resp) == "/problems/?colour=red"


@pytest.mark.parametrize("target", EVIL)
def test_problem_step_ignores_a_foreign_next(client, login_as, pworld, target):
    login_as(pworld.leader)
    p = pworld.p_red
    resp = client.post(
        f"/problems/{p.id}/instruct", data={"note": "请抓紧办理", "version": p.version, "next": target}
    )
    assert _location(resp) == f"/problems/{p.id}"


def test_problem_step_follows_the_board_it_came_from(client, login_as, pworld):
    login_as(pworld.officer)
    p = pworld.p_new
    resp = client.post(
        f"/problems/{p.id}/dispatch", data={"version": p.version, "next": "/problems/board?tab=new"}
    )
    assert _location(resp) == "/problems/board?tab=new"  # refused (no department), back where it came from


@pytest.mark.parametrize("target", [*EVIL, "/enterprises/"])
def test_notifications_ignore_a_foreign_next(client, login_as, world, target):
    login_as(world.cadre)
    assert _location(client.post("/notifications/read-all", data={"next": target})) == "/notifications/"


def test_notifications_follow_their_own_list(client, login_as, world):
    login_as(world.cadre)
    resp = client.post("/notifications/read-all", data={"next": "/notifications/?show=unread"})
    assert _location(resp) == "/notifications/?show=unread"


@pytest.mark.parametrize("target", [*EVIL, "/enterprises/"])
def test_user_admin_ignores_a_foreign_next(client, login_as, world, target):
    login_as(world.admin)
    resp = client.post(f"/admin/users/{world.cadre.id}/unlock", data={"next": target})
    assert _location(resp) == f"/admin/users/{world.cadre.id}/edit"


def test_user_admin_follows_the_user_list(client, login_as, world):
    login_as(world.admin)
    resp = client.post(f"/admin/users/{world.cadre.id}/unlock", data={"next": "/admin/users/?role=cadre"})
    assert _location(resp) == "/admin/users/?role=cadre"
