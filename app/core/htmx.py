"""One place that decides between a whole page and the fragment htmx asked for."""

from __future__ import annotations

from flask import render_template

from app.extensions import htmx


def wants_fragment() -> bool:
    # A boosted link or form also sends HX-Request, but it wants the whole page.
    return bool(htmx) and not htmx.boosted


def render(page: str, fragment: str, **context) -> str:
    """Render `fragment` for an htmx swap, `page` otherwise; `page` includes `fragment`."""
    return render_template(fragment if wants_fragment() else page, **context)
