"""The problem and technology forms: sensible defaults, the browser's own checks first (no novalidate),
and a photo that could not be kept after a refusal named next to the picker to choose again."""

import re

from sqlalchemy import func, select

from crm.models import Problem
from tests.support.uploads import PNG, form_file


def text(resp):
    return resp.get_data(as_text=True)


def selected(page: str, name: str) -> str:
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', select_html).group(
        0
    )


def test_problem_source_is_preselected_by_role(client, login_as, world):
    login_as(world.cadre)
    page = text(client.get(f"/enterprises/{world.own_firm.id}/problems/new"))
    assert 'value="visit"' in selected(page, "source")
    login_as(world.officer)
    page = text(client.get(f"/enterprises/{world.own_firm.id}/problems/new"))
    assert 'value="phone"' in selected(page, "source")
    assert 'value="normal"' in selected(page, "urgency")


def test_tech_kind_defaults_to_a_demand(client, login_as, world):
    login_as(world.cadre)
    page = text(client.get(f"/enterprises/{world.own_firm.id}/tech/new"))
    assert 'value="demand"' in selected(page, "kind")
    assert '<option value="">请选择</option>' not in page.split('name="kind"')[1].split("</select>")[0]


def test_the_browser_checks_the_problem_form_first(client, login_as, world):
    login_as(world.cadre)
    page = text(client.get(f"/enterprises/{world.own_firm.id}/problems/new"))
    form = re.search(r"<form[^>]*>", page.split("<main")[1]).group(0)
    assert "novalidate" not in form
    for name in ("title", "category", "source", "description"):
        field = re.search(rf'<(input|select|textarea)[^>]*name="{name}"[^>]*>', page).group(0)
        assert "required" in field, name
    assert 'maxlength="200"' in re.search(r'<input[^>]*name="title"[^>]*>', page).group(0)


def test_a_refused_form_names_the_photo_to_choose_again(client, login_as, world, db):
    login_as(world.cadre)
    before = db.session.scalar(select(func.count(Problem.id)))
    resp = client.post(
        f"/enterprises/{world.own_firm.id}/problems/new",
        data={
            "title": "用电增容",
            "category": "",
            "source": "visit",
            "description": "需要增容",
            "files": [form_file("现场照片.png", PNG)],
        },
        content_type="multipart/form-data",
    )
    page = text(resp)
    assert resp.status_code == 200 and "请选择" in page
    assert (
        "data-files-dropped" in page
        and "现场照片.png</strong>尚未上传" in page
        and "重新拍照或选择文件" in page
    )
    assert 'value="用电增容"' in page  # what was typed is kept
    assert db.session.scalar(select(func.count(Problem.id))) == before


def test_a_first_visit_of_the_form_says_nothing_about_files(client, login_as, world):
    login_as(world.cadre)
    page = text(client.get(f"/enterprises/{world.own_firm.id}/problems/new"))
    assert "data-files-dropped" not in page and "拍照或选择文件" in page
