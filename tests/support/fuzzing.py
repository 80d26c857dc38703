"""The fuzz harness: what each route reads, found without a hand list; hostile values; figures.

What a route reads comes from two sources, so that a new field or parameter cannot be forgotten:
- the pages themselves: every page each persona may open is rendered and its forms, links and
  htmx attributes are read as a browser would (names, hidden values, options, enctype);
- the views: during that walk (and one bare POST per form route) the query and body mappings note
  every name the view asks for (`RecordingRequest`), which finds parameters no page shows.
"""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import traceback
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit

from flask import has_request_context, request
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import Integer, event, text
from werkzeug.datastructures import FileStorage, MultiDict

from app.core import errors as app_errors
from app.core.input import CleanMultiDict, CleanRequest

# ------------------------------------------------------------------ what the views read

_reads: set[tuple[str, str, str, str]] | None = None


class _RecordingDict(CleanMultiDict):
    """The query string and the form body as the app parses them (cleaned by its input layer),
    noting each name a view asks for while recording."""

    def _note(self, key) -> None:
        if _reads is not None and has_request_context() and request.endpoint:
            where = "query" if request.__dict__.get("args") is self else "body"
            _reads.add((request.endpoint, request.method, where, str(key)))

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def get(self, key, default=None, type=None):
        self._note(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        self._note(key)
        return super().getlist(key, type)


class RecordingRequest(CleanRequest):
    parameter_storage_class = _RecordingDict


class recording:
    """`with recording() as reads:` collects (endpoint, method, "query"|"body", name)."""

    def __enter__(self):
        global _reads
        _reads = set()
        return _reads

    def __exit__(self, *exc):
        global _reads
        _reads = None


# ------------------------------------------------------------------ what the pages show


@dataclass
class Input:
    name: str
    kind: str  # the input's type, or "select", "textarea", "button"
    values: list[str]  # what a person may send; the first is what the fuzz sends for them
    sent: bool = True  # an unchecked box or an unpressed button is not sent


@dataclass
class Target:
    """One request a page can make: a form, an htmx attribute or a link."""

    method: str
    url: str
    inputs: list[Input]
    multipart: bool = False


class PageParser(HTMLParser):
    def __init__(self, url: str):
        super().__init__(convert_charrefs=True)
        self.url = url
        self.targets: list[Target] = []
        self.links: list[str] = []
        self._form: dict | None = None
        self._select: Input | None = None
        self._option: dict | None = None
        self._textarea: Input | None = None
        self._selected = False
        self._by_id: dict[str, Input] = {}
        self._hx: list[tuple[str, str, list[Input], dict | None, str]] = []

    def _add(self, item: Input, attrs: dict) -> None:
        if attrs.get("id"):
            self._by_id[attrs["id"]] = item
        if self._form is None:
            return
        inputs = self._form["inputs"]
        same = next((i for i in inputs if i.name == item.name and i.kind == item.kind), None)
        if same is not None and item.kind in ("radio", "checkbox"):
            same.values = item.values + same.values if item.sent else same.values + item.values
            same.sent = same.sent or item.sent
        else:
            inputs.append(item)

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        name = a.get("name")
        item = None
        if tag == "form":
            self._form = {
                "action": a.get("action") or self.url,
                "method": (a.get("method") or "get").upper(),
                "multipart": "multipart" in a.get("enctype", ""),
                "inputs": [],
            }
        elif tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                item = Input(name, kind, [a.get("value", "on")], sent="checked" in a)
            elif kind in ("submit", "image", "reset"):
                item = Input(name, "button", [a.get("value", "")], sent=False)
            else:
                item = Input(name, kind, [a.get("value", "")])
        elif tag == "select" and name:
            item = self._select = Input(name, "select", [])
            self._selected = False
        elif tag == "option" and self._select is not None:
            self._end_option()
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
        elif tag == "textarea" and name:
            item = self._textarea = Input(name, "textarea", [""])
        elif tag == "button" and name:
            item = Input(name, "button", [a.get("value", "")], sent=False)
        elif tag in ("a", "iframe", "link"):
            href = a.get("href") or a.get("src")
            if href:
                self.links.append(urljoin(self.url, href))
        if item is not None:
            self._add(item, a)
        for verb in ("get", "post", "put", "patch", "delete"):
            url = a.get(f"hx-{verb}")
            if url is not None:
                own = [item] if item is not None else []
                form = self._form if tag != "form" else None
                self._hx.append((verb.upper(), url or self.url, own, form, a.get("hx-include", "")))

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea.values[0] += data

    def _end_option(self):
        if self._option is None or self._select is None:
            return
        value = self._option["value"]
        value = value if value is not None else self._option["text"].strip()
        if self._option["selected"]:
            self._select.values.insert(0, value)
            self._selected = True
        else:
            self._select.values.append(value)
        self._option = None

    def handle_endtag(self, tag):
        if tag == "option":
            self._end_option()
        elif tag == "select":
            self._end_option()
            if self._select is not None:
                values = self._select.values or [""]
                if not self._selected:  # a person picks an option, not the « — Choisir — »
                    values.sort(key=lambda v: v in ("", "0"))
                self._select.values = values
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # The parser keeps the line break that follows <textarea>; a browser drops it.
            value = self._textarea.values[0]
            self._textarea.values[0] = value.removeprefix("\r").removeprefix("\n")
            self._textarea = None
        elif tag == "form" and self._form is not None:
            form = self._form
            self.targets.append(
                Target(
                    form["method"],
                    urljoin(self.url, form["action"]),
                    form["inputs"],
                    form["multipart"],
                )
            )
            self._form = None

    def close(self):
        super().close()
        for method, url, own, form, include in self._hx:
            # As htmx: a GET sends the element's own value, another method its form's too.
            inputs = list(own) + (list(form["inputs"]) if form and method != "GET" else [])
            for selector in include.split(","):
                selector = selector.strip()
                if selector.startswith("#") and selector[1:] in self._by_id:
                    inputs.append(self._by_id[selector[1:]])
            multipart = bool(form and form["multipart"])
            self.targets.append(Target(method, urljoin(self.url, url), inputs, multipart))
        for link in self.links:
            query = urlsplit(link).query
            inputs = [Input(k, "link", [v]) for k, v in parse_qsl(query, keep_blank_values=True)]
            self.targets.append(Target("GET", link, inputs))


def parse_page(url: str, html: str) -> PageParser:
    parser = PageParser(url)
    parser.feed(html)
    parser.close()
    return parser


# ------------------------------------------------------------------ hostile values


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()
LONG = 100_000

# Each class of hostile text, by the name the failures report.
TEXT: dict[str, st.SearchStrategy[str]] = {
    # « ² » sits next to « 1 » on a Belgian keyboard; other scripts' digits; circled, fullwidth.
    "unicode digits": st.one_of(
        st.sampled_from(["²", "³", "¹", "٣", "①", "１２", "߃", "𝟙", "12²", "²0", "٣٤٥", "081²"]),
        st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=8),
    ),
    "huge integer": st.one_of(
        st.sampled_from(
            [
                str(2**31),
                str(2**32),
                str(2**63),
                str(2**64),
                "9" * 20,
                "1" + "0" * 25,
                "32471234567",  # a pasted phone number
                str(-(2**31) - 1),
                "-" + "9" * 20,
                "0" * 30 + "1",
            ]
        ),
        st.integers(2**31, 10**40).map(str),
    ),
    "NUL": st.sampled_from(["\x00", "a\x00b", "\x00\x00\x00", "12\x00", "TECH-1\x00", "\x00@x.be"]),
    "control characters": st.text(
        st.characters(categories=["Cc"], exclude_characters="\t\n\r\x00"), min_size=1, max_size=4
    ).map(lambda s: f"a{s}b"),
    "CR/LF": st.sampled_from(
        ["\r\n", "\n", "\r", "Objet\r\nBcc: x@example.com", "ligne 1\nligne 2", "\u2028", "\x85"]
    ),
    "bidi controls": st.sampled_from(
        ["\u202e", "facture\u202efdp.jpg", "\u2066abc\u2069", "\u200f", "\u061c", "a\u202db"]
    ),
    "very long": st.sampled_from(
        ["x" * LONG, "9" * LONG, "é" * (LONG // 2), "mot " * (LONG // 4), "²" * (LONG // 2)]
    ),
    "empty": st.just(""),
    "blank": st.sampled_from([" ", "   ", "\t", "\u00a0", "\u3000", "\u200b", "\ufeff"]),
    "odd dates and times": st.sampled_from(
        [
            "9999-12-31",
            "0001-01-01",
            "10000-01-01",
            "2026-02-30",
            "2026-13-01",
            "31/12/9999",
            "0000-00-00",
            "24:00",
            "23:59:60",
            "99:99",
        ]
    ),
    "odd numbers": st.sampled_from(
        ["-1", "0", "1.5", "1e3", "+1", " 1 ", "0x1F", "NaN", "inf", "1_000", "-0"]
    ),
    "any text": st.text(max_size=40),
}
# Only where the harness encodes the body itself (query strings, urlencoded forms).
RAW_BYTES = st.sampled_from([b"\xff", b"caf\xe9", b"\xc3(", b"\xed\xa0\x80"])


def _file(content: bytes, filename: str, content_type: str = "application/octet-stream"):
    return FileStorage(io.BytesIO(content), filename=filename, content_type=content_type)


# What goes in a file input: a real image, something else, odd names, text instead of a file.
ODD_FILE_NAMES = ["x\x00.png", "facture\u202efdp.jpg", "../../etc/passwd", "a" * 300 + ".png", ""]
FILES: dict[str, object] = {
    "small PNG": lambda name="photo.png": [_file(PNG, name, "image/png")],
    "not an image": lambda name="photo.png": [_file(b"%PDF-1.4 nope", name, "image/png")],
    "odd file name": lambda name=ODD_FILE_NAMES[0]: [_file(PNG, name, "image/png")],
    "empty file": lambda name="vide.png": [_file(b"", name, "image/png")],
    "too many files": lambda name="p.png": [
        _file(PNG, f"{i}{name}", "image/png") for i in range(7)
    ],
    "text instead of a file": lambda name="photo.png": [name],
}
FILE_NAMES = st.sampled_from(["photo.png", "note.txt", *ODD_FILE_NAMES])

# Ids in the address (<int:…>): beyond the column's range, other scripts' digits.
PATH_INTS = st.one_of(
    st.sampled_from(
        [str(2**31), str(2**31 + 1), str(2**63), str(2**64), "9" * 20, "9" * 40, "0", "٣", "１"]
    ),
    st.integers(2**31, 10**30).map(str),
)

# The sweep: each field meets one value of each class alone, the others as the page fills them
# (hypothesis then mixes classes, fields, people and encodings).
SWEEP = [
    ("unicode digits", "12²"),  # « ² » is next to « 1 »; alone, it is too short for a search
    ("huge integer", str(2**31)),
    ("huge integer", "9" * 20),
    ("NUL", "a\x00b"),
    ("control characters", "a\x1bb"),
    ("CR/LF", "a\r\nBcc: x@example.com"),
    ("bidi controls", "facture\u202efdp.jpg"),
    ("very long", "x" * LONG),
    ("empty", ""),
]
PATH_SWEEP_INTS = [str(2**31), str(2**63), "9" * 20, "٣"]
PATH_SWEEP_TEXT = [
    ("NUL", "\x00"),
    ("NUL", "TECH-1\x00"),
    ("unicode digits", "²"),
    ("CR/LF", "a\r\nb"),
    ("bidi controls", "\u202e"),
    ("very long", "x" * LONG),
]


# ------------------------------------------------------------------ figures


@dataclass
class Failure:
    """One place of the app that answered 500, with what was sent there (the first few)."""

    endpoint: str
    method: str
    error: str  # the exception, where the app raised it
    sent: list[str] = field(default_factory=list)  # « as persona [field=class, …] »
    count: int = 0

    def add(self, persona: str, what: str) -> None:
        self.count += 1
        line = f"as {persona} [{what}]"
        if line not in self.sent and len(self.sent) < 6:
            self.sent.append(line)

    def __str__(self) -> str:
        sent = "\n      ".join(self.sent)
        return f"{self.method} {self.endpoint} ×{self.count}: {self.error}\n      {sent}"


@dataclass
class Figures:
    statuses: Counter = field(default_factory=Counter)
    failures: dict[tuple, Failure] = field(default_factory=dict)

    def as_json(self, group: str, seconds: float, cpu: float) -> str:
        return json.dumps(
            {"group": group, "statuses": dict(self.statuses), "seconds": seconds, "cpu": cpu}
        )


def summary_line(label: str, statuses: Counter, took: tuple[float, float] | None = None) -> str:
    """« fuzz: N requests, 200: a, 302: b, …, ≥500: 0 » (and for one group its time)."""
    ok = sorted((int(code), n) for code, n in statuses.items() if int(code) < 500)
    errors = sum(n for code, n in statuses.items() if int(code) >= 500)
    parts = [f"{code}: {n}" for code, n in ok] + [f"≥500: {errors}"]
    when = f" in {took[0]:.0f} s ({took[1]:.0f} s CPU)" if took else ""
    return f"{label}: {sum(statuses.values())} requests{when}, " + ", ".join(parts)


class ErrorLog(logging.Handler):
    """Keeps the exceptions the app's 500 handler logs, to say where each 500 came from."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        if record.exc_info:
            self.records.append(record)

    @contextmanager
    def capture(self):
        # Each distinct 500 is listed once at the end: not thousands of tracebacks in the log.
        logger = app_errors.log
        logger.addHandler(self)
        logger.propagate = False
        try:
            yield self
        finally:
            logger.removeHandler(self)
            logger.propagate = True


APP_ROOT = str(Path(__file__).resolve().parents[2] / "app")


def describe(exc: BaseException) -> str:
    """The exception in one line, and the deepest frame of the app it went through."""
    where = "?"
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(APP_ROOT):
            where = f"app{frame.filename[len(APP_ROOT) :]}:{frame.lineno} {frame.name}"
    message = str(exc).split("[SQL:")[0].split("(raised as a result of")[-1]
    message = " ".join(message.split())[:160]
    return f"{type(exc).__module__}.{type(exc).__qualname__}: {message} at {where}"


# ------------------------------------------------------------------ encoding a request


def encode_query(pairs: list[tuple[str, str | bytes]]) -> str:
    return urlencode([(k, v) for k, v in pairs])


def encode_segment(value: str, *, path: bool = False) -> str:
    return quote(value, safe="/" if path else "")


def multipart_body(pairs: list[tuple[str, object]]) -> MultiDict:
    data = MultiDict()
    for key, value in pairs:
        if isinstance(value, bytes):
            value = _file(value, "brut.bin")
        data.add(key, value)
    return data


# ------------------------------------------------------------------ the world, back as it was


class Snapshot:
    """Every row of the database and the files of some folders, put back as they were: the fuzz
    deletes, cancels and closes, and each route's turn should find the world the pages showed
    (same ids, same versions, same tokens, same sessions). Only the tables written since the last
    restore are rewritten (a statement listener notes them): a restore costs milliseconds."""

    WRITE = re.compile(r'^\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE)

    def __init__(self, db, folders: list[Path], keep: Path):
        self.db, self.keep = db, keep
        self.tables = list(db.metadata.sorted_tables)
        with db.engine.connect() as conn:
            self.rows = {
                t.name: [dict(r._mapping) for r in conn.execute(t.select())] for t in self.tables
            }
        shutil.rmtree(keep, ignore_errors=True)
        self.files = []  # per folder, the names it held: files are written once, never changed
        for i, folder in enumerate(folders):
            self.files.append(_names(folder))
            if folder.exists():
                shutil.copytree(folder, keep / str(i))
        self.written: set[str] = set()

    def _note(self, conn, cursor, statement, parameters, context, executemany):
        match = self.WRITE.match(statement)
        if match:
            self.written.add(match.group(1))

    @contextmanager
    def watching(self, engine):
        event.listen(engine, "before_cursor_execute", self._note)
        try:
            yield self
        finally:
            event.remove(engine, "before_cursor_execute", self._note)

    def restore(self, folders: list[Path], *, everything: bool = False) -> None:
        """Into the current app's database and these folders (the same kinds, in that order);
        `everything` for a database that may not hold the rows at all."""
        db = self.db
        db.session.remove()
        tables = [t for t in self.tables if everything or t.name in self.written]
        postgres = db.engine.dialect.name == "postgresql"
        with db.engine.begin() as conn:
            if postgres:
                # Rows go back in table order; a row may name a later one of its own table.
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in reversed(tables):
                conn.execute(table.delete())  # a few rows: quicker than TRUNCATE
            for table in tables:
                if self.rows[table.name]:
                    conn.execute(table.insert(), self.rows[table.name])
            if postgres:  # the sequences go on after the restored ids
                for table in tables:
                    key = list(table.primary_key.columns)
                    if len(key) == 1 and isinstance(key[0].type, Integer):
                        top = f'SELECT COALESCE(MAX("{key[0].name}"), 0) + 1 FROM "{table.name}"'
                        conn.execute(
                            text(f"SELECT setval(pg_get_serial_sequence(:t, :c), ({top}), false)"),
                            {"t": table.name, "c": key[0].name},
                        )
        self.written = set()
        for i, folder in enumerate(folders):
            now = _names(folder)
            for name in now - self.files[i]:
                (folder / name).unlink()
            for name in self.files[i] - now:
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(self.keep / str(i) / name, folder / name)


def _names(folder: Path) -> set[str]:
    if not folder.exists():
        return set()
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
