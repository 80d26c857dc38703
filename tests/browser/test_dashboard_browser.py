"""The dashboard in real Chromium at a phone size and a desktop size, with screenshots.

The screenshots land in the test's output folder (printed), or in RELAIS_SCREENSHOTS if set.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.dashboard.test_dashboard import build_handmade
from tests.support.browser import PHONE
from tests.support.web import sign_in

pytestmark = pytest.mark.browser

SIZES = {
    "phone": PHONE,
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}


@pytest.fixture
def handmade(world):
    """The shared world with the dashboard tests' month of tickets and clocks."""
    build_handmade(world)
    return world


@pytest.mark.parametrize("size", SIZES)
def test_dashboard_fits_and_reads_at_each_size(live_server, browser, handmade, tmp_path, size):
    out = Path(os.environ.get("RELAIS_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(locale="fr-BE", timezone_id="Europe/Brussels", **SIZES[size])
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, handmade.coordinator, base=live_server.url)
        page.goto(f"{live_server.url}/suivi/?du=2026-03-01&au=2026-03-31")
        page.get_by_role("heading", name="Suivi des fournisseurs").wait_for()
        # Four charts, each an image with a name, and nothing wider than the screen.
        charts = page.get_by_role("img", name="Part des demandes dans les délais")
        assert charts.count() == 1
        assert page.locator("svg.chart").count() == 4
        box = page.locator("svg.chart").first.bounding_box()
        assert box["width"] > 200
        assert page.evaluate("document.documentElement.scrollWidth <= screen.width")
        shot = out / f"dashboard-{size}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
        assert shot.stat().st_size > 10_000

        page.get_by_role("link", name="Meuse Informatique").first.click()
        page.get_by_role("heading", name="Fiche de Meuse Informatique").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth <= screen.width")
        page.screenshot(path=str(out / f"scorecard-{size}.png"), full_page=True)
    finally:
        context.close()
