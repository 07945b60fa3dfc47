from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.models import Attachment
from crm.services import ServiceError
from crm.services.common.attachments import (
    attachment_path,
    clean_filename,
    save_attachments,
    validate_uploads,
)
from tests.factories import make_enterprise, make_park, make_user
from tests.uploads import DOCX, JPEG, PDF, PNG, upload


@pytest.fixture(autouse=True)
def upload_folder(app, tmp_path, monkeypatch):
    """Each test stores into its own folder, so "nothing written" means an empty folder."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))


@pytest.fixture()
def owner(db):
    park = make_park()
    cadre = make_user("cadre", park)
    return cadre, make_enterprise(park, cadre=cadre)


def stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_FOLDER"]) / "attachments"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def attachment_rows(db) -> int:
    return db.session.scalar(select(func.count(Attachment.id)))


def refuse(app, db, owner, files, *fragments):
    cadre, firm = owner
    with pytest.raises(ServiceError) as info:
        save_attachments(files, "visit", 1, firm.id, cadre)
    for fragment in fragments:
        assert fragment in str(info.value)
    assert stored_files(app) == [] and attachment_rows(db) == 0
    return str(info.value)


def test_valid_files_are_stored_outside_the_database(app, db, owner):
    cadre, firm = owner
    files = [
        upload("现场照片.jpg", JPEG),
        upload("c:\\手机\\DCIM\\截图.PNG", PNG),
        upload("申报材料.pdf", PDF),
        upload("台账.docx", DOCX),
    ]
    paths = save_attachments(files, "visit", 7, firm.id, cadre)
    db.session.commit()
    rows = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [r.filename for r in rows] == ["现场照片.jpg", "截图.PNG", "申报材料.pdf", "台账.docx"]
    assert [r.content_type for r in rows][:3] == ["image/jpeg", "image/png", "application/pdf"]
    assert all(r.owner_type == "visit" and r.owner_id == 7 and r.enterprise_id == firm.id for r in rows)
    assert all(r.uploaded_by_id == cadre.id for r in rows)
    assert sorted(paths) == sorted(stored_files(app))
    for row, path in zip(rows, paths, strict=True):
        assert attachment_path(row) == path.resolve()
        assert path.parent.name == "2026" and path.parent.parent.name == "attachments"
        assert len(path.stem) == 32 and path.suffix == "." + row.filename.rsplit(".", 1)[1].lower()
    assert paths[0].read_bytes() == JPEG


def test_oversize_file_is_refused(app, db, owner, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 1024)
    message = refuse(app, db, owner, [upload("ok.jpg", JPEG), upload("x.jpg", JPEG + b"\x00" * 1024)])
    assert message == "文件 x.jpg 超过1KB"


def test_default_limit_is_ten_megabytes(app, db, owner):
    assert app.config["ATTACHMENT_MAX_BYTES"] == 10 * 1024 * 1024
    big = JPEG + b"\x00" * (10 * 1024 * 1024)
    assert refuse(app, db, owner, [upload("x.jpg", big)]) == "文件 x.jpg 超过10MB"


@pytest.mark.parametrize("name", ["a.exe", "脚本.js", "page.html", "图.svg", "noextension"])
def test_wrong_type_by_extension_is_refused(app, db, owner, name):
    message = refuse(app, db, owner, [upload(name, b"MZ\x90\x00" * 10)])
    assert message == f"文件 {name} 类型不支持（仅限图片、PDF、Word、Excel）"


def test_jpg_whose_bytes_are_not_an_image_is_refused(app, db, owner):
    message = refuse(app, db, owner, [upload("photo.jpg", b"<html><script>alert(1)</script></html>")])
    assert message == "文件 photo.jpg 不是有效的图片"


def test_pdf_whose_bytes_are_not_a_pdf_is_refused(app, db, owner):
    assert refuse(app, db, owner, [upload("a.pdf", JPEG)]) == "文件 a.pdf 不是有效的PDF文件"


def test_image_with_the_wrong_image_extension_is_served_as_what_it_is(app, db, owner):
    (item,) = validate_uploads([upload("实为png.jpg", PNG)])
    assert item.content_type == "image/png"


def test_empty_file_is_refused(app, db, owner):
    assert refuse(app, db, owner, [upload("空.pdf", b"")]) == "文件 空.pdf 是空文件"


def test_too_many_files_are_refused(app, db, owner):
    files = [upload(f"{i}.jpg", JPEG) for i in range(10)]
    assert refuse(app, db, owner, files) == "每次最多上传9个文件（本次选择了10个）"
    assert len(validate_uploads(files[:9])) == 9


def test_every_bad_file_is_named_and_none_is_written(app, db, owner):
    files = [upload("好.jpg", JPEG), upload("a.exe", b"MZ"), upload("空.png", b"")]
    refuse(app, db, owner, files, "文件 a.exe 类型不支持", "文件 空.png 是空文件")


def test_empty_file_inputs_are_not_uploads(app, db, owner):
    cadre, firm = owner
    assert validate_uploads([upload("", b""), None]) == []
    assert save_attachments([upload("", b"")], "visit", 1, firm.id, cadre) == []


def test_files_of_a_rolled_back_transaction_are_removed(app, db, owner):
    cadre, firm = owner
    paths = save_attachments([upload("a.jpg", JPEG)], "visit", 1, firm.id, cadre)
    assert all(p.exists() for p in paths)
    db.session.rollback()
    assert stored_files(app) == [] and attachment_rows(db) == 0


def test_committed_files_stay(app, db, owner):
    cadre, firm = owner
    paths = save_attachments([upload("a.jpg", JPEG)], "visit", 1, firm.id, cadre)
    db.session.commit()
    db.session.rollback()  # a later rollback must not touch files of an earlier commit
    assert all(p.exists() for p in paths)


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("C:\\Users\\王\\照片 1.jpg", "照片 1.jpg"),
        ('a"b<c>\r\n.pdf', "a_b_c___.pdf"),
        ("  .隐藏.png  ", "隐藏.png"),
        ("长" * 300 + ".xlsx", "长" * 195 + ".xlsx"),
    ],
)
def test_original_filename_is_sanitised(raw, clean):
    assert clean_filename(raw) == clean
