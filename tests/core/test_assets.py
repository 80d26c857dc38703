"""Static files served like a product: fingerprinted names, a year of caching, gzip and brotli."""

from __future__ import annotations

import gzip
import re
import threading
import time

import brotli
import pytest

from app.config import PROJECT_ROOT
from app.core import assets

ASSET_URL = re.compile(r'(?:href|src)="(/static/[^"]+)"')
FINGERPRINTED = re.compile(r"^/static/[\w.-]+\.[0-9a-f]{12}\.(css|js|svg)$")


def _asset_urls(html: str) -> list[str]:
    return ASSET_URL.findall(html)


def _source(url: str) -> bytes:
    """The file of static/ a fingerprinted URL stands for."""
    name = re.sub(r"\.[0-9a-f]{12}(\.[^.]+)$", r"\1", url.removeprefix("/static/"))
    return (PROJECT_ROOT / "static" / name).read_bytes()


def test_pages_name_their_assets_by_content_and_browsers_keep_them_a_year(client):
    urls = _asset_urls(client.get("/connexion").get_data(as_text=True))
    assert len(urls) == 3  # the style sheet, the icon, htmx
    for url in urls:
        assert FINGERPRINTED.match(url), url
        response = client.get(url)
        assert response.status_code == 200
        assert response.data == _source(url)
        assert response.headers["Cache-Control"] == "max-age=31536000, public, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_assets_are_compressed_when_the_browser_asks(client):
    css = next(
        u for u in _asset_urls(client.get("/connexion").get_data(as_text=True)) if ".css" in u
    )
    source = _source(css)

    both = client.get(css, headers={"Accept-Encoding": "gzip, br"})
    assert both.headers["Content-Encoding"] == "br"
    assert brotli.decompress(both.data) == source
    assert len(both.data) < len(source) / 3
    assert "Accept-Encoding" in both.headers["Vary"]

    only_gzip = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert only_gzip.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(only_gzip.data) == source

    plain = client.get(css)
    assert "Content-Encoding" not in plain.headers
    assert plain.data == source


def test_pages_are_compressed_when_the_browser_asks(client):
    for encoding, decompress in (("br", brotli.decompress), ("gzip", gzip.decompress)):
        response = client.get("/connexion", headers={"Accept-Encoding": encoding})
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
        assert b"<title>" in decompress(response.data)
        assert response.headers["Cache-Control"] == "no-store"  # still never kept in a cache


def test_the_build_follows_the_sources_and_old_names_stay_for_open_pages(tmp_path):
    source, target = tmp_path / "static", tmp_path / "build"
    source.mkdir()
    (source / "site.css").write_text("body { color: red }")
    first = assets.build(source, target)["site.css"]
    assert assets.build(source, target)["site.css"] == first  # up to date: nothing to do
    (source / "site.css").write_text("body { color: blue }")
    second = assets.build(source, target)["site.css"]
    assert second != first
    # A page served before the change still finds what it names.
    assert (target / first).read_text() == "body { color: red }"
    assert (target / second).read_text() == "body { color: blue }"
    assert (target / "site.css").read_text() == "body { color: blue }"


class _Recorder:
    """WSGI middleware noting each request's path and the bytes of its answer."""

    def __init__(self, app):
        self.app = app
        self.seen: list[tuple[str, int]] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]

        def _start(status, headers, exc_info=None):
            size = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
            with self.lock:
                self.seen.append((path, size))
            return start_response(status, headers, exc_info)

        return self.app(environ, _start)

    def take(self) -> list[tuple[str, int]]:
        with self.lock:
            seen, self.seen = self.seen, []
        return seen


@pytest.mark.browser
def test_in_chromium_the_next_page_downloads_nothing_but_its_html(app, browser):
    from werkzeug.serving import make_server

    recorder = _Recorder(app)
    server = make_server("127.0.0.1", 0, recorder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    context = browser.new_context(locale="fr-BE")
    try:
        page = context.new_page()
        base = f"http://127.0.0.1:{server.server_port}"
        page.goto(f"{base}/connexion", wait_until="load")
        # Chromium asks for the icon after the load event: wait for it (ceiling 10 s).
        deadline = time.monotonic() + 10
        while not any("favicon" in p for p, _ in recorder.seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        first = recorder.take()
        assert sorted(p.split(".")[0] for p, _ in first) == [
            "/connexion",
            "/static/favicon",
            "/static/htmx-2",
            "/static/relais",
        ]
        page.goto(f"{base}/confidentialite", wait_until="load")
        second = recorder.take()
        assert [p for p, _ in second] == ["/confidentialite"], second
        # The figures docs/benchmarks.md quotes (pytest -s shows them).
        print(
            f"\nfirst load: {sum(n for _, n in first)} bytes in {len(first)} answers; "
            f"next page: {sum(n for _, n in second)} bytes in {len(second)} answer"
        )
    finally:
        context.close()
        server.shutdown()
        thread.join(timeout=5)
