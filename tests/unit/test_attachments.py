from contextlib import nullcontext
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from crm.models import Attachment
from crm.services import ServiceError
from crm.services.common import filetypes
from crm.services.common.attachments import (
    CONTENT_TYPES,
    attachment_path,
    clean_filename,
    save_attachments,
    validate_uploads,
)
from tests.support.factories import make_enterprise, make_park, make_user
from tests.support.uploads import (
    DOCX,
    JPEG,
    OLE2,
    PDF,
    PNG,
    XLSX,
    docx_bytes,
    image_bytes,
    ole2_bytes,
    upload,
    zip_bytes,
)

EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 240
    + b"This program cannot be run"
)


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
    assert message == "文件「photo.jpg」的内容与扩展名不符，未保存"


def test_pdf_whose_bytes_are_not_a_pdf_is_refused(app, db, owner):
    assert refuse(app, db, owner, [upload("a.pdf", JPEG)]) == "文件「a.pdf」的内容与扩展名不符，未保存"


VALID = {
    "现场.png": PNG,
    "现场.jpg": JPEG,
    "现场.jpeg": JPEG,
    "动图.gif": image_bytes("GIF"),
    "截图.webp": image_bytes("WEBP"),
    "材料.pdf": PDF,
    "纪要.docx": DOCX,
    "台账.xlsx": XLSX,
    "旧纪要.doc": OLE2,
    "旧台账.xls": OLE2,
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_a_real_file_of_every_allowed_type_is_accepted(app, db, owner, name):
    (item,) = validate_uploads([upload(name, VALID[name])])
    assert item.content_type == CONTENT_TYPES[name.rsplit(".", 1)[1]]


def test_every_allowed_extension_has_a_real_file_above():
    assert {name.rsplit(".", 1)[1] for name in VALID} == set(CONTENT_TYPES)


def test_a_password_protected_office_file_is_accepted(app, db, owner):
    """Word and Excel store an encrypted .docx/.xlsx as an OLE2 file holding an EncryptedPackage stream."""
    encrypted = ole2_bytes("EncryptionInfo", "EncryptedPackage")
    assert len(validate_uploads([upload("加密.docx", encrypted), upload("加密.xlsx", encrypted)])) == 2


SPOOFS = {
    "exe as docx": ("病毒.docx", EXE),
    "exe as xls": ("病毒.xls", EXE),
    "exe as doc": ("病毒.doc", EXE),
    "exe as xlsx": ("病毒.xlsx", EXE),
    "html with %PDF- at offset 10": ("材料.pdf", b"<html><b> %PDF-1.4</b><script>alert(1)</script>\n%%EOF"),
    "pdf header without end marker": ("材料.pdf", b"%PDF-1.4\n<script>alert(1)</script>"),
    "zip without [Content_Types].xml": ("台账.xlsx", zip_bytes({"xl/workbook.xml": b"<workbook/>"})),
    "word package named xlsx": ("台账.xlsx", DOCX),
    "zip appended to an exe": ("纪要.docx", EXE + DOCX),
    "zip cut short": ("纪要.docx", DOCX[:-30]),
    "unencrypted ole2 named docx": ("纪要.docx", OLE2),
    "ole2 magic alone": ("旧台账.xls", OLE2[:8] + b"\x00" * 504),
    "text as png": ("现场.png", b"just some text, not an image\n" * 4),
    "png with a broken checksum": ("现场.png", PNG[:-5] + b"\x00" + PNG[-4:]),
    "html as jpg": ("现场.jpg", b"<html><script>alert(1)</script></html>"),
    "exe as gif": ("动图.gif", EXE),
}


@pytest.mark.parametrize("name, data", SPOOFS.values(), ids=SPOOFS.keys())
def test_a_file_whose_content_is_not_what_its_name_says_is_refused(app, db, owner, name, data):
    # The browser's declared type is not trusted either.
    spoof = upload(name, data, content_type=CONTENT_TYPES[name.rsplit(".", 1)[1]])
    message = refuse(app, db, owner, [upload("现场.png", PNG), spoof])
    assert message == f"文件「{name}」的内容与扩展名不符，未保存"


def test_a_zip_bomb_is_refused_from_its_directory_alone(app, db, owner):
    bomb = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"\0" * (20 * 1024 * 1024)})
    assert len(bomb) < 100 * 1024
    assert (
        refuse(app, db, owner, [upload("台账.xlsx", bomb)]) == "文件「台账.xlsx」的内容与扩展名不符，未保存"
    )


def test_a_zip_of_too_many_members_is_refused(app, db, owner, monkeypatch):
    monkeypatch.setattr(filetypes, "ZIP_MAX_MEMBERS", 2)
    refuse(app, db, owner, [upload("纪要.docx", docx_bytes())], "文件「纪要.docx」的内容与扩展名不符")
    monkeypatch.setattr(filetypes, "ZIP_MAX_MEMBERS", 3)  # [Content_Types].xml, _rels/.rels, the document
    assert validate_uploads([upload("纪要.docx", docx_bytes())])


@pytest.mark.parametrize("limit", [40, 16], ids=["over the limit", "over twice the limit"])
def test_an_image_of_too_many_pixels_is_refused(app, db, owner, monkeypatch, limit):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)  # the 8x8 PNG has 64 pixels
    with pytest.warns(Image.DecompressionBombWarning) if limit == 40 else nullcontext():
        message = refuse(app, db, owner, [upload("大图.png", PNG)])
    assert message.startswith("文件「大图.png」的图片像素过多")


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
