"""Attachments: checked by content, stored under random keys outside static/, served as downloads
only to those who may see the ticket (internal ones to EN staff only), thumbnails for images."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import Attachment
from app.tickets import attachments
from app.tickets.attachments import AttachmentError, check_upload, store_upload
from app.tickets.storage import LocalStorage, StorageKeyError, get_storage
from tests.support.tickets import build_world
from tests.support.web import signed_in

# ------------------------------------------------------------------ files made here


def png_bytes(size=(40, 30), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def phone_photo(orientation=6) -> bytes:
    """A camera JPEG: 4000×3000 as the sensor wrote it, a blue mark top-left, EXIF saying to turn
    it (orientation 6: 90° clockwise), the phone's make and a GPS position."""
    image = Image.new("RGB", (4000, 3000), (220, 220, 220))
    image.paste((0, 0, 255), (0, 0, 800, 400))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Model X"
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (50.0, 27.0, 3.0), 3: "E", 4: (4.0, 52.0, 1.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=85)
    return out.getvalue()


def docx_bytes(macro=False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        if macro:
            archive.writestr("word/vbaProject.bin", b"\x00macro")
    return out.getvalue()


def upload(data: bytes, name: str, content_type="application/octet-stream") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name, content_type=content_type)


def stored_files(app) -> list[Path]:
    folder = Path(app.instance_path) / "attachments"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


# ------------------------------------------------------------------ checking


def test_size_limit_counts_the_real_bytes(app):
    app.config["ATTACHMENT_MAX_MB"] = 1
    big = b"a" * (1024 * 1024 + 1)
    # The part's header claims a few bytes: the limit reads the bytes themselves.
    lying = FileStorage(
        io.BytesIO(big), filename="notes.txt", content_type="text/plain", content_length=10
    )
    with pytest.raises(AttachmentError) as caught:
        check_upload(lying)
    assert caught.value.message == "« notes.txt » : Ce fichier dépasse 1 Mo."
    assert check_upload(upload(b"a" * 1024 * 1024, "notes.txt")).size == 1024 * 1024


def test_default_limit_is_ten_megabytes(app):
    with pytest.raises(AttachmentError, match=r"Ce fichier dépasse 10 Mo\."):
        check_upload(upload(b"a" * (10 * 1024 * 1024 + 1), "notes.txt"))


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"<html><body><script>alert(document.cookie)</script></body></html>", "photo.jpg"),
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "schema.png"),
        (b"  <!DOCTYPE html><p>hello", "lisez-moi.txt"),
        (b"#!/bin/sh\nrm -rf ~\n", "outil.txt"),
        (b"@echo off\r\nformat c:\r\n", "setup.bat"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "pilote.exe"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "photo.jpg"),
        (b"\xff\xd8\xff\xe0 not really a jpeg", "photo.jpg"),
        (docx_bytes(macro=True), "rapport.docm"),
        (docx_bytes(macro=True), "rapport.docx"),
        (b"PK\x03\x04 broken zip", "archive.zip"),
    ],
)
def test_type_is_decided_by_content(app, data, name):
    with pytest.raises(AttachmentError) as caught:
        check_upload(upload(data, name, content_type="image/jpeg"))
    assert "n’est pas accepté" in caught.value.message or "illisible" in caught.value.message
    assert caught.value.message.startswith(f"« {name} »")


def test_png_named_pdf_is_an_image(app):
    checked = check_upload(upload(png_bytes(), "scan.pdf", content_type="application/pdf"))
    assert checked.content_type == "image/png"
    assert checked.filename == "scan.png"  # opens in the right program once downloaded
    assert checked.thumbnail is not None


@pytest.mark.parametrize(
    ("data", "name", "content_type", "filename"),
    [
        (
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
            "bon de livraison.pdf",
            "application/pdf",
            None,
        ),
        (b"%PDF-1.4\n", "facture", "application/pdf", "facture.pdf"),
        (
            "Journal de l’écran\nerreur 42\n".encode(),
            "journal.log",
            "text/plain; charset=utf-8",
            None,
        ),
        (
            "Numéro : 12\r\n".encode("cp1252"),
            "notes",
            "text/plain; charset=windows-1252",
            "notes.txt",
        ),
        (
            docx_bytes(),
            "rapport.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            None,
        ),
    ],
)
def test_accepted_types(app, data, name, content_type, filename):
    checked = check_upload(upload(data, name))
    assert checked.content_type == content_type
    assert checked.filename == (filename or name)
    assert checked.thumbnail is None


