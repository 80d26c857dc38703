"""Static files served like a product: fingerprinted names, gzip and brotli, cached for a year.

`build()` copies each file of static/ to `name.<hash>.ext` beside its original in the build
folder, writes `manifest.json` (original name -> fingerprinted name) and pre-compresses every
copy with WhiteNoise's compressor. WhiteNoise then serves that folder under /static/: the
compressed variant the browser accepts, and `immutable` far-future caching for fingerprinted
names (a change of content is a change of name, so a browser never has to ask again).
`url_for('static', filename=…)` answers the fingerprinted name, templates stay as they are.

The app builds at start-up when the folder is missing or stale (a few files: milliseconds when
up to date), so `make run`, the tests and a fresh clone need no step of their own;
`flask assets build` does the same ahead of a deployment.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

MANIFEST = "manifest.json"
HASH_LENGTH = 12
# name.0123456789ab.ext: what build() writes, the only names cached for good.
FINGERPRINTED = re.compile(rf"\.[0-9a-f]{{{HASH_LENGTH}}}\.[^./]+$")
ONE_YEAR = 365 * 24 * 60 * 60


class StaticFiles(WhiteNoise):
    FOREVER = ONE_YEAR  # a year is what RFC 9111 caches honour; WhiteNoise's default says 10


def fingerprinted_name(name: str, data: bytes) -> str:
    stem, dot, ext = name.rpartition(".")
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    return f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"


def _sources(source: Path) -> dict[str, Path]:
    return {
        p.relative_to(source).as_posix(): p
        for p in sorted(source.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def build(source: Path, target: Path) -> dict[str, str]:
    """Bring `target` up to date with `source`; returns the manifest. Safe to run concurrently.

    Every file lands by `os.replace` from a private temporary folder, so gunicorn workers (or
    test processes) starting together never serve or read a half-written file.
    """
    manifest = {}
    missing = {}
    for name, path in _sources(source).items():
        data = path.read_bytes()
        hashed = fingerprinted_name(name, data)
        manifest[name] = hashed
        original = target / name
        if not (target / hashed).exists() or not _same(original, data):
            missing[name] = (hashed, data)
    if not missing and _read_manifest(target) == manifest:
        return manifest
    target.mkdir(parents=True, exist_ok=True)
    # Beside the folder, not in it: WhiteNoise lists the folder and must never see a staging file.
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}-build-") as tmp:
        staging = Path(tmp)
        compressor = Compressor(quiet=True)
        written = []
        for name, (hashed, data) in missing.items():
            for out_name in (name, hashed):
                out = staging / out_name
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(data)
                written.append(out)
                written.extend(Path(p) for p in compressor.compress(str(out)))
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        written.append(staging / MANIFEST)
        for path in written:
            final = target / path.relative_to(staging)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, final)
    return manifest


def _same(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except FileNotFoundError:
        return False


def _read_manifest(target: Path) -> dict[str, str] | None:
    try:
        return json.loads((target / MANIFEST).read_text())
    except (FileNotFoundError, ValueError):
        return None


def _add_headers(headers, path: str, url: str) -> None:
    headers["X-Content-Type-Options"] = "nosniff"


def register(app: Flask) -> None:
    """Build the folder, serve it through WhiteNoise, point url_for('static') at the new names."""
    source = Path(app.static_folder or "")
    target = Path(app.config["RELAIS_STATIC_BUILD_DIR"])
    manifest = build(source, target)
    app.extensions["relais_assets"] = manifest
    app.wsgi_app = StaticFiles(  # type: ignore[method-assign]
        app.wsgi_app,
        root=str(target),
        prefix=app.static_url_path,
        immutable_file_test=lambda path, url: bool(FINGERPRINTED.search(url)),
        add_headers_function=_add_headers,
    )

    @app.url_defaults
    def _fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = manifest.get(values["filename"], values["filename"])

    app.cli.add_command(assets_cli)


assets_cli = AppGroup("assets", help="Les fichiers statiques (empreintes, compression).")


@assets_cli.command("build")
def build_command() -> None:
    """Fingerprint and compress static/ into the build folder (the app also does it at start)."""
    target = Path(current_app.config["RELAIS_STATIC_BUILD_DIR"])
    manifest = build(Path(current_app.static_folder or ""), target)
    click.echo(f"{len(manifest)} fichiers dans {target}")
