"""The base layout, error pages, dates, headers and htmx conventions every page shares."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from app.core.filters import date_fr, datetime_fr
from app.extensions import db
from tests.support import factories


def test_dates_are_belgian_french_in_brussels_time(app):
    with app.test_request_context():
        # 10:15 UTC is 12:15 in Brussels in summer (CEST), as in the current portal's example.
        assert datetime_fr(datetime(2021, 8, 20, 10, 15, tzinfo=UTC)) == "20 août 2021 à 12:15"
        # In winter Brussels is UTC+1.
        assert datetime_fr(datetime(2021, 12, 1, 23, 30, tzinfo=UTC)) == "2 décembre 2021 à 00:30"
        assert date_fr(datetime(2021, 8, 20, 10, 15, tzinfo=UTC)) == "20 août 2021"


def test_404_uses_the_layout_in_french(client):
    response = client.get("/cette-page-n-existe-pas")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page introuvable" in html
    assert 'class="topbar"' in html


def test_500_is_a_french_page_and_rolls_back(make_app):
    app = make_app()

    @app.route("/boom")
    def boom():
        raise RuntimeError("kaboom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Erreur interne" in response.get_data(as_text=True)
    assert "kaboom" not in response.get_data(as_text=True)


def test_security_headers_and_vary(client):
    response = client.get("/connexion")
    assert "HX-Request" in response.headers["Vary"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_htmx_is_pinned_and_local(client):
    html = client.get("/connexion").get_data(as_text=True)
    script = re.search(r'<script src="(/static/htmx-2\.0\.11\.min\.[0-9a-f]{12}\.js)" defer>', html)
    assert script, "htmx, from static/ under its fingerprinted name"
    assert 'hx-boost="true"' in html
    assert "X-CSRFToken" in html
    js = client.get(script.group(1))
    assert js.status_code == 200
    assert b'version:"2.0.11"' in js.data


def test_no_inline_script_or_style(client, login):
    # The CSP forbids both; a page that used them would silently break.
    user = factories.user()
    db.session.commit()
    login(user)
    for path in ("/", "/connexion", "/confidentialite", "/avis-legal"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html
        assert " style=" not in html
        assert " onclick=" not in html


def test_menu_is_per_role(client, login):
    teacher = factories.user("teacher")
    db.session.commit()
    login(teacher)
    html = client.get("/").get_data(as_text=True)
    assert "Écoles" not in html
    assert "Se déconnecter" in html


def test_health(client):
    response = client.get("/sante")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
