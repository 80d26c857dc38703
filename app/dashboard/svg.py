"""Charts drawn on the server as small SVG documents: no chart library in the browser.

Each chart puts its label above each bar (readable at phone width), writes the value beside
the bar in words (colour never carries the meaning alone), and has a <title> and <desc>; the
page shows the same figures as a table right after it.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.core.typography import typeset
from app.dashboard.stats import AGE_BUCKETS, TARGET_SHARE, Scorecard

WIDTH = 360
LABEL_GAP = 16  # the row's label line above the bar
BAR = 14
ROW = LABEL_GAP + 2 * BAR + 14
VALUE_SPACE = 92  # room right of the bars for the value
BACKLOG_COLOURS = ("#cfe0f1", "#8fb7de", "#4f8cc9", "#1d5e9f", "#0b2f55")


def _svg(title: str, desc: str, height: int, body: list[str], ident: str) -> Markup:
    # Every text in `body` went through escape(); the rest is numbers and fixed markup.
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif" font-size="12">'
        f'<title id="{ident}-t">{escape(typeset(title))}</title>'
        f'<desc id="{ident}-d">{escape(typeset(desc))}</desc>' + "".join(body) + "</svg>"
    )


def _name(text: str, room: int = 26) -> str:
    # The full name is in the table beside the chart.
    return escape(text if len(text) <= room else text[: room - 1] + "…")


def _pct(value: float | None) -> str:
    return "—" if value is None else format_percent(value, format="#,##0 %")


def _hours(value: float | None) -> str:
    if value is None:
        return "—"
    return _("%(hours)s h", hours=format_decimal(value, format="0.0"))


def within_target(cards: Sequence[Scorecard], ident: str = "within") -> Markup:
    """Share of clocks within target, planned and finished, per row, with the 85 % bar."""
    plot = WIDTH - VALUE_SPACE
    height = max(len(cards), 1) * ROW + 24
    body = []
    for i, card in enumerate(cards):
        y = i * ROW
        body.append(f'<text x="0" y="{y + 12}" font-weight="600">{_name(card.name)}</text>')
        for j, (target, colour, word) in enumerate(
            ((card.plan, "#0b4f8a", _("planif.")), (card.resolve, "#1c6b3a", _("résol.")))
        ):
            top = y + LABEL_GAP + j * (BAR + 2)
            within = target.within
            width = round(plot * (within or 0), 1)
            body.append(
                f'<rect x="0" y="{top}" width="{plot}" height="{BAR}" fill="#eef1f4"/>'
                f'<rect x="0" y="{top}" width="{width}" height="{BAR}" fill="{colour}"/>'
                f'<text x="{plot + 4}" y="{top + BAR - 3}">{escape(word)} {_pct(within)}</text>'
            )
    mark = round(plot * TARGET_SHARE, 1)
    # Outside the f-string: Babel's extractor does not read calls inside one.
    target = _("objectif %(share)s", share=_pct(TARGET_SHARE))
    body.append(
        f'<line x1="{mark}" x2="{mark}" y1="0" y2="{height - 18}" stroke="#8a4b00" '
        f'stroke-width="2" stroke-dasharray="4 3"/>'
        f'<text x="{mark}" y="{height - 4}" text-anchor="middle" fill="#8a4b00">'
        f"{escape(target)}</text>"
    )
    desc = "; ".join(
        _(
            "%(name)s : planification %(plan)s, résolution %(resolve)s",
            name=c.name,
            plan=_pct(c.plan.within),
            resolve=_pct(c.resolve.within),
        )
        for c in cards
    )
    return _svg(
        _("Part des demandes dans les délais"), desc or _("Aucune donnée"), height, body, ident
    )


def times(cards: Sequence[Scorecard], kind: str, ident: str) -> Markup:
    """Median (bar) and 90th percentile (tick) of the business hours to plan or to finish."""
    targets = [(c, c.plan if kind == "plan" else c.resolve) for c in cards]
    longest = max((t.p90 or 0 for _c, t in targets), default=0) or 1
    plot = WIDTH - 4
    row = LABEL_GAP + BAR + 12
    height = max(len(cards), 1) * row + 4
    body = []
    for i, (card, target) in enumerate(targets):
        y = i * row
        top = y + LABEL_GAP
        body.append(f'<text x="0" y="{y + 12}" font-weight="600">{_name(card.name, 22)}</text>')
        body.append(f'<rect x="0" y="{top}" width="{plot}" height="{BAR}" fill="#eef1f4"/>')
        if target.median is not None:
            width = round(plot * target.median / longest, 1)
            body.append(f'<rect x="0" y="{top}" width="{width}" height="{BAR}" fill="#0b4f8a"/>')
        if target.p90 is not None:
            x = round(plot * target.p90 / longest, 1)
            body.append(
                f'<line x1="{x}" x2="{x}" y1="{top - 3}" y2="{top + BAR + 3}" stroke="#1b1f24" '
                f'stroke-width="3"/>'
            )
        value = _(
            "méd. %(median)s · P90 %(p90)s", median=_hours(target.median), p90=_hours(target.p90)
        )
        body.append(f'<text x="{WIDTH}" y="{y + 12}" text-anchor="end">{escape(value)}</text>')
    desc = "; ".join(
        _(
            "%(name)s : médiane %(median)s, 90e centile %(p90)s",
            name=c.name,
            median=_hours(t.median),
            p90=_hours(t.p90),
        )
        for c, t in targets
    )
    title = (
        _("Heures ouvrées pour planifier : médiane (barre) et 90e centile (trait)")
        if kind == "plan"
        else _("Heures ouvrées pour terminer : médiane (barre) et 90e centile (trait)")
    )
    return _svg(
        title,
        desc or _("Aucune donnée"),
        height,
        body,
        ident,
    )


def _ages(counts: Sequence[int]) -> str:
    """« 2 de < 1 j, 0 de 1–3 j, … »: a row of the backlog in words."""
    return ", ".join(
        _("%(count)s de %(age)s", count=n, age=label)
        for n, (label, _u) in zip(counts, AGE_BUCKETS, strict=True)
    )


def backlog(cards: Sequence[Scorecard], ident: str = "backlog") -> Markup:
    """Tickets held now and not finished, stacked by age."""
    largest = max((c.backlog_total for c in cards), default=0) or 1
    plot = WIDTH - 44
    row = LABEL_GAP + BAR + 12
    legend = 22
    height = max(len(cards), 1) * row + legend
    body = []
    x = 0
    for (label, _upper), colour in zip(AGE_BUCKETS, BACKLOG_COLOURS, strict=True):
        body.append(
            f'<rect x="{x}" y="2" width="10" height="10" fill="{colour}" stroke="#5a6572" '
            f'stroke-width=".5"/><text x="{x + 13}" y="11">{escape(label)}</text>'
        )
        x += 68
    for i, card in enumerate(cards):
        y = legend + i * row
        top = y + LABEL_GAP
        body.append(f'<text x="0" y="{y + 12}" font-weight="600">{_name(card.name)}</text>')
        start = 0.0
        for count, colour in zip(card.backlog, BACKLOG_COLOURS, strict=True):
            if count:
                width = round(plot * count / largest, 1)
                body.append(
                    f'<rect x="{start}" y="{top}" width="{width}" height="{BAR}" '
                    f'fill="{colour}" stroke="#fff" stroke-width="1"/>'
                )
                start += width
        body.append(f'<text x="{start + 4}" y="{top + BAR - 3}">{card.backlog_total}</text>')
    desc = "; ".join(
        _("%(name)s : %(counts)s", name=c.name, counts=_ages(c.backlog)) for c in cards
    )
    return _svg(
        _("Demandes en cours par ancienneté"), desc or _("Aucune donnée"), height, body, ident
    )