def test_empty_file_refused(app):
    with pytest.raises(AttachmentError, match="vide"):
        check_upload(upload(b"", "vide.txt"))


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\Élodie\\Photo été 2026.JPG", "Photo été 2026.JPG"),
        ('rapport "final" <v2>.pdf', "rapport _final_ _v2.pdf"),
        ("  .cache  ", "cache"),
        ("a" * 300 + ".jpeg", "a" * 115 + ".jpeg"),
        ("école\u0301.txt", "écolé.txt"),  # decomposed accent composed (NFC)
    ],
)
def test_filenames_are_cleaned_but_keep_accents(raw, clean):
    assert attachments.clean_filename(raw) == clean


def test_heic_becomes_an_upright_jpeg(app):
    pillow_heif = pytest.importorskip("pillow_heif")
    image = Image.new("RGB", (64, 48), (10, 200, 10))
    out = io.BytesIO()
    pillow_heif.from_pillow(image).save(out, quality=80)
    checked = check_upload(upload(out.getvalue(), "IMG_0042.HEIC"))
    assert (checked.content_type, checked.filename) == ("image/jpeg", "IMG_0042.jpg")
    assert Image.open(io.BytesIO(checked.data)).size == (64, 48)


# ------------------------------------------------------------------ photos


def test_phone_photo_thumbnail_is_upright_and_metadata_is_gone(app):
    photo = phone_photo(orientation=6)
    checked = check_upload(upload(photo, "IMG_2031.jpg", content_type="image/jpeg"))

    thumb = Image.open(io.BytesIO(checked.thumbnail))
    assert thumb.format == "JPEG"
    assert thumb.size == (360, 480)  # turned: portrait, as the phone showed it
    assert dict(thumb.getexif()) == {}
    # The blue mark, top-left on the sensor, is top-right once turned clockwise.
    r, g, b = thumb.getpixel((thumb.width - 5, 5))
    assert b > 200
    assert r < 60
    r, g, b = thumb.getpixel((5, 5))
    assert r > 200
    assert g > 200

    # The original keeps its pixels untouched and its orientation; no place, no phone.
    original = Image.open(io.BytesIO(checked.data))
    assert original.size == (4000, 3000)
    assert dict(original.getexif()) == {ExifTags.Base.Orientation: 6}
    assert b"PhoneMaker" in photo
    assert b"PhoneMaker" not in checked.data
    assert checked.data.count(b"\xff\xda") == photo.count(b"\xff\xda")  # same scan data
    assert photo[photo.index(b"\xff\xda") :] == checked.data[checked.data.index(b"\xff\xda") :]


def test_plain_upright_photo_keeps_no_exif(app):
    checked = check_upload(upload(phone_photo(orientation=1), "ok.jpg"))
    assert dict(Image.open(io.BytesIO(checked.data)).getexif()) == {}
    assert Image.open(io.BytesIO(checked.thumbnail)).size == (480, 360)


# ------------------------------------------------------------------ storing


def test_storage_key_is_random_and_outside_static(app, world):
    ticket = world.new_ticket()
    first = store_upload(ticket, upload(png_bytes(), "photo école.png"), world.assistant)
    second = store_upload(ticket, upload(png_bytes(), "photo école.png"), world.assistant)
    db.session.commit()
    assert first.storage_key != second.storage_key
    for item in (first, second):
        assert "photo" not in item.storage_key
        assert len(item.storage_key) >= 32
        assert item.filename == "photo école.png"
        assert item.content_type == "image/png"
        assert item.thumbnail_key
    files = stored_files(app)
    assert len(files) == 4  # two files, two thumbnails
    static = Path(app.static_folder).resolve()
    for path in files:
        assert static not in path.resolve().parents
        assert Path(app.instance_path).resolve() in path.resolve().parents
    assert isinstance(get_storage(), LocalStorage)


def test_attachments_dir_setting(make_app, tmp_path):
    app = make_app(ATTACHMENTS_DIR=str(tmp_path / "pieces"))
    with app.app_context():
        world = build_world()
        store_upload(world.new_ticket(), upload(b"bonjour", "a.txt"), world.assistant)
        db.session.commit()
        assert len(list((tmp_path / "pieces").rglob("*"))) == 2  # a sub-folder and the file


