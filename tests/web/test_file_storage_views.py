"""Files kept in the database are seen by every host: an attachment or an import upload received by one
host (its own UPLOAD_FOLDER) is served and imported by another (a different, empty UPLOAD_FOLDER)."""

import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from crm.models import Enterprise, StoredFile
from crm.services.common.attachments import save_attachments
from tests.support.factories import valid_credit_code
from tests.support.uploads import png_bytes

TOKEN_URL = re.compile(r"/imports/([0-9a-f]{32})$")


class Hosts:
    """Two hosts of one cluster: each has its own disk (UPLOAD_FOLDER), both share the database."""

    def __init__(self, app, root: Path, monkeypatch) -> None:
        self.app, self.root, self.monkeypatch = app, root, monkeypatch

    def use(self, name: str) -> Path:
        folder = self.root / name
        self.monkeypatch.setitem(self.app.config, "UPLOAD_FOLDER", str(folder))
        return folder


@pytest.fixture()
def hosts(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FILE_STORAGE", "database")
    return Hosts(app, tmp_path, monkeypatch)


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_an_attachment_uploaded_on_one_host_is_served_by_another(db, client, login_as, world, hosts):
    first = hosts.use("host-a")
    photo = png_bytes(16, 16)
    save_attachments(
        [FileStorage(io.BytesIO(photo), "现场.png")], "visit", world.visit.id, world.own_firm.id, world.cadre
    )
    db.session.commit()
    assert files_under(first) == []  # nothing on host A's disk: the file is in the database
    att = next(a for a in world.visit.attachments if a.filename == "现场.png")
    hosts.use("host-b")
    login_as(world.cadre)
    resp = client.get(f"/attachments/{att.id}")
    assert resp.status_code == 200
    assert resp.data == photo and resp.headers["Content-Type"] == "image/png"
    assert resp.headers["Content-Length"] == str(len(photo))
    assert resp.headers["Cache-Control"] == "private, no-cache"
    login_as(world.cadre_b)  # permissions are the same wherever the file lives
    assert client.get(f"/attachments/{att.id}").status_code in (403, 404)


def test_a_refused_attachment_leaves_no_row_behind(db, world, hosts):
    hosts.use("host-a")
    save_attachments(
        [FileStorage(io.BytesIO(png_bytes()), "a.png")],
        "visit",
        world.visit.id,
        world.own_firm.id,
        world.cadre,
    )
    db.session.rollback()  # the visit was refused: its file goes with it
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def _xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_an_import_uploaded_on_one_host_is_previewed_and_committed_on_another(
    db, client, login_as, world, hosts
):
    login_as(world.officer)
    hosts.use("host-a")
    content = _xlsx(
        [["企业名称", "统一社会信用代码", "所属园区"], ["跨主机导入有限公司", valid_credit_code(), "甲园区"]]
    )
    resp = client.post(
        "/imports/", data={"file": (io.BytesIO(content), "firms.xlsx")}, content_type="multipart/form-data"
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    token = TOKEN_URL.search(resp.headers["Location"]).group(1)
    second = hosts.use("host-b")
    preview = client.get(f"/imports/{token}")
    assert preview.status_code == 200 and "确认导入" in preview.get_data(as_text=True)
    done = client.post(f"/imports/{token}/commit")
    assert done.status_code == 302
    assert db.session.scalar(select(Enterprise).where(Enterprise.name == "跨主机导入有限公司")) is not None
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0  # discarded after import
    assert files_under(second / "imports-cache") == []
    assert client.get(f"/imports/{token}").status_code == 404


def test_a_report_made_on_one_host_is_downloaded_from_another(
    db, client, login_as, world, hosts, tmp_path, monkeypatch
):
    from crm.reporting.monthly.generate import generate_report
    from tests.support.dates import TODAY

    monkeypatch.setitem(hosts.app.config, "REPORTS_FOLDER", str(tmp_path / "reports-a"))
    report = generate_report(world.officer, "2026-10", world.own_firm.park, TODAY)
    db.session.commit()
    assert files_under(tmp_path / "reports-a") == []
    monkeypatch.setitem(hosts.app.config, "REPORTS_FOLDER", str(tmp_path / "reports-b"))
    login_as(world.officer)
    resp = client.get(f"/reports/{report.id}/download")
    assert resp.status_code == 200 and resp.data[:2] == b"PK" and len(resp.data) == report.size
    assert resp.headers["Content-Length"] == str(report.size)
