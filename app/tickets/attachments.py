"""Files attached to a ticket: checked by their content, stored under a random key.

`check_upload` reads an upload (up to the size limit, whatever its headers claim) and decides its
type from its bytes: images (JPEG, PNG, WebP, and HEIC converted to JPEG), PDF, plain text and
office documents without macros. The name the person gave is kept for display only, cleaned,
with the extension of what the file really is. `store_upload` writes the bytes and a thumbnail
for images through app.tickets.storage and adds the Attachment row to the session: the caller
commits, and a transaction that ends without commit removes the files it wrote.

Photos: the thumbnail is drawn upright (EXIF orientation) without any metadata; a JPEG itself
loses its metadata (place, device, time) without being re-encoded, only its orientation kept.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from flask_babel import gettext as _
from PIL import ExifTags, Image, ImageOps
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from app.core.input import clean_text
from app.extensions import db
from app.models import Attachment, Ticket, TicketEvent, User
from app.tickets.errors import TicketError
from app.tickets.storage import Storage, get_storage, new_key, settings

try:  # HEIC photos (iPhones) when pillow-heif is installed
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF = True
except ImportError:  # pragma: no cover - optional
    HEIF = False

THUMBNAIL_SIZE = 480  # pixels, the longer side (sharp at 240 CSS pixels on a phone)
MAX_PIXELS = 120_000_000  # a JPEG is decoded at a reduced scale for its thumbnail
MAX_PIXELS_FULL = 40_000_000  # other images are decoded whole
MAX_FILES = 5  # per form; MAX_CONTENT_LENGTH bounds the whole request
FILENAME_MAX = 120

IMAGE_FORMATS = {
    # Pillow format: (MIME type, extension given when the name has none of these)
    "JPEG": ("image/jpeg", (".jpg", ".jpeg", ".jfif")),
    "PNG": ("image/png", (".png",)),
    "WEBP": ("image/webp", (".webp",)),
}
OFFICE = {
    "word/": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
    ),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "ppt/": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        (".pptx",),
    ),
}
OPENDOCUMENT = {
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
    "application/vnd.oasis.opendocument.presentation": (".odp",),
}
# Text is accepted under these names only: a "photo.jpg" or "setup.bat" that is text is refused.
TEXT_EXTENSIONS = ("", ".txt", ".log", ".csv", ".tsv", ".md", ".ini", ".cfg", ".conf", ".json")
_MARKUP = re.compile(
    rb"<\s*(script|html|svg|iframe|object|embed|body|head|meta|!doctype)|<\?", re.I
)

# What the file picker offers (the server decides by content anyway).
ACCEPT = ",".join(
    [
        "image/jpeg",
        "image/png",
        "image/webp",
        *(["image/heic", "image/heif", ".heic", ".heif"] if HEIF else []),
        "application/pdf",
        "text/plain",
        ".txt",
        ".csv",
        ".docx",
        ".xlsx",
        ".pptx",
        ".odt",
        ".ods",
        ".odp",
    ]
)


class AttachmentError(TicketError):
    """A file that cannot be attached; the message names the file when it has a name."""

    def __init__(self, message: str, *, filename: str = "", field: str | None = "attachments"):
        self.filename = filename
        super().__init__(f"« {filename} » : {message}" if filename else message, field=field)


@dataclass
class Upload:
    """A checked upload, ready to store."""

    filename: str  # cleaned, for display; its extension matches the content
    content_type: str
    data: bytes
    thumbnail: bytes | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


# ------------------------------------------------------------------ checking an upload


def accepted_types_text() -> str:
    return _(
        "images JPEG, PNG, WebP ou HEIC, PDF, texte, documents Word, Excel, PowerPoint ou "
        "OpenDocument sans macros"
    )


def _refused(filename: str) -> AttachmentError:
    return AttachmentError(
        _("Ce type de fichier n’est pas accepté (%(types)s).", types=accepted_types_text()),
        filename=filename,
    )


def uploads_in(files) -> list[FileStorage]:
    """The files a form really carries (a file input left empty sends a nameless part)."""
    return [f for f in files or [] if isinstance(f, FileStorage) and f.filename]


def check_upload(file_storage: FileStorage) -> Upload:
    """Read and check one upload; AttachmentError with a French message when refused."""
    limits = settings()
    name = clean_filename(file_storage.filename or "")
    # The real size: read one byte past the limit rather than trust Content-Length.
    data = file_storage.stream.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise AttachmentError(
            _("Ce fichier dépasse %(mb)s Mo.", mb=limits.max_mb), filename=name or ""
        )
    if not data:
        raise AttachmentError(_("Ce fichier est vide."), filename=name)
    upload = _identify(name, data)
    if upload is None:
        raise _refused(name)
    return upload


def _identify(name: str, data: bytes) -> Upload | None:
    if data.startswith(b"%PDF-"):
        return Upload(_with_extension(name, (".pdf",)), "application/pdf", data)
    if data.startswith(b"PK\x03\x04"):
        return _office(name, data)
    image = _image(name, data)
    if image is not None:
        return image
    return _text(name, data)


def _image(name: str, data: bytes) -> Upload | None:
    formats = [*IMAGE_FORMATS, *(["HEIF"] if HEIF else [])]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=formats)
    except Image.DecompressionBombError as exc:
        raise _too_large(name) from exc
    except Exception:  # not an image Pillow knows among those formats
        return None
    width, height = image.size
    limit = MAX_PIXELS if image.format == "JPEG" else MAX_PIXELS_FULL
    if width * height > limit:
        raise _too_large(name)
    try:
        if image.format == "HEIF":
            # Few computers open HEIC: it becomes an upright JPEG (without its metadata).
            data = _to_jpeg(image)
            image = Image.open(io.BytesIO(data), formats=["JPEG"])
        elif image.format == "JPEG":
            data = strip_jpeg_metadata(data, _orientation(image))
        thumbnail = make_thumbnail(image)
    except AttachmentError:
        raise
    except Exception as exc:  # truncated or damaged
        raise AttachmentError(_("Cette image est illisible ou abîmée."), filename=name) from exc
    content_type, extensions = IMAGE_FORMATS[image.format]
    return Upload(_with_extension(name, extensions), content_type, data, thumbnail)


def _too_large(name: str) -> AttachmentError:
    return AttachmentError(
        _("Cette image est trop grande : réduisez-la avant de l’envoyer."), filename=name
    )


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:
        return 1


def _to_jpeg(image: Image.Image) -> bytes:
    upright = ImageOps.exif_transpose(image).convert("RGB")
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=90, optimize=True)
    return out.getvalue()


def make_thumbnail(image: Image.Image) -> bytes:
    """A small upright copy without metadata: JPEG, or PNG when the image has transparency."""
    if image.format == "JPEG":
        # Decode at 1/2, 1/4 or 1/8 scale: a 48-megapixel photo stays quick and small in memory.
        image.draft("RGB", (THUMBNAIL_SIZE * 2, THUMBNAIL_SIZE * 2))
    if getattr(image, "is_animated", False):
        image.seek(0)
    upright = ImageOps.exif_transpose(image)
    upright.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    out = io.BytesIO()
    if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
        upright.convert("RGBA").save(out, "PNG", optimize=True)
    else:
        upright.convert("RGB").save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()


def _office(name: str, data: bytes) -> Upload | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        return None
    lowered = [n.lower() for n in names]
    if any(n.endswith("vbaproject.bin") or n.startswith(("basic/", "scripts/")) for n in lowered):
        return None  # macros
    if "mimetype" in names and archive.getinfo("mimetype").file_size < 100:
        mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
        if mimetype in OPENDOCUMENT:
            return Upload(_with_extension(name, OPENDOCUMENT[mimetype]), mimetype, data)
        return None
    if "[Content_Types].xml" in names:
        for prefix, (mimetype, extensions) in OFFICE.items():
            if any(n.startswith(prefix) for n in names):
                return Upload(_with_extension(name, extensions), mimetype, data)
    return None


def _text(name: str, data: bytes) -> Upload | None:
    if b"\x00" in data or PurePosixPath(name.lower()).suffix not in TEXT_EXTENSIONS:
        return None
    text, charset = _decode(data)
    if text is None:
        return None
    if any(ord(c) < 32 and c not in "\t\n\r\f" for c in text):
        return None
    head = data[:65536].lstrip()
    if head.startswith((b"<", b"#!", b"\xef\xbb\xbf<")) or _MARKUP.search(head):
        return None  # a web page, an SVG or a script: never served, even as a download
    return Upload(
        _with_extension(name, (".txt", *TEXT_EXTENSIONS[1:])),
        f"text/plain; charset={charset}",
        data,
    )


def _decode(data: bytes) -> tuple[str | None, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"  # Notepad's "ANSI"
    except UnicodeDecodeError:
        return None, ""


# ------------------------------------------------------------------ JPEG metadata


_KEEP_APP = {0xE0, 0xEE}  # JFIF; Adobe (its colour transform matters)


def strip_jpeg_metadata(data: bytes, orientation: int = 1) -> bytes:
    """The same JPEG, byte for byte in its image data, without EXIF, XMP, IPTC or comments, and
    without what follows its end (a phone's extra pictures); only the ICC colour profile and,
    when the picture must be turned, a minimal EXIF with its orientation are kept."""
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG")
    out = bytearray(b"\xff\xd8")
    if orientation != 1:
        exif = Image.Exif()
        exif[ExifTags.Base.Orientation] = orientation
        payload = exif.tobytes()
        out += b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    i, n = 2, len(data)
    while i < n:
        if data[i] != 0xFF:
            raise ValueError("JPEG marker expected")
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        marker = data[i]
        i += 1
        if marker == 0xD9:  # end of image: drop whatever trails
            out += b"\xff\xd9"
            return bytes(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out += bytes((0xFF, marker))
            continue
        length = int.from_bytes(data[i : i + 2], "big")
        segment = data[i : i + length]
        i += length
        keep = (
            marker in _KEEP_APP
            or (marker == 0xE2 and segment[2:14] == b"ICC_PROFILE\x00")
            or not (0xE0 <= marker <= 0xEF or marker == 0xFE)
        )
        if keep:
            out += bytes((0xFF, marker)) + segment
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            start = i
            while i < n - 1:
                if data[i] == 0xFF and data[i + 1] != 0x00 and not 0xD0 <= data[i + 1] <= 0xD7:
                    break
                i += 1
            else:
                i = n
            out += data[start:i]
    return bytes(out)  # no end marker: left as it came (Pillow read it all the same)


# ------------------------------------------------------------------ names


# Reserved on Windows (control characters are gone with the input layer's clean_text).
_UNSAFE = re.compile(r'[<>:"/\\|?*]+')


def clean_filename(raw: str) -> str:
    """A name to show and to offer on download: no path, no control or reserved characters,
    no bidirectional control (« facture + U+202E + gpj.pdf » reads « facturefdp.jpg »), accents
    kept (NFC), at most FILENAME_MAX characters with its extension."""
    name = PureWindowsPath(PurePosixPath(raw or "").name).name  # "C:\\x\\photo.jpg" → photo.jpg
    name = clean_text(name, multiline=False)
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" ._")
    if not name:
        return ""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > 10:
        stem, ext = name, ""
    room = FILENAME_MAX - (len(ext) + 1 if ext else 0)
    stem = stem[:room].rstrip(" ._") or "fichier"
    return f"{stem}.{ext}" if ext else stem


def _with_extension(name: str, extensions: tuple[str, ...]) -> str:
    """`name` with an extension of what the file is ("scan.pdf" holding a PNG → "scan.png")."""
    name = name or _("fichier")
    path = PurePosixPath(name)
    if path.suffix.lower() in extensions:
        return name
    stem = path.stem if path.suffix and len(path.suffix) <= 11 else name
    return stem[: FILENAME_MAX - len(extensions[0])] + extensions[0]


# ------------------------------------------------------------------ storing


def store_upload(
    ticket: Ticket,
    file_storage: FileStorage | Upload,
    user: User | None,
    *,
    internal: bool = False,
    event: TicketEvent | None = None,
) -> Attachment:
    """Check (unless already checked) and store one upload; the Attachment row is added to the
    session and the caller commits. Raises AttachmentError before writing anything."""
    upload = file_storage if isinstance(file_storage, Upload) else check_upload(file_storage)
    storage = get_storage()
    key = new_key()
    _write(storage, key, upload.data)
    thumbnail_key = None
    if upload.thumbnail is not None:
        thumbnail_key = new_key()
        _write(storage, thumbnail_key, upload.thumbnail)
    if event is not None and event.id is None:
        db.session.flush()
    attachment = Attachment(
        ticket=ticket,
        event_id=event.id if event is not None else None,
        uploaded_by=user,
        filename=upload.filename,
        storage_key=key,
        content_type=upload.content_type,
        size=upload.size,
        thumbnail_key=thumbnail_key,
        internal=internal or bool(event is not None and event.internal),
    )
    db.session.add(attachment)
    return attachment


def thumbnail_type(data_start: bytes) -> str:
    return "image/png" if data_start.startswith(b"\x89PNG") else "image/jpeg"


# Files written in a transaction that ends without a commit are removed: a refused ticket or a
# failed commit leaves no orphan behind.
_PENDING = "relais.attachments.pending"


def _write(storage: Storage, key: str, data: bytes) -> None:
    storage.save(key, data)
    db.session().info.setdefault(_PENDING, []).append((storage, key))


@sa_event.listens_for(Session, "after_commit")
def _files_kept(session: Session) -> None:
    session.info.pop(_PENDING, None)


@sa_event.listens_for(Session, "after_transaction_end")
def _files_dropped(session: Session, transaction) -> None:
    if transaction.nested or transaction.parent is not None:
        return
    for storage, key in session.info.pop(_PENDING, ()):
        storage.delete(key)