def test_a_transaction_without_commit_leaves_no_file(app, world):
    ticket = world.new_ticket()
    store_upload(ticket, upload(png_bytes(), "photo.png"), world.assistant)
    assert len(stored_files(app)) == 2
    db.session.rollback()
    assert stored_files(app) == []
    assert db.session.scalar(select(func.count(Attachment.id))) == 0


def test_storage_refuses_keys_it_never_made(tmp_path):
    storage = LocalStorage(tmp_path)
    for key in ("../../etc/passwd", "", "a/b", "short"):
        with pytest.raises(StorageKeyError):
            storage.open(key)


# ------------------------------------------------------------------ serving


def _attach(world, ticket, data, name, *, internal=False):
    item = store_upload(ticket, upload(data, name), world.assistant, internal=internal)
    db.session.commit()
    return item


def test_download_headers(app, world, client, login):
    ticket = world.new_ticket()
    photo = phone_photo()
    item = _attach(world, ticket, photo, "Photo été.jpg")
    login(world.supplier_user)
    response = client.get(f"/demandes/{ticket.reference}/pieces/{item.id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Photo%20%C3%A9t%C3%A9.jpg" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.get_data()
    assert body.startswith(b"\xff\xd8")
    assert b"PhoneMaker" not in body
    assert len(body) == item.size

    thumb = client.get(f"/demandes/{ticket.reference}/pieces/{item.id}/miniature")
    assert thumb.status_code == 200
    assert thumb.headers["Content-Type"] == "image/jpeg"
    assert thumb.headers["Content-Disposition"].startswith("inline")
    assert thumb.headers["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(thumb.get_data())).size == (360, 480)


def test_text_is_never_served_as_a_page(app, world, client, login):
    ticket = world.new_ticket()
    item = _attach(world, ticket, b"erreur 42\n", "journal.txt")
    login(world.assistant)
    response = client.get(f"/demandes/{ticket.reference}/pieces/{item.id}")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert client.get(f"/demandes/{ticket.reference}/pieces/{item.id}/miniature").status_code == 404


def test_who_may_download(app, world, client):
    ticket = world.new_ticket()
    other = world.new_ticket(supplier_id=world.other_supplier.id, serial="SN-OTHER")
    public = _attach(world, ticket, png_bytes(), "public.png")
    internal = _attach(world, ticket, png_bytes(), "interne.png", internal=True)
    elsewhere = _attach(world, other, png_bytes(), "ailleurs.png")
    url = f"/demandes/{ticket.reference}/pieces/%s"

    anonymous = client.get(url % public.id)
    assert anonymous.status_code == 302
    assert "/connexion" in anonymous.headers["Location"]

    expectations = [
        (world.supplier_user, {public.id: 200, internal.id: 404}),
        (world.supplier_colleague, {public.id: 200, internal.id: 404}),
        (world.teacher, {public.id: 200, internal.id: 404}),
        (world.other_supplier_user, {public.id: 404, internal.id: 404}),
        (world.other_teacher, {public.id: 404, internal.id: 404}),
        (world.coordinator, {public.id: 200, internal.id: 200}),
        (world.assistant2, {public.id: 200, internal.id: 200}),
        (world.admin, {public.id: 200, internal.id: 200}),
    ]
    for user, codes in expectations:
        client = signed_in(app, user)
        for attachment_id, code in codes.items():
            assert client.get(url % attachment_id).status_code == code, (user.email, attachment_id)
            thumb = client.get((url % attachment_id) + "/miniature")
            assert thumb.status_code == code, (user.email, "thumbnail")
        # Another ticket's attachment under this ticket's reference: never.
        assert client.get(url % elsewhere.id).status_code == 404
        assert client.get(url % 999999).status_code == 404


def test_internal_comment_files_stay_internal(app, world, client, login):
    from app.tickets.service import add_comment

    ticket = world.new_ticket()
    comment = add_comment(world.assistant, ticket.id, "Note interne", internal=True)
    item = store_upload(ticket, upload(png_bytes(), "note.png"), world.assistant, event=comment)
    db.session.commit()
    assert item.internal
    assert item.event_id == comment.id
    login(world.supplier_user)
    assert client.get(f"/demandes/{ticket.reference}/pieces/{item.id}").status_code == 404


def test_missing_bytes_are_a_404(app, world, client, login):
    ticket = world.new_ticket()
    item = _attach(world, ticket, png_bytes(), "photo.png")
    get_storage().delete(item.storage_key)
    login(world.assistant)
    assert client.get(f"/demandes/{ticket.reference}/pieces/{item.id}").status_code == 404
